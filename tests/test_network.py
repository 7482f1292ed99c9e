"""A few checks against the real PyPI (deselected by default; run with ``pytest -m network``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
