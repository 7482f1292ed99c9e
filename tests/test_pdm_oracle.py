"""pdm is the oracle: for every pdm.lock we have (../shared/samples/wild), each selection
(groups, extras, dependency groups, --without, --no-default) and Linux and Darwin targets,
the packages we take are exactly those `pdm export --no-hashes <same flags>` lists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pdmoracle import OracleError, export, for_target, pdm, prepare

from pyhelpers.errors import UserError
from pyhelpers.lock.lockformats import applicable, read_lock
from pyhelpers.lock.lockformats.model import LockFile
from pyhelpers.lock.lockformats.selection import Selection
from pyhelpers.target.environment import marker_environment
from pyhelpers.target.target import make_target

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
PROJECTS = sorted(p.parent for p in WILD.glob("*/pdm.lock")) or [WILD / "(no pdm.lock)"]
TARGETS = [("x86_64-linux", "3.12"), ("aarch64-linux", "3.12"), ("aarch64-darwin", "3.12")]
MAX_EACH = 30  # every extra and group of the locks we have (litestar: 19 and 5)

pytestmark = pytest.mark.skipif(pdm() is None, reason="needs pdm (pip install pdm)")


def selections(lock: LockFile) -> list[tuple[list[str], Selection]]:
    """pdm's flags and our Selection for the same choice. Our default is pdm's --prod;
    pdm adds every dev group unless --prod, or unless a dev group is named."""
    assert lock.pdm is not None and lock.pdm.project is not None
    extras = [e for e, _ in lock.pdm.project.extras if e in lock.pdm.groups]
    groups = [g for g, _ in lock.pdm.project.groups if g in lock.pdm.groups]
    chosen: list[tuple[list[str], Selection]] = [(["--prod"], Selection())]
    chosen += [(["--prod", "-G", e], Selection.of(groups=[e])) for e in extras[:MAX_EACH]]
    chosen += [(["-G", g], Selection.of(groups=[g])) for g in groups[:MAX_EACH]]
    chosen.append((["-G", ":all"], Selection.of(groups=[":all"])))
    if extras:
        chosen.append((["--prod", "-G", ":all"], Selection.of(all_extras=True)))
        chosen.append(
            (
                ["-G", ":all", "--without", extras[0]],
                Selection.of(groups=[":all"], without=[extras[0]]),
            )
        )
    if groups:
        chosen.append(([f for g in groups for f in ("-G", g)], Selection.of(all_groups=True)))
        chosen.append(
            (["--no-default", "-G", groups[0]], Selection.of(groups=[groups[0]], no_default=True))
        )
        chosen.append((["--no-default", "-G", groups[0]], Selection.of(only_groups=[groups[0]])))
    return chosen


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_our_package_set_is_what_pdm_export_installs(project: Path, tmp_path: Path) -> None:
    if not project.is_dir():
        pytest.skip(f"{project} is absent (../shared/samples/wild is not beside this clone)")
    copy = tmp_path / project.name  # pdm writes its cache and settings beside the lock
    shutil.copytree(project, copy)
    prepare(copy)
    lock = read_lock(copy / "pdm.lock")
    checked = 0
    for flags, selection in selections(lock):
        try:
            listed = export(copy, flags)
        except OracleError as exc:
            pytest.fail(f"pdm export {flags} failed: {exc}")
        for system, python in TARGETS:
            env = marker_environment(make_target(system, python))
            wanted = for_target(listed, env)
            try:
                found = applicable(lock, env, selection)
            except UserError as exc:
                pytest.fail(f"{flags} {system}: we refused ({exc}), pdm did not")
            ours = {(p.name, p.version) for p in found.packages}
            ours |= {(u.name, "") for u in found.unfetchable}
            missing = sorted(wanted - ours)[:8]
            extra = sorted(ours - wanted)[:8]
            assert not missing and not extra, f"{flags} {system}: missing {missing}, extra {extra}"
            checked += 1
    assert checked >= 3 * 4
