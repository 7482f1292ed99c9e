"""The README's recipes, read from the README and run: the flake (Nix 2.18 or newer),
the overlay with callPackage and buildManylinuxWheel, and the venv with fix-venv (the
uv2nix recipe is tests/test_uv2nix_real.py's). Where a recipe names a file for Python
3.13 (cp313), the test takes this machine's Python's instead; nothing else changes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hostpython
import pytest
from hostmarks import needs_unshare, needs_x86_64
from hostpython import CP, PY, TAG
from indexserver import IndexServer
from nixtools import NIX, REPO, needs_modern_nix, needs_nix, nix_build, standin_args
from test_flake import nix, repo_ref, standin_flake
from test_nixos_loader import host_library
from wheelfactory import build_wheel

from pyhelpers.cli import main

README = REPO / "README.md"
REAL = Path(__file__).resolve().parent / ".real-wheels"
pytestmark = [needs_x86_64]


def recipe(heading: str, language: str) -> str:
    """The first ```language block under the README heading that starts with ``heading``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}")
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no {language} block under {heading!r}"
    return match.group(1)


def kiwisolver() -> Path:
    found = sorted(REAL.glob(f"kiwisolver-1.4.8-{CP}-*x86_64*.whl"))
    if not found:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    return found[0]


def test_the_readme_keeps_its_two_commands_and_links_real_docs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / ".ci/readme-commands")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "manylinux-nix lock 'numpy==2.4.6' scipy" in done.stdout
    assert "bash .ci/run" in done.stdout
    text = README.read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (REPO / link).exists(), f"README links {link}, which does not exist"
    assert len(text.splitlines()) < 200


@pytest.mark.nix
@needs_nix
@needs_modern_nix
def test_the_flake_recipe_builds(
    tmp_path: Path, wheel_dir: Path, index_factory: Callable[..., IndexServer]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "flake.nix").write_text(recipe("### A flake", "nix"))
    build_wheel(wheel_dir, "readmedemo", "1.0", TAG, cxx=True)
    lock = ["lock", "readmedemo", "-i", index_factory(wheel_dir).url, "-q"]
    out = ["-o", str(app / "wheels.lock.json"), "--system", "x86_64-linux", "--python", PY]
    assert main([*lock, *out]) == 0
    overrides = [
        "--override-input", "nixpkgs", f"path:{standin_flake(tmp_path)}",
        "--override-input", "manylinux-nix", repo_ref(),
    ]  # fmt: skip
    built = nix("build", f"path:{app}", "-o", str(tmp_path / "env"), overrides=overrides)
    assert built.returncode == 0, built.stderr[-3000:]
    done = subprocess.run(
        [str(tmp_path / "env/bin/python3"), "-c", "import readmedemo; print(readmedemo.answer())"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "42", done.stderr


@pytest.mark.nix
@needs_nix
@needs_unshare
def test_the_overlay_recipe_builds_and_imports_as_on_nixos(tmp_path: Path) -> None:
    wheel = kiwisolver()
    overlay = recipe("### One wheel in an overlay", "nix")
    readme_name = re.search(r"\./(kiwisolver-[^;\s]+\.whl)", overlay)
    assert readme_name is not None
    (tmp_path / "overlay.nix").write_text(overlay.replace(readme_name.group(1), wheel.name))
    shutil.copy(wheel, tmp_path / wheel.name)
    # The recipe's first step, as its comment gives it.
    facts = subprocess.run(
        [sys.executable, "-m", "pyhelpers", "inspect", str(tmp_path / wheel.name), "--json"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    (tmp_path / "kiwisolver.json").write_text(facts.stdout)
    expression = tmp_path / "use.nix"
    expression.write_text(
        "{ hostPython, patchelf }:\n"
        f"let pkgs = import {NIX / 'standin.nix'} {{ inherit hostPython patchelf; overlays = [\n"
        f"  (import {REPO / 'overlays/default.nix'}) (import {tmp_path / 'overlay.nix'}) ]; }};\n"
        f"in {{ kiwisolver = pkgs.python3{CP[3:]}.pkgs.kiwisolver; }}\n"
    )
    done = nix_build(expression, standin_args(), "kiwisolver", tmp_path / "result")
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(done.stdout.strip()) / hostpython.SITE
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    hidden = host_library("libstdc++.so.6")
    imported = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         f"mount --bind {empty} {hidden} && exec {sys.executable} -S -c 'import kiwisolver'"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(site)},
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr


@pytest.mark.nix
@needs_nix
@needs_unshare
def test_the_venv_recipe_runs_as_shown(
    tmp_path: Path, index_factory: Callable[..., IndexServer]
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(kiwisolver(), wheels)
    nixpkgs = tmp_path / "nixpkgs"
    nixpkgs.mkdir()
    patchelf = shutil.which("patchelf")
    (nixpkgs / "default.nix").write_text(
        f"{{ ... }}: import {NIX / 'standin.nix'} {{ hostPython = {json.dumps(sys.executable)}; "
        f"patchelf = {json.dumps(patchelf)}; }}\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    beside = Path(sys.executable).parent / "manylinux-nix"
    command = str(beside) if beside.is_file() else shutil.which("manylinux-nix")
    assert command is not None, "manylinux-nix is not on PATH (pip install -e .)"
    env = {
        **os.environ,
        "PATH": f"{Path(command).parent}:{os.environ['PATH']}",
        "PIP_INDEX_URL": index_factory(wheels).url,
        "NIX_PATH": f"nixpkgs={nixpkgs}",
    }
    # python3 is this machine's: the venv takes this Python's kiwisolver wheel.
    env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(Path(sys.base_prefix) / "bin" / f"python{PY}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe("### A pip or uv venv", "sh")],
        capture_output=True, text=True, check=False, cwd=work, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (module,) = (work / ".venv").glob("lib/python3.*/site-packages/kiwisolver/_cext*.so")
    runpath = subprocess.run(
        ["patchelf", "--print-rpath", str(module)], capture_output=True, text=True, check=True
    ).stdout
    assert "/nix/store/" in runpath and "standin-gcc-lib/lib" in runpath
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    imported = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         f"mount --bind {empty} {host_library('libstdc++.so.6')} && "
         f"exec {work}/.venv/bin/python -c 'import kiwisolver'"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
