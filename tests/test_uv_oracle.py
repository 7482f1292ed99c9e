"""uv is the oracle: for every uv.lock we have (tests/data and ../shared/samples/wild), each
selection (extras, groups, workspace members) and Linux and Darwin targets, the packages
we take are exactly those `uv export --frozen --no-default-groups <same flags>` lists."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from samples import SAMPLES
from uvoracle import OracleError, export, uv

from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import read_lock
from pyhelpers.lock.lockformats.applicable import applicable_packages, uv_roots
from pyhelpers.lock.lockformats.model import LockFile
from pyhelpers.lock.lockformats.selection import Selection
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
PROJECTS = [
    SAMPLES / "demo",
    SAMPLES / "scientific",
    *sorted(p.parent for p in WILD.glob("*/uv.lock")),
]
TARGETS = [("x86_64-linux", "3.12"), ("aarch64-linux", "3.12"), ("aarch64-darwin", "3.12")]
# Per lock, at most this many extras are tried one by one (lerobot has dozens).
MAX_EACH = 6

pytestmark = pytest.mark.skipif(uv() is None, reason="needs uv (pip install uv)")


def pyproject_from_lock(path: Path) -> str:
    """The root project's pyproject.toml as uv recorded it in the lock ([package.metadata]
    requires-dist of the workspace root): a lock committed without its project (the demo
    sample) is then exported by uv too. With --frozen uv does not check it against the
    lock, so only what the lock says is used."""
    data = tomllib.loads(path.read_text())
    root = next(p for p in data["package"] if p.get("source", {}).get("virtual") == ".")
    requirements = [
        r["name"] + r.get("specifier", "") + (f"; {r['marker']}" if "marker" in r else "")
        for r in root.get("metadata", {}).get("requires-dist", [])
    ]
    return (
        f"[project]\nname = {json.dumps(root['name'])}\nversion = {json.dumps(root['version'])}\n"
        f"requires-python = {json.dumps(data['requires-python'])}\n"
        f"dependencies = {json.dumps(requirements)}\n\n[tool.uv]\npackage = false\n"
    )


def selections(lock: LockFile) -> list[tuple[list[str], Selection]]:
    """uv's flags and our Selection for the same choice, derived from the lock."""
    graph = lock.uv_graph
    roots = [graph[n] for n in uv_roots(lock, Selection())]
    every = [graph[n] for n in uv_roots(lock, Selection(all_packages=True))]
    extras = sorted({e for r in roots for e, _ in r.optional_dependencies})
    groups = sorted({g for r in roots for g, _ in r.dev_dependencies})
    chosen: list[tuple[list[str], Selection]] = [([], Selection())]
    chosen += [(["--extra", e], Selection.of(extras=[e])) for e in extras[:MAX_EACH]]
    if extras:
        chosen.append((["--all-extras"], Selection.of(all_extras=True)))
        chosen.append(
            (
                ["--all-extras", "--no-extra", extras[0]],
                Selection.of(all_extras=True, no_extras=[extras[0]]),
            )
        )
    chosen += [(["--group", g], Selection.of(groups=[g])) for g in groups[:MAX_EACH]]
    if groups:
        chosen.append((["--all-groups"], Selection.of(all_groups=True)))
        chosen.append((["--only-group", groups[0]], Selection.of(only_groups=[groups[0]])))
        chosen.append(
            (
                ["--all-groups", "--no-group", groups[0]],
                Selection.of(all_groups=True, without=[groups[0]]),
            )
        )
    if len(every) > 1:
        chosen.append((["--all-packages"], Selection.of(all_packages=True)))
        chosen.append(
            (["--all-packages", "--all-groups"], Selection.of(all_packages=True, all_groups=True))
        )
        for member in every:
            chosen.append((["--package", member.name], Selection.of(packages=[member.name])))
        member_extras = sorted({e for m in every for e, _ in m.optional_dependencies})
        for extra in member_extras[:MAX_EACH]:
            chosen.append(
                (
                    ["--all-packages", "--extra", extra],
                    Selection.of(all_packages=True, extras=[extra]),
                )
            )
    return chosen


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_our_package_set_is_what_uv_export_installs(project: Path, tmp_path: Path) -> None:
    if not project.is_dir():
        pytest.skip(f"{project} is absent (../shared/samples/wild is not beside this clone)")
    # uv reads the project's pyproject.toml files beside the lock; ../shared is read-only.
    copy = tmp_path / project.name
    shutil.copytree(project, copy)
    if not (copy / "pyproject.toml").exists():
        (copy / "pyproject.toml").write_text(pyproject_from_lock(copy / "uv.lock"))
    lock = read_lock(copy / "uv.lock")
    checked = 0
    for flags, selection in selections(lock):
        for system, python in TARGETS:
            env = marker_environment(make_target(system, python))
            try:
                wanted: set[tuple[str, str]] | None = export(copy, flags, env)
            except OracleError:
                wanted = None  # uv refuses the selection (conflicting extras): so must we
            try:
                ours: set[tuple[str, str]] | None = {
                    (p.name, p.version) for p in applicable_packages(lock, env, selection)
                }
            except UserError as exc:
                assert wanted is None, f"{flags} {system}: we refused ({exc}), uv did not"
                ours = None
            missing = sorted((wanted or set()) - (ours or set()))[:8]
            extra = sorted((ours or set()) - (wanted or set()))[:8]
            assert ours == wanted, (
                f"{project.name} {flags} {system}: missing {missing}, extra {extra}"
            )
            checked += 1
    assert checked >= 3


def test_conflicting_extras_are_one_line_naming_them(tmp_path: Path) -> None:
    project = WILD / "nanochat-torch-cu128-cpu"
    if not project.is_dir():
        pytest.skip(f"{project} is absent (../shared/samples/wild is not beside this clone)")
    lock = read_lock(project / "uv.lock")
    env = marker_environment(make_target("x86_64-linux", "3.12"))
    with pytest.raises(UserError, match="the extras cpu and gpu of nanochat conflict"):
        applicable_packages(lock, env, Selection.of(extras=["cpu", "gpu"]))
    with pytest.raises(UserError, match="has the extra nope"):
        applicable_packages(lock, env, Selection.of(extras=["nope"]))
    torch = {p.name: p for p in applicable_packages(lock, env, Selection.of(extras=["gpu"]))}
    assert torch["torch"].version == "2.9.1+cu128"
    torch = {p.name: p for p in applicable_packages(lock, env, Selection.of(extras=["cpu"]))}
    assert torch["torch"].version == "2.9.1+cpu"
