"""A few checks against the real PyPI (deselected by default; run with ``pytest -m network``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from samples import SAMPLES

from pyhelpers.cli import main

pytestmark = pytest.mark.network


def test_lock_numpy_scipy_from_pypi(tmp_path: Path) -> None:
    out = tmp_path / "wheels.lock.json"
    code = main(
        [
            "lock",
            "numpy==2.4.6",
            "scipy",
            "--system",
            "x86_64-linux",
            "--system",
            "aarch64-linux",
            "--python",
            "3.12",
            "--python",
            "3.13t",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    targets = json.loads(out.read_text())["targets"]
    numpy = targets["aarch64-linux/3.13t"]["packages"]["numpy"]
    assert numpy["version"] == "2.4.6"
    assert "-cp313-cp313t-manylinux" in numpy["filename"] and "aarch64" in numpy["filename"]
    assert numpy["hash"].startswith("sha256-")
    assert targets["x86_64-linux/3.12"]["packages"]["scipy"]["dependencies"] == ["numpy"]


def test_sdist_only_package_from_pypi_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["lock", "pycrypto==2.6.1", "-o", str(tmp_path / "l.json"), "--python", "3.12"])
    assert code == 1
    assert "has only a source distribution (pycrypto-2.6.1.tar.gz)" in capsys.readouterr().err


def _unknown(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (key, name, entry["soname"])
        for key, target in doc["targets"].items()
        for name, package in target["packages"].items()
        for entry in package.get("facts", {}).get("external", [])
        if entry["kind"] == "unknown"
    ]


def test_gpu_and_gui_stack_from_pypi_has_no_unknown_soname(tmp_path: Path) -> None:
    """torch with its nvidia-* wheels, CuPy (CUDA 13) with NCCL and cuTENSOR, numba,
    mpi4py and PyQt6: every needed library is vendored, glibc, the driver, a sibling, an
    optional plugin's (with its reason) or a nixpkgs attribute."""
    out = tmp_path / "wheels.lock.json"
    requirements = ["torch", "cupy-cuda13x[ctk]", "numba", "mpi4py", "PyQt6", "PyQt6-3D"]
    code = main(
        [
            "lock",
            *requirements,
            "--system",
            "x86_64-linux",
            "--python",
            "3.12",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert _unknown(doc) == []
    optional = {
        entry["soname"]: entry["reason"]
        for package in doc["targets"]["x86_64-linux/3.12"]["packages"].values()
        for entry in package.get("facts", {}).get("external", [])
        if entry["kind"] == "optional"
    }
    assert {"libtbb.so.12", "libmpi.so.40", "libmpi.so.12", "libucp.so.0"} <= set(optional)
    assert all(optional.values())
    torch = doc["targets"]["x86_64-linux/3.12"]["packages"]["torch"]["facts"]
    assert torch["driver_dlopen"] is True or any(e["kind"] == "driver" for e in torch["external"])
    # Each CUDA library from the folder torch's RPATH names for it (nvidia-cuda-cupti's
    # folder is named too, and triton ships a libcupti of its own).
    placed = {e["soname"]: e.get("search_path") for e in torch["external"]}
    runtime = next(name for name in placed if name.startswith("libcudart.so."))
    assert placed[runtime] in ("nvidia/cuda_runtime/lib", "nvidia/cu13/lib"), placed


@pytest.mark.parametrize("sample", ["demo/uv.lock", "scientific/uv.lock"])
def test_shared_sample_locks_convert_with_no_unknown_soname(sample: str, tmp_path: Path) -> None:
    source = SAMPLES / sample
    out = tmp_path / "wheels.lock.json"
    args = ["convert", str(source), "--system", "x86_64-linux", "--python", "3.12", "-o", str(out)]
    assert main([*args, "-q"]) == 0
    assert _unknown(json.loads(out.read_text())) == []
