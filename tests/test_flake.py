"""The flake, evaluated and built for real (Nix 2.18 or newer, as nixpkgs needs):
`nix flake show`, `nix flake check`, `nix build .#default`, `nix run .# -- --version`
and `nix flake init -t` of the template followed by a build of a lock written here.

nixpkgs is the stand-in (tests/nix/standin.nix) wrapped as a flake and given with
`--override-input nixpkgs`; its `lib` is the real nixpkgs lib when
MANYLINUX_NIX_TEST_NIXPKGS_LIB names one (tests/nix/lib.nix reads it), else the
stand-in's. The wrapper reads host paths and that variable, so the commands run with
`--impure`. The repository is given as a git flake: only tracked files are copied."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostmarks import needs_x86_64
from hostpython import PY, TAG
from indexserver import IndexServer
from nixtools import NIX, REPO, needs_modern_nix, needs_nix
from wheelfactory import build_wheel

from pyhelpers import __version__
from pyhelpers.cli import main

pytestmark = [pytest.mark.nix, needs_nix, needs_modern_nix, needs_x86_64]


def standin_flake(tmp: Path) -> Path:
    """The stand-in nixpkgs as a flake: `import nixpkgs { ... }` and `nixpkgs.lib`."""
    folder = tmp / "standin-nixpkgs"
    folder.mkdir()
    lib = json.dumps(str(NIX / "lib.nix"))
    (folder / "flake.nix").write_text(
        '{\n  description = "manylinux-nix\'s stand-in nixpkgs (tests/nix/standin.nix)";\n'
        f"  outputs = {{ self }}: {{ lib = import {lib}; }};\n}}\n"
    )
    patchelf = shutil.which("patchelf")
    assert patchelf is not None
    (folder / "default.nix").write_text(
        "{ system ? builtins.currentSystem, overlays ? [ ], config ? { }, ... }:\n"
        f"import {json.dumps(str(NIX / 'standin.nix'))} {{\n"
        "  inherit system overlays;\n"
        f"  hostPython = {json.dumps(sys.executable)};\n"
        f"  patchelf = {json.dumps(patchelf)};\n}}\n"
    )
    return folder


def repo_ref() -> str:
    return f"git+file://{REPO}"


def nix(
    *args: str, cwd: Path | None = None, overrides: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A flake command; those that evaluate a flake run --impure (the stand-in reads
    host paths) and leave the flake's lock file unwritten."""
    evaluates = args[:2] != ("flake", "init")
    flags = ["--impure", "--no-write-lock-file"] if evaluates else []
    return subprocess.run(
        ["nix", *args, *flags, *(overrides or [])],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
        cwd=cwd,
        timeout=900,
    )


@pytest.fixture
def nixpkgs(tmp_path: Path) -> list[str]:
    return ["--override-input", "nixpkgs", f"path:{standin_flake(tmp_path)}"]


def test_flake_show_lists_every_output(nixpkgs: list[str]) -> None:
    done = nix("flake", "show", "--json", repo_ref(), overrides=nixpkgs)
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout)
    assert set(shown) >= {"apps", "checks", "lib", "overlays", "packages", "templates"}
    default = shown["packages"]["x86_64-linux"]["default"]
    assert default["name"] == f"manylinux-nix-{__version__}"
    assert set(shown["checks"]["x86_64-linux"]) == {"cli", "manylinuxLibs"}


def test_flake_check_builds_the_checks(nixpkgs: list[str]) -> None:
    done = nix("flake", "check", repo_ref(), overrides=nixpkgs)
    assert done.returncode == 0, done.stderr[-3000:]


def test_nix_build_and_nix_run_give_the_command(tmp_path: Path, nixpkgs: list[str]) -> None:
    out = tmp_path / "result"
    built = nix("build", f"{repo_ref()}#default", "-o", str(out), overrides=nixpkgs)
    assert built.returncode == 0, built.stderr[-3000:]
    assert (out / "bin" / "manylinux-nix").is_file()
    # `nix run` passes what follows `--` to the program: given last, after the options.
    ran = subprocess.run(
        ["nix", "run", "--impure", "--no-write-lock-file", *nixpkgs, f"{repo_ref()}#", "--",
         "--version"],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.strip() == f"manylinux-nix {__version__}"


def test_the_template_builds_a_lock(
    tmp_path: Path,
    nixpkgs: list[str],
    wheel_dir: Path,
    index_factory: Callable[..., IndexServer],
) -> None:
    # `nix flake init` evaluates the flake, locking its inputs first, and takes no
    # --override-input: a clone of the repository is locked to the stand-in beforehand.
    clone = tmp_path / "manylinux-nix"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    locked = subprocess.run(
        ["nix", "flake", "lock", f"path:{clone}", *nixpkgs],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr[-3000:]
    app = tmp_path / "app"
    app.mkdir()
    made = subprocess.run(
        ["nix", "flake", "init", "-t", f"path:{clone}"],
        capture_output=True, text=True, check=False, cwd=app, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    assert (app / "flake.nix").is_file()
    build_wheel(wheel_dir, "flakedemo", "1.0", TAG, cxx=True)
    index = index_factory(wheel_dir)
    lock = ["lock", "flakedemo", "-i", index.url, "-o", str(app / "wheels.lock.json"), "-q"]
    assert main([*lock, "--system", "x86_64-linux", "--python", PY]) == 0
    out = tmp_path / "env"
    built = nix(
        "build", f"path:{app}", "-o", str(out),
        overrides=[*nixpkgs, "--override-input", "manylinux-nix", repo_ref()],
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    imported = subprocess.run(
        [str(out / "bin" / "python3"), "-c", "import flakedemo; print(flakedemo.answer())"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "42"
