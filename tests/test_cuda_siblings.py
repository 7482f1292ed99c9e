"""A CUDA wheel laid out like torch, with the real nvidia-* sibling wheels it links: in a
lock every soname is vendored, glibc, a sibling with a search path, the driver, or
mapped; none is unknown. The Nix side then passes the sibling folders to autoPatchelf."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cudaworld import build_cuda_world
from hostmarks import needs_x86_64
from hostpython import CP, KEY, PY, SITE
from indexserver import IndexServer
from nixtools import NixError, needs_nix, nix_eval, unique_version

from pyhelpers.cli import main
from pyhelpers.runtime.runpaths import read_facts

pytestmark = needs_x86_64


@pytest.fixture
def cuda_index(tmp_path: Path, index_factory: Callable[..., IndexServer]) -> IndexServer:
    # A unique version keeps an earlier run's store path from answering for this one.
    build_cuda_world(
        tmp_path / "wheels",
        tmp_path,
        unique_version(tmp_path),
        [f"{CP}-{CP}-manylinux_2_28_x86_64"],
    )
    return index_factory(tmp_path / "wheels")


def locked(index: IndexServer, out: Path) -> dict[str, Any]:
    assert (
        main(
            [
                "lock",
                "torchlike",
                "-i",
                index.url,
                "-o",
                str(out),
                "-q",
                "--system",
                "x86_64-linux",
                "--python",
                PY,
            ]
        )
        == 0
    )
    doc: dict[str, Any] = json.loads(out.read_text())
    return dict(doc["targets"][KEY]["packages"])


def test_every_soname_of_the_cuda_wheel_is_accounted_for(
    cuda_index: IndexServer, tmp_path: Path
) -> None:
    packages = locked(cuda_index, tmp_path / "wheels.lock.json")
    assert sorted(packages) == ["nvidia-cuda-runtime-cu12", "nvidia-nvtx-cu12", "torchlike"]
    facts = packages["torchlike"]["facts"]
    kinds = {e["soname"]: e for e in facts["external"]}
    assert {s: e["kind"] for s, e in kinds.items()} == {
        "libcudart.so.12": "sibling",
        "libnvToolsExt.so.1": "sibling",
        "libcuda.so.1": "driver",
        "libstdc++.so.6": "library",
    }
    assert kinds["libcudart.so.12"]["provided_by"] == "nvidia-cuda-runtime-cu12"
    assert kinds["libcudart.so.12"]["search_path"] == "nvidia/cuda_runtime/lib"
    assert kinds["libnvToolsExt.so.1"]["provided_by"] == "nvidia-nvtx-cu12"
    assert kinds["libnvToolsExt.so.1"]["search_path"] == "nvidia/nvtx/lib"
    assert not [e for e in facts["external"] if e["kind"] == "unknown"]
    assert packages["nvidia-cuda-runtime-cu12"]["facts"]["provides"] == [
        "nvidia/cuda_runtime/lib/libcudart.so.12"
    ]


@needs_nix
def test_build_gets_sibling_search_paths_driver_runpath_and_ignores(
    cuda_index: IndexServer, tmp_path: Path
) -> None:
    lock = tmp_path / "wheels.lock.json"
    locked(cuda_index, lock)
    expr = (
        f"let set = import ./tests/nix/wheelset.nix {{ lockFile = {lock}; "
        f'hostPython = "{sys.executable}"; patchelf = "/bin/true"; }}; t = set.torchlike; in '
        "{ inherit (t) postFixup appendRunpaths autoPatchelfIgnoreMissingDeps; "
        "buildInputs = map (p: p.name) t.buildInputs; "
        "cudart = set.nvidia-cuda-runtime-cu12.outPath; }"
    )
    try:
        got = nix_eval(expr)
    except NixError as exc:  # pragma: no cover - shown on failure
        pytest.fail(str(exc))
    assert got["buildInputs"] == ["standin-gcc-lib"]
    assert got["autoPatchelfIgnoreMissingDeps"] == ["libcuda.so.1"]
    assert got["appendRunpaths"] == ["/run/opengl-driver/lib"]
    assert f"{got['cudart']}/{SITE}/nvidia/cuda_runtime/lib" in got["postFixup"]
    assert "addAutoPatchelfSearchPath" in got["postFixup"]
    assert "nvidia/nvtx/lib" in got["postFixup"]


@needs_nix
def test_cuda_wheel_builds_with_runpaths_into_its_siblings(
    cuda_index: IndexServer, tmp_path: Path
) -> None:
    from nixtools import NIX, nix_build, standin_args

    lock = tmp_path / "wheels.lock.json"
    locked(cuda_index, lock)
    done = nix_build(
        NIX / "wheelset.nix",
        ["--arg", "lockFile", str(lock), *standin_args()],
        "torchlike",
        tmp_path / "result",
    )
    assert done.returncode == 0, done.stderr
    assert "ignoring missing libcuda.so.1" in done.stderr
    so = Path(done.stdout.strip()) / f"{SITE}/torchlike/lib/libtorchlike_cuda.so"
    runpath = read_facts(so).runpath
    assert any(p.endswith("site-packages/nvidia/cuda_runtime/lib") for p in runpath)
    assert any(p.endswith("site-packages/nvidia/nvtx/lib") for p in runpath)
    assert any(p.endswith("standin-gcc-lib/lib") for p in runpath)
    assert "/run/opengl-driver/lib" in runpath
    # autoPatchelf keeps none of the wheel's RUNPATH; the build puts back its own folder.
    assert runpath[-1] == "$ORIGIN"
