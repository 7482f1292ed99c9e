"""``verify``: real wheels installed and patched as on NixOS. A correct one verifies;
without its library folder in the RUNPATH it fails and names the soname; against a
libstdc++ whose .gnu.version_d lacks the GLIBCXX version it needs, it names that."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import hostpython
import pytest
from elfbuild import PLAIN_LIBRARY, compile_so, patchelf
from hostmarks import needs_x86_64
from hostpython import CP
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main

REAL = Path(__file__).resolve().parent / ".real-wheels"
GLIBC = [
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "ld-linux-x86-64.so.2",
]
pytestmark = needs_x86_64


@pytest.fixture
def glibc_dir(tmp_path: Path) -> Path:
    """Like nixpkgs' glibc lib/: glibc's own libraries and libgcc_s, nothing else."""
    folder = tmp_path / "glibc"
    folder.mkdir()
    for soname in GLIBC:
        shutil.copy2(host_library(soname), folder / soname)
    return folder


def installed(tmp_path: Path) -> tuple[Path, list[Path]]:
    found = sorted(REAL.glob(f"kiwisolver-*-{CP}-*x86_64*.whl"))
    if not found:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    cxx = build_wheel(tmp_path / "w", "cxxdemo", "1.0", hostpython.TAG, cxx=True)
    site = tmp_path / "site"
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
            str(found[0]),
            str(cxx),
        ],
        check=True,
    )
    return site, sorted(site.rglob("*.so"))


def set_rpath(files: list[Path], rpath: str) -> None:
    for f in files:
        subprocess.run([patchelf(), "--set-rpath", rpath, str(f)], check=True)


def test_patched_wheels_verify_and_a_missing_folder_is_named(
    tmp_path: Path, glibc_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, files = installed(tmp_path)
    libs = tmp_path / "libs"
    libs.mkdir()
    shutil.copy2(host_library("libstdc++.so.6"), libs / "libstdc++.so.6")
    set_rpath(files, str(libs))
    assert main(["verify", str(site), "--glibc-dir", str(glibc_dir)]) == 0
    assert "verified 2 ELF files" in capsys.readouterr().err

    set_rpath(files, "")
    assert main(["verify", str(site), "--glibc-dir", str(glibc_dir), "-v"]) == 1
    err = capsys.readouterr().err.splitlines()
    problems = [line for line in err if line.startswith("manylinux-nix: verify: ")]
    assert len(problems) == 2
    for line in problems:
        # Outside the Nix store: advice for a venv, paths relative to the folder given.
        assert line.startswith("manylinux-nix: verify: ") and str(site) not in line
        assert line.endswith(
            "libstdc++.so.6 not found; nixpkgs stdenv.cc.cc.lib: run fix-venv --nix, or "
            "fix-venv --lib-dir with stdenv.cc.cc.lib's lib folder"
        )
    # Without -v: one line for both files.
    assert main(["verify", str(site), "--glibc-dir", str(glibc_dir)]) == 1
    err = capsys.readouterr().err.splitlines()
    [grouped] = [line for line in err if line.startswith("manylinux-nix: verify: ")]
    assert grouped.startswith("manylinux-nix: verify: libstdc++.so.6 not found: 2 files (first ")
    assert main(["verify", str(site), "--glibc-dir", str(glibc_dir), "--json"]) == 1
    [group] = json.loads(capsys.readouterr().out)["grouped"]
    assert group["problem"] == "libstdc++.so.6 not found" and len(group["files"]) == 2


def test_a_libstdcxx_without_the_needed_glibcxx_version_is_caught(
    tmp_path: Path, glibc_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, files = installed(tmp_path)
    old = tmp_path / "old"
    script = tmp_path / "versions.map"
    script.write_text(
        "GLIBCXX_3.4 { global: vendored_value; local: *; };\nCXXABI_1.3 { } GLIBCXX_3.4;\n"
    )
    compile_so(
        old / "libstdc++.so.6",
        PLAIN_LIBRARY,
        soname="libstdc++.so.6",
        link_args=(f"-Wl,--version-script={script}",),
    )
    set_rpath(files, str(old))
    assert main(["verify", str(site), "--glibc-dir", str(glibc_dir), "-v"]) == 1
    err = capsys.readouterr().err
    assert "needs GLIBCXX_3.4." in err and "does not define (it has up to GLIBCXX_3.4)" in err
    assert "with a newer stdenv.cc.cc.lib's lib folder" in err


def test_driver_libraries_are_deferred_only_with_the_driver_runpath(
    tmp_path: Path, glibc_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    so = compile_so(tmp_path / "site" / "cuda.so", PLAIN_LIBRARY, add_needed=("libcuda.so.1",))
    assert main(["verify", str(tmp_path / "site"), "--glibc-dir", str(glibc_dir)]) == 1
    # Outside the Nix store the advice is for a venv.
    assert "without /run/opengl-driver/lib in the RUNPATH: 1 file" in capsys.readouterr().err
    set_rpath([so], "/run/opengl-driver/lib")
    assert main(["verify", str(tmp_path / "site"), "--glibc-dir", str(glibc_dir), "--json"]) == 0
    assert "comes from the GPU driver at run time" in capsys.readouterr().out


def test_runpath_outside_the_store_is_a_problem_in_a_store_path(
    tmp_path: Path,
    glibc_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("NIX_STORE", str(store))
    for root in (store / "abc-pkg", tmp_path / "venv"):
        compile_so(root / "x.so", PLAIN_LIBRARY, rpath="/usr/local/lib64:$ORIGIN")
    assert main(["verify", str(store / "abc-pkg"), "--glibc-dir", str(glibc_dir), "-v"]) == 1
    assert "RUNPATH has /usr/local/lib64, outside the Nix store" in capsys.readouterr().err
    # Outside the store (a venv fixed with --lib-dir) it is only a note.
    assert main(["verify", str(tmp_path / "venv"), "--glibc-dir", str(glibc_dir), "-v"]) == 0
    assert "note:" in capsys.readouterr().err


@needs_x86_64
def test_a_distribution_library_folder_is_not_taken_for_glibc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On Debian the interpreter's libc sits among every other library; a venv whose
    RUNPATHs are empty must not pass there when it would fail on NixOS."""
    so = compile_so(tmp_path / "venv/lib/pkg/_x.so", PLAIN_LIBRARY, add_needed=("libstdc++.so.6",))
    folder = str(Path(host_library("libc.so.6")).parent)
    assert main(["verify", str(so.parent), "--glibc-dir", folder]) == 1
    err = capsys.readouterr().err
    assert "libstdc++.so.6 not found" in err
    assert "also holds" in err and "not glibc's" in err and "libstdc++.so.6" in err
    # Nix's glibc folder holds glibc alone: nothing to say, and glibc's libraries resolve.
    nix_glibc = tmp_path / "glibc/lib"
    nix_glibc.mkdir(parents=True)
    for name in ("libc.so.6", "libm.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"):
        shutil.copy(host_library(name), nix_glibc / name)
    plain = compile_so(tmp_path / "plain/_y.so", PLAIN_LIBRARY, add_needed=("libm.so.6",))
    assert main(["verify", str(plain.parent), "--glibc-dir", str(nix_glibc)]) == 0
    assert "not glibc's" not in capsys.readouterr().err


def test_an_elf_file_that_cannot_be_read_is_a_problem_not_a_pass(
    tmp_path: Path, glibc_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cut short, its DT_NEEDED (a missing library) cannot be read: that is no pass."""
    so = compile_so(tmp_path / "site" / "ext.so", PLAIN_LIBRARY, add_needed=("libmissing.so.1",))
    so.write_bytes(so.read_bytes()[: so.stat().st_size // 3])
    assert main(["verify", str(tmp_path / "site"), "--glibc-dir", str(glibc_dir), "-v"]) == 1
    err = capsys.readouterr().err
    assert "ext.so: starts like an ELF file but cannot be read (" in err, err
    assert main(["verify", str(so), "--glibc-dir", str(glibc_dir), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 1 and "cannot be read" in report["problems"][0], report
