"""The NixOS check for real: with the host's copies of the libraries ``inspect`` lists
hidden (as on NixOS, where /usr/lib has nothing), a wheel's module fails to import; with
an RPATH to a folder holding exactly those libraries, it imports again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hostpython
import pytest
from elfbuild import patchelf
from hostmarks import needs_unshare
from hostpython import CP
from wheelfactory import build_wheel

from pyhelpers.inspect.classify import classify
from pyhelpers.inspect.wheel import scan_wheel

REAL = Path(__file__).resolve().parent / ".real-wheels"
pytestmark = needs_unshare


def host_library(soname: str) -> Path:
    """The real file the host's loader would use for ``soname``."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.split(" ", 1)[0] == soname and "x86-64" in name:
            return Path(path).resolve()
    raise LookupError(soname)


def import_hidden(
    site: Path, module: str, hidden: list[Path], empty: Path
) -> subprocess.CompletedProcess[str]:
    mounts = " && ".join(f"mount --bind {empty} {h}" for h in hidden)
    script = f"{mounts} && exec {sys.executable} -S -c 'import {module}; print(\"imported\")'"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=False,
        timeout=60,
    )


def install(whl: Path, site: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(whl),
        ],
        check=True,
    )


def libraries_of(report: dict[str, Any]) -> dict[str, list[str]]:
    return {e["soname"]: e["wanted_by"] for e in report["external"] if e["kind"] == "library"}


@pytest.mark.parametrize("source", ["built", "kiwisolver"])
def test_import_fails_with_host_libraries_hidden_and_works_with_rpath(
    source: str, tmp_path: Path
) -> None:
    if source == "built":
        whl = build_wheel(tmp_path / "w", "cxxdemo", "1.0", hostpython.TAG, cxx=True)
        module = "cxxdemo"
    else:
        found = sorted(REAL.glob(f"kiwisolver-*-{CP}-*x86_64*.whl"))
        if not found:
            pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
        whl, module = found[0], "kiwisolver"
    report = classify(scan_wheel(whl))
    needs = libraries_of(report)
    assert "libstdc++.so.6" in needs
    assert not [e for e in report["external"] if e["kind"] == "unknown"]

    site = tmp_path / "site"
    install(whl, site)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    hidden = [host_library(s) for s in needs]
    libdir = tmp_path / "libs"
    libdir.mkdir()
    for soname, real in zip(needs, hidden, strict=True):
        shutil.copy2(real, libdir / soname)

    before = import_hidden(site, module, hidden, empty)
    assert before.returncode != 0
    assert "libstdc++.so.6" in before.stderr and "ImportError" in before.stderr

    for wanted_by in {p for paths in needs.values() for p in paths}:
        subprocess.run([patchelf(), "--set-rpath", str(libdir), str(site / wanted_by)], check=True)
    after = import_hidden(site, module, hidden, empty)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == "imported"
