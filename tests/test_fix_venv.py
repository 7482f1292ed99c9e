"""``fix-venv`` on a real venv with real wheels, under an imitated NixOS loader: imports
fail with the host's libraries hidden, work after the fix, and a second run changes
nothing. ``--nix`` realises the soname map's attributes from a stand-in '<nixpkgs>'."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import hostpython
import pytest
from hostmarks import needs_unshare
from hostpython import CP
from nixtools import REPO, needs_nix
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main

REAL = Path(__file__).resolve().parent / ".real-wheels"
pytestmark = needs_unshare


def make_venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wheels = [build_wheel(tmp / "w", "cxxdemo", "1.0", hostpython.TAG, cxx=True)]
    wheels += sorted(REAL.glob(f"kiwisolver-*-{CP}-*x86_64*.whl"))
    if len(wheels) < 2:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    site = venv / "lib" / f"python3.{sys.version_info.minor}" / "site-packages"
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
            *map(str, wheels),
        ],
        check=True,
    )
    return venv


def import_hidden(venv: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    empty = tmp / "empty"
    empty.write_bytes(b"")
    hidden = host_library("libstdc++.so.6")
    script = (
        f"mount --bind {empty} {hidden} && exec {venv}/bin/python -c "
        "'import kiwisolver, cxxdemo; print(cxxdemo.answer())'"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def digests(venv: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in venv.rglob("*.so")
        if p.is_file() and not p.is_symlink()
    }


def test_fix_venv_makes_it_import_with_host_libraries_hidden_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = make_venv(tmp_path)
    libdir = tmp_path / "libs"
    libdir.mkdir()
    shutil.copy2(host_library("libstdc++.so.6"), libdir / "libstdc++.so.6")

    assert import_hidden(venv, tmp_path).returncode != 0
    assert main(["fix-venv", str(venv), "--check"]) == 1
    err = capsys.readouterr().err
    # Grouped by soname, one line for all the files that need it.
    assert "libstdc++.so.6 not found: " in err
    assert "nixpkgs stdenv.cc.cc.lib: pass --nix, or --lib-dir with its lib folder" in err
    before = digests(venv)
    assert main(["fix-venv", str(venv), "--check", "--lib-dir", str(libdir)]) == 0
    assert digests(venv) == before  # --check changed nothing
    capsys.readouterr()

    assert main(["fix-venv", str(venv), "--lib-dir", str(libdir)]) == 0
    assert "changed 2, 0 libraries missing" in capsys.readouterr().err
    done = import_hidden(venv, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"

    fixed = digests(venv)
    assert main(["fix-venv", str(venv), "--lib-dir", str(libdir)]) == 0
    assert "changed 0," in capsys.readouterr().err
    assert digests(venv) == fixed


@needs_nix
def test_fix_venv_with_nix_realises_the_mapped_attributes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = make_venv(tmp_path)
    nixpkgs = tmp_path / "nixpkgs"
    nixpkgs.mkdir()
    (nixpkgs / "default.nix").write_text(
        f'{{ ... }}: import {REPO}/tests/nix/standin.nix {{ hostPython = "{sys.executable}"; '
        'patchelf = "/bin/true"; }\n'
    )
    monkeypatch.setenv("NIX_PATH", f"nixpkgs={nixpkgs}")
    assert main(["fix-venv", str(venv), "--nix"]) == 0
    done = import_hidden(venv, tmp_path)
    assert done.returncode == 0, done.stderr


def test_fix_venv_gives_files_that_dlopen_the_driver_the_driver_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """torch, JAX and CuPy found no GPU after fix-venv: libcudart, cuDNN and NCCL
    dlopen("libcuda.so.1"), which is in no DT_NEEDED."""
    from test_nix_builds import fake_driver, probe_as_on_nixos, probe_wheel

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python3.{sys.version_info.minor}" / "site-packages"
    wheel = probe_wheel(tmp_path / "w", tmp_path, "gpudemo", "1.0", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    driver = fake_driver(tmp_path)
    before = probe_as_on_nixos([site], "gpudemo", "libcuda.so.1", driver)
    assert before.stdout.strip() == "False", before.stderr
    assert main(["verify", str(venv), "--glibc-dir", "/lib/x86_64-linux-gnu", "-v"]) == 1
    assert "dlopen()s libcuda.so.1, a GPU driver library" in capsys.readouterr().err

    libdir = tmp_path / "libs"
    libdir.mkdir()
    shutil.copy2(host_library("libz.so.1"), libdir / "libz.so.1")
    assert main(["fix-venv", str(venv), "--lib-dir", str(libdir)]) == 0
    after = probe_as_on_nixos([site], "gpudemo", "libcuda.so.1", driver)
    assert after.stdout.strip() == "True", after.stderr


def test_fix_venv_keeps_what_an_earlier_run_set_and_check_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain run after `fix-venv --lib-dir D` must not undo it: entries that still
    resolve a library stay, and --check says nothing is missing."""
    venv = make_venv(tmp_path)
    libdir = tmp_path / "libs"
    libdir.mkdir()
    shutil.copy2(host_library("libstdc++.so.6"), libdir / "libstdc++.so.6")
    assert main(["fix-venv", str(venv), "--lib-dir", str(libdir)]) == 0
    fixed = digests(venv)
    capsys.readouterr()
    assert main(["fix-venv", str(venv), "--check"]) == 0
    assert "0 libraries missing" in capsys.readouterr().err
    assert main(["fix-venv", str(venv)]) == 0
    assert digests(venv) == fixed
    done = import_hidden(venv, tmp_path)
    assert done.returncode == 0, done.stderr


