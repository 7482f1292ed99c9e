"""Runtime loads through mkWheelSet over the stand-in: a pure wheel whose Python code
loads zstd with ``find_library``, SQLite with a cffi-style bare ``dlopen`` and the GPU
driver through ``ldconfig -p`` gets a module in its site-packages that makes exactly
those names resolve to store paths; under the imitated NixOS loader (the host's copies
and ld.so.cache hidden) it imports, and without the module (``runtimeLoads = false``)
it does not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostmarks import needs_unshare, needs_x86_64
from hostpython import PY, SITE
from indexserver import IndexServer
from nixtools import NIX, needs_nix, nix_build, standin_args, unique_version
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main

pytestmark = [pytest.mark.nix, needs_nix, needs_x86_64]

LOADER = b"""import ctypes, ctypes.util, _ctypes, os, subprocess

class _FFI:  # cffi's dlopen is C code: a bare name reaches dlopen() as it is
    def dlopen(self, name):
        return _ctypes.dlopen(name, 2)

ffi = _FFI()
ZSTD = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
SQLITE = ffi.dlopen("libsqlite3.so.0")

def libcuda_dirs():
    libs = subprocess.check_output(["/sbin/ldconfig", "-p"]).decode()
    return [line.split()[-1] for line in libs.splitlines() if "libcuda.so.1" in line]

TRITON = os.environ.get("TRITON_LIBCUDA_PATH")
"""


def _lock(index: IndexServer, out: Path, *requirements: str) -> None:
    args = ["lock", *requirements, "-i", index.url, "-o", str(out), "-q"]
    assert main([*args, "--system", "x86_64-linux", "--python", PY]) == 0


def _build(lock_file: Path, attr: str, out: Path, *extra: str) -> Path:
    args = ["--arg", "lockFile", str(lock_file), *extra, *standin_args()]
    done = nix_build(NIX / "wheelset.nix", args, attr, out)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip()) / f"{SITE}"


def _import_as_on_nixos(site: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    empty = tmp / "empty"
    empty.write_bytes(b"")
    # Not zlib: Debian 13's python3.13 links it itself.
    hidden = [host_library("libzstd.so.1"), host_library("libsqlite3.so.0"), "/etc/ld.so.cache"]
    mounts = " && ".join(f"mount --bind {empty} {h}" for h in hidden)
    # nixpkgs' Python reads a package's site-packages with site.addsitedir (its
    # sitecustomize does so for NIX_PYTHONPATH), which runs the .pth files there.
    code = (
        f"import site; site.addsitedir({str(site)!r}); import rtload; "
        "print(rtload.ZSTD._name); print(rtload.TRITON)"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mounts} && exec {sys.executable} -S -c "{code}"'],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "TRITON_LIBCUDA_PATH"},
    )


@needs_unshare
def test_mk_wheel_set_supplies_what_python_code_loads_by_name(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    version = unique_version(tmp_path)
    build_wheel(wheel_dir, "rtload", version, extra_files={"rtload/__init__.py": LOADER})
    build_wheel(wheel_dir, "rtquiet", version)
    _lock(index_factory(wheel_dir), tmp_path / "l.json", "rtload", "rtquiet")

    site = _build(tmp_path / "l.json", "rtload", tmp_path / "with")
    assert sorted(p.name for p in site.glob("_manylinux_nix*")) == [
        "_manylinux_nix_loads_rtload.pth",
        "_manylinux_nix_loads_rtload.py",
    ]
    done = _import_as_on_nixos(site, tmp_path)
    assert done.returncode == 0, done.stderr
    zstd_path, triton = done.stdout.split()
    assert zstd_path.startswith("/nix/store/")
    assert zstd_path.endswith("-standin-zstd/lib/libzstd.so.1")
    assert triton == "/run/opengl-driver/lib"

    # A wheel that loads nothing by name gets nothing.
    quiet = _build(tmp_path / "l.json", "rtquiet", tmp_path / "quiet")
    assert list(quiet.glob("_manylinux_nix*")) == []

    bare = _build(
        tmp_path / "l.json", "rtload", tmp_path / "without", "--arg", "runtimeLoads", "false"
    )
    assert list(bare.glob("_manylinux_nix*")) == []
    failed = _import_as_on_nixos(bare, tmp_path)
    assert failed.returncode != 0, failed.stdout
    assert "libzstd" in failed.stderr or "libsqlite3" in failed.stderr, failed.stderr
