"""The stand-in nixpkgs tells the truth: its auto-patchelf does what nixpkgs'
auto-patchelf.py does (FIDELITY.md), checked here on real ELF files outside Nix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from nixtools import NIX

from pyhelpers.runtime.runpaths import read_facts

pytestmark = needs_x86_64

DLOPEN_NOTE = r"""
#define DESC "[{\"soname\":[\"libz.so.1\"]},{\"soname\":[\"libnothere.so.3\"]}]"
struct note { unsigned namesz, descsz, type; char name[4]; char desc[(sizeof(DESC) + 3) & ~3]; };
__attribute__((section(".note.dlopen"), used, aligned(4)))
static const struct note dlopen_note = {4, sizeof(DESC), 0x407c0c0a, "FDO", DESC};
int plugin_user(void) { return 1; }
"""


@pytest.fixture
def bintools(tmp_path: Path) -> Path:
    """NIX_BINTOOLS as autoPatchelf reads it: the loader and glibc's lib/."""
    libc = tmp_path / "glibc/lib"
    libc.mkdir(parents=True)
    for name in ("libc.so.6", "libm.so.6"):
        shutil.copy(os.path.realpath(f"/lib/x86_64-linux-gnu/{name}"), libc / name)
    support = tmp_path / "bintools/nix-support"
    support.mkdir(parents=True)
    (support / "dynamic-linker").write_text("/lib64/ld-linux-x86-64.so.2\n")
    (support / "orig-libc").write_text(f"{tmp_path / 'glibc'}\n")
    return tmp_path / "bintools"


def auto_patchelf(bintools: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIX_BINTOOLS": str(bintools)}
    env["PATH"] = f"{Path(shutil.which('patchelf') or 'patchelf').parent}:{env['PATH']}"
    return subprocess.run(
        [sys.executable, str(NIX / "standin/auto-patchelf.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_runpath_is_rebuilt_from_found_needs_and_dlopen_notes(
    tmp_path: Path, bintools: Path
) -> None:
    out = tmp_path / "out"
    user = compile_so(
        out / "libuser.so", DLOPEN_NOTE, add_needed=("libm.so.6",), rpath="$ORIGIN/keep"
    )
    zlib = tmp_path / "zlib/lib"
    zlib.mkdir(parents=True)
    shutil.copy(os.path.realpath("/lib/x86_64-linux-gnu/libz.so.1"), zlib / "libz.so.1")

    failed = auto_patchelf(bintools, "--paths", str(out), "--libs", str(zlib))
    assert failed.returncode != 0
    assert "could not satisfy dependency libnothere.so.3" in failed.stdout

    done = auto_patchelf(
        bintools, "--ignore-missing", "libnot*", "--paths", str(out), "--libs", str(zlib),
        "--append-rpaths", "/run/opengl-driver/lib",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ignoring missing libnothere.so.3" in done.stdout
    # libm comes from glibc's lib/ (no entry); libz from the note; the old $ORIGIN entry
    # is not kept; the appended folder comes last.
    assert read_facts(user).search_path == (str(zlib), "/run/opengl-driver/lib")


def test_a_file_with_nothing_found_and_nothing_appended_is_left_alone(
    tmp_path: Path, bintools: Path
) -> None:
    out = tmp_path / "out"
    lone = compile_so(
        out / "liblone.so", PLAIN_LIBRARY, add_needed=("libm.so.6",), rpath="/usr/local/lib64"
    )
    done = auto_patchelf(bintools, "--paths", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert read_facts(lone).search_path == ("/usr/local/lib64",)