def test_fix_venv_leaves_optional_plugins_out_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from elfbuild import PLAIN_LIBRARY, compile_so

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python3.{sys.version_info.minor}" / "site-packages"
    pool = site / "numba/np/ufunc/tbbpool.cpython-311-x86_64-linux-gnu.so"
    compile_so(pool, PLAIN_LIBRARY, add_needed=("libtbb.so.12",))
    assert main(["fix-venv", str(venv), "--check"]) == 0
    err = capsys.readouterr().err
    assert "optional libraries left out: libtbb.so.12 (numba's TBB threading layer" in err
    assert main(["fix-venv", str(venv), "--check", "--include-optional", "libtbb.so.12"]) == 1
    err = capsys.readouterr().err
    assert "libtbb.so.12 not found: 1 file" in err and "nixpkgs onetbb" in err


HOST_LIBS = "/usr/lib/x86_64-linux-gnu"


def _small_venv(tmp: Path, needed: str = "libstdc++.so.6") -> Path:
    from elfbuild import compile_so

    venv = tmp / "small-venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    compile_so(venv / "lib/python3.12/site-packages/pkg/_x.so", "int f(void) { return 1; }\n",
               add_needed=(needed,))  # fmt: skip
    return venv


def _nixpkgs(tmp: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A '<nixpkgs>' on NIX_PATH: the stand-in, changed by ``body`` (Nix: standin -> set)."""
    folder = tmp / "nixpkgs"
    folder.mkdir()
    (folder / "default.nix").write_text(
        f"{{ ... }}: let standin = import {REPO}/tests/nix/standin.nix {{ hostPython = "
        f'"{sys.executable}"; patchelf = "/bin/true"; }}; in {body}\n'
    )
    monkeypatch.setenv("NIX_PATH", f"nixpkgs={folder}")


@needs_nix
def test_fix_venv_nix_tries_the_next_attribute_when_nixpkgs_lacks_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = _small_venv(tmp_path, "libatomic.so.1")
    # No stdenv.cc.cc.lib here: the map's next candidate for libatomic is gcc.cc.lib.
    gcc_lib = (
        'derivation { name = "gcc-lib"; system = builtins.currentSystem; builder = "/bin/sh"; '
        'PATH = "/usr/bin:/bin"; '
        f'args = [ "-c" "mkdir -p $out/lib && cp -L {HOST_LIBS}/libatomic.so.1 $out/lib/" ]; }}'
    )
    _nixpkgs(tmp_path, f'removeAttrs standin [ "stdenv" ] // {{ gcc.cc.lib = {gcc_lib}; }}',
             monkeypatch)  # fmt: skip
    assert main(["fix-venv", str(venv), "--nix"]) == 0, capsys.readouterr().err
    so = venv / "lib/python3.12/site-packages/pkg/_x.so"
    runpath = subprocess.run(
        ["patchelf", "--print-rpath", str(so)], capture_output=True, text=True, check=True
    ).stdout
    assert runpath.strip().endswith("-gcc-lib/lib")


@needs_nix
@pytest.mark.parametrize(
    ("body", "words"),
    [
        (None, "nix cannot find <nixpkgs>"),
        (
            'standin // { stdenv = standin.stdenv // { cc.cc.lib = derivation { name = "gcc"; '
            'system = builtins.currentSystem; builder = "/bin/sh"; '
            'args = [ "-c" "echo gcc exploded >&2; exit 1" ]; }; }; }',
            "nix-build <nixpkgs> -A stdenv.cc.cc.lib failed",
        ),
        ('throw "this nixpkgs is broken"', "this nixpkgs is broken"),
    ],
)
def test_fix_venv_nix_fails_with_nix_s_error(
    body: str | None,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    venv = _small_venv(tmp_path)
    if body is None:
        monkeypatch.setenv("NIX_PATH", "")
    else:
        _nixpkgs(tmp_path, body, monkeypatch)
    assert main(["fix-venv", str(venv), "--nix"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("manylinux-nix: error: --nix"), err
    assert words in err and "libstdc++.so.6 not found" not in err
