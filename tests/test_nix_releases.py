"""The CLI builds with the Python package versions each supported nixpkgs release ships
(the stand-in runs nixpkgs' pythonRuntimeDepsCheckHook for ``pyproject = true``), and
the tool inside every wheel build needs nothing but the standard library and pyelftools."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nixtools import NIX, REPO, needs_nix, needs_real_fileset, nix_build

RELEASES = json.loads((REPO / "pyhelpers/data/nixpkgs-releases.json").read_text())
HOOK_NIX = (REPO / "nixlib/manylinux-hook.nix").read_text()
HOOK_MODULES = re.findall(r'"([a-z_/]+\.py)"', HOOK_NIX.split("modules = [", 1)[1].split("]", 1)[0])


def cli_expression(repo: Path, release: str) -> str:
    return (
        f"let pkgs = import {NIX}/standin.nix {{ hostPython = {json.dumps(sys.executable)}; "
        f"patchelf = {json.dumps(shutil.which('patchelf') or '/bin/true')}; "
        f'release = "{release}"; }}; '
        f"in pkgs.callPackage {repo}/nixlib/cli.nix {{ python3Packages = pkgs.python3Packages; }}"
    )


def build_cli(repo: Path, release: str, out: Path) -> subprocess.CompletedProcess[str]:
    expr = out.parent / f"cli-{release}.nix"
    expr.write_text(cli_expression(repo, release))
    return nix_build(expr, [], "", out)


def build_log(done: subprocess.CompletedProcess[str]) -> str:
    """The build's log: what nix-build printed, or, when the path was already in the
    store (an earlier run of the same source), the log Nix kept of building it."""
    if done.stderr.strip():
        return done.stderr
    kept = subprocess.run(
        ["nix-store", "--read-log", done.stdout.strip()],
        capture_output=True,
        text=True,
        check=False,
    )
    return kept.stdout


def test_floors_are_below_every_release() -> None:
    from packaging.requirements import Requirement

    floors = {}
    for text in _project()["dependencies"]:
        requirement = Requirement(text)
        lows = [s.version for s in requirement.specifier if s.operator == ">="]
        assert lows, f"{text}: a lower bound is needed"
        floors[requirement.name] = lows[0]
    for release, facts in RELEASES["releases"].items():
        shipped = facts["python_packages"]
        assert set(floors) <= set(shipped), release
        for name, floor in floors.items():
            assert _tuple(floor) <= _tuple(shipped[name]), (release, name, floor)


@needs_nix
@needs_real_fileset  # nixlib/cli.nix takes its source with lib.fileset.toSource
@pytest.mark.parametrize("release", sorted(RELEASES["releases"]))
def test_cli_builds_on_every_supported_release(release: str, tmp_path: Path) -> None:
    done = build_cli(REPO, release, tmp_path / "cli")
    assert done.returncode == 0, done.stderr[-3000:]
    log = build_log(done)
    assert "Checking runtime dependencies for manylinux_nix-" in log
    assert "Check whether the following modules can be imported: pyhelpers.cli" in log
    # Every module of the source is installed: a subpackage left out of the wheel
    # imports fine as `pyhelpers` and fails only when its command runs.
    [site] = Path(done.stdout.strip()).glob("lib/python3*/site-packages")
    assert _modules(site / "pyhelpers") == _modules(REPO / "pyhelpers")


@needs_nix
@needs_real_fileset
def test_a_bound_above_the_release_fails_the_build_as_in_nixpkgs(tmp_path: Path) -> None:
    """The failure every wheel build hit on 25.05 and 25.11: packaging>=26.1."""
    repo = tmp_path / "repo"
    (repo / "nixlib").mkdir(parents=True)
    shutil.copy(REPO / "nixlib/cli.nix", repo / "nixlib")
    shutil.copy(REPO / "README.md", repo)
    shutil.copytree(
        REPO / "pyhelpers", repo / "pyhelpers", ignore=shutil.ignore_patterns("__pycache__")
    )
    pyproject = (REPO / "pyproject.toml").read_text()
    (repo / "pyproject.toml").write_text(
        re.sub(r'"packaging>=[^"]+"', '"packaging>=26.1"', pyproject)
    )
    done = build_cli(repo, "25.05", tmp_path / "cli")
    assert done.returncode != 0
    assert "packaging>=26.1 not satisfied by version 24.2" in done.stderr


def _module_file(dotted: str) -> str:
    """``pyhelpers.inspect.elf`` -> ``inspect/elf.py``; a package -> its ``__init__.py``."""
    relative = Path(*dotted.split(".")[1:])
    if (REPO / "pyhelpers" / relative).is_dir():
        return str(relative / "__init__.py")
    return str(relative.with_suffix(".py"))


def _imported_by(name: str) -> tuple[set[str], set[str]]:
    """The pyhelpers files a module's relative imports load (packages on the way
    included), and the top-level names of everything else it imports."""
    dotted = "pyhelpers." + name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    package = dotted if name.endswith("__init__.py") else dotted.rsplit(".", 1)[0]
    own: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(ast.parse((REPO / "pyhelpers" / name).read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1]
            module = base + (node.module.split(".") if node.module else [])
            targets = [".".join(module)]
            # `from . import elf` loads a module; `from .x import Name` only x.
            targets += [
                f"{targets[0]}.{a.name}"
                for a in node.names
                if (REPO / "pyhelpers" / _module_file(f"{targets[0]}.{a.name}")).exists()
            ]
            for target in targets:
                steps = target.split(".")
                own |= {_module_file(".".join(steps[:i])) for i in range(2, len(steps) + 1)}
        elif isinstance(node, ast.ImportFrom):
            other.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            other |= {alias.name.split(".")[0] for alias in node.names}
    return own, other


def test_hook_tool_imports_only_the_standard_library_pyelftools_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"elftools"}
    listed = set(HOOK_MODULES)
    assert {"runtime/nixhook.py", "runtime/verify.py", "__init__.py"} <= listed
    for name in sorted(listed):
        own, other = _imported_by(name)
        assert own <= listed, f"{name} imports {sorted(own - listed)} from pyhelpers"
        assert other <= allowed, f"{name} imports {sorted(other - allowed)}"
    # Every folder the hook copies holds its __init__.py: the tool runs with -S and no
    # namespace-package fallbacks it could do without.
    for name in listed:
        parents = Path(name).parents
        assert all(str(d / "__init__.py") in listed or str(d) == "." for d in parents), name


def test_hook_tool_runs_with_nothing_but_its_files_and_pyelftools(tmp_path: Path) -> None:
    import elftools

    tool = tmp_path / "tool"
    (tool / "pyhelpers/data").mkdir(parents=True)
    for name in HOOK_MODULES:
        (tool / "pyhelpers" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "pyhelpers" / name, tool / "pyhelpers" / name)
    for name in ("sonames.json", "optional.json"):
        shutil.copy(REPO / "pyhelpers/data" / name, tool / "pyhelpers/data")
    shutil.copytree(Path(elftools.__file__).parent, tool / "elftools")
    glibc = Path(os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")).parent
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            "-m",
            "pyhelpers.runtime.nixhook",
            "verify",
            str(tool),
            "--glibc-dir",
            str(glibc),
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tool), "PATH": os.environ["PATH"]},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "verified 0 ELF files" in done.stdout


def _modules(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.suffix in (".py", ".json") and "__pycache__" not in p.parts
    }


def _project() -> dict[str, list[str]]:
    import tomllib

    project: dict[str, list[str]] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))
