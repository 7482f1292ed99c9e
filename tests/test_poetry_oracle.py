"""poetry is the oracle: for every poetry.lock we have (../shared/samples/wild), each
selection (--only main, --with, --all-groups, --without, -E, --all-extras) and Linux and
Darwin targets, the packages we take are exactly those `poetry install --dry-run
--no-root` installs (lock 2.1: by the lock's groups and markers; older: resolved)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from poetryoracle import OracleError, adopt, install, poetry_available
from samples import SAMPLES

from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import applicable, poetryconstraint, read_lock
from pyhelpers.lock.lockformats.model import LockFile
from pyhelpers.lock.lockformats.selection import Selection
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
PROJECTS = [
    *sorted(p.parent for p in SAMPLES.glob("*/poetry.lock")),
    *(sorted(p.parent for p in WILD.glob("*/poetry.lock")) or [WILD / "(no poetry.lock)"]),
]
SYSTEMS = ["x86_64-linux", "aarch64-linux", "aarch64-darwin"]
MAX_EACH = 12  # every group and extra of the locks we have

pytestmark = pytest.mark.skipif(not poetry_available(), reason="needs poetry (pip install poetry)")


def poetryconstraint_text(path: Path) -> str:
    """The lock's python-versions where it is PEP 440 (as the demo's), else any Python 3."""
    text = str(tomllib.loads(path.read_text())["metadata"].get("python-versions", ""))
    try:
        return str(SpecifierSet(text)) or ">=3"
    except InvalidSpecifier:
        return ">=3"


def python_for(lock: LockFile) -> str:
    """A Python the lock is for: 3.12 if it allows it, else the newest it does."""
    allowed = poetryconstraint.parse(lock.poetry_python or "*")
    return next(v for v in ("3.12", "3.11", "3.10", "3.9") if allowed.allows(Version(v + ".0")))


def selections(lock: LockFile) -> list[tuple[list[str], Selection]]:
    """poetry's flags and our Selection for the same choice. poetry's default is main and
    every non-optional group, and --with and -E add to it; ours is main alone, so each
    choice is spelled with --only for poetry."""
    project = lock.poetry_project
    assert project is not None
    groups = [g for g, _ in project.groups if g != "main"]
    extras = [e for e, _ in project.extras]
    chosen: list[tuple[list[str], Selection]] = [(["--only", "main"], Selection())]
    chosen += [(["--only", f"main,{g}"], Selection.of(groups=[g])) for g in groups[:MAX_EACH]]
    chosen += [(["--only", "main", "-E", e], Selection.of(extras=[e])) for e in extras[:MAX_EACH]]
    if groups:
        chosen.append((["--all-groups"], Selection.of(all_groups=True)))
        chosen.append((["--only", groups[0]], Selection.of(only_groups=[groups[0]])))
    if len(groups) > 1:
        rest = ",".join(["main", *groups[1:]])
        chosen.append((["--only", rest], Selection.of(all_groups=True, without=[groups[0]])))
    if extras:
        chosen.append((["--only", "main", "--all-extras"], Selection.of(all_extras=True)))
    return chosen


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_our_package_set_is_what_poetry_installs(project: Path, tmp_path: Path) -> None:
    if not project.is_dir():
        pytest.skip(f"{project} is absent (../shared/samples/wild is not beside this clone)")
    copy = tmp_path / project.name
    shutil.copytree(project, copy)
    if not (copy / "pyproject.toml").exists():
        main = [p.name for p in read_lock(copy / "poetry.lock").poetry_graph if "main" in p.groups]
        adopt(copy, poetryconstraint_text(copy / "poetry.lock"), main)
    lock = read_lock(copy / "poetry.lock")
    python = python_for(lock)
    checked = 0
    for flags, selection in selections(lock):
        for system in SYSTEMS:
            env = marker_environment(make_target(system, python))
            try:
                wanted = install(copy, flags, env)
            except OracleError as exc:
                pytest.fail(f"poetry install {flags} {system} failed: {exc}")
            try:
                found = applicable(lock, env, selection)
            except UserError as exc:
                pytest.fail(f"{flags} {system}: we refused ({exc}), poetry did not")
            ours = {(p.name, p.version) for p in found.packages}
            ours |= {(u.name, u.version or "") for u in found.unfetchable}
            missing = sorted(wanted - ours)[:8]
            extra = sorted(ours - wanted)[:8]
            assert not missing and not extra, f"{flags} {system}: missing {missing}, extra {extra}"
            checked += 1
    assert checked >= 3
