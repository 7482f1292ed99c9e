"""What poetry >= 2's installer takes from a lock-version 2.1 poetry.lock: each package
that one of the chosen groups reaches, where its marker for those groups holds (with the
chosen extras). No resolution: poetry's ``Transaction.calculate_operations`` reads the
lock's ``groups`` and ``markers`` alone, so a main-group entry nothing in the manifest
names any more is installed all the same. Older locks are walked (``poetrywalk.py``)."""

from __future__ import annotations

from ...errors import UserError
from .fields import _clip, _show
from .model import LockFile, PoetryPackage
from .poetrywalk import Holds, Walk
from .selection import Selection

MAIN = "main"


def poetry_install(lock: LockFile, selection: Selection, holds: Holds) -> Walk:
    """The packages poetry's installer installs from a 2.1 lock for one target."""
    graph = lock.poetry_graph
    groups, extras = _chosen(lock, selection)
    reached: dict[str, int] = {}
    for number, package in enumerate(graph):
        if _installed(package, groups, extras, holds):
            other = reached.setdefault(package.name, number)
            if graph[other].version != package.version:
                raise UserError(
                    f"{lock.path}: {package.name} is locked as both {graph[other].version} and"
                    f" {package.version}, and the markers of both hold for this target;"
                    " regenerate it with `poetry lock`"
                )
    edges = {
        graph[n].name: frozenset(
            d.name
            for d in graph[n].dependencies
            if d.name in reached
            and d.name != graph[n].name
            and holds(d.marker, extras, f"{graph[n].name}'s {d.name}")
        )
        for n in reached.values()
    }
    return Walk(tuple(sorted(reached.values())), edges)


def _installed(
    package: PoetryPackage, groups: frozenset[str], extras: frozenset[str], holds: Holds
) -> bool:
    markers = dict(package.markers)
    mine = [g for g in package.groups if g in groups]
    if not mine:
        return False
    return any(holds(markers.get(g), extras, package.name) for g in mine)


def _chosen(lock: LockFile, selection: Selection) -> tuple[frozenset[str], frozenset[str]]:
    """The groups and extras ``selection`` names, each checked against the lock (and the
    project beside it, whose groups the lock may not reach)."""
    if selection.packages or selection.all_packages:
        raise UserError(
            f"{lock.path}: --package and --all-packages choose workspace members of a uv.lock;"
            " a poetry project has none: drop them"
        )
    project = lock.poetry_project
    known_groups = {g for p in lock.poetry_graph for g in p.groups}
    known_extras = {e for e, _ in lock.poetry_extras}
    if project is not None:
        known_groups |= {g for g, _ in project.groups}
        known_extras |= {e for e, _ in project.extras}
    for kind, names, known in (
        ("group", selection.groups | selection.only_groups | selection.without, known_groups),
        ("extra", selection.extras | selection.no_extras, known_extras),
    ):
        for name in sorted(names - known - {MAIN}):
            listed = ", ".join(sorted(known - {MAIN})) or "none"
            raise UserError(
                f"{lock.path}: the lock has no {kind} {_show(name)} ({kind}s: {_clip(listed)});"
                " check the name"
            )
    groups = {
        g
        for g in known_groups | {MAIN}
        if (g == MAIN and (selection.wants_project or MAIN in selection.only_groups))
        or (g != MAIN and selection.wants_group(g))
    } - selection.without
    extras = {e for e in known_extras if selection.wants_extra(e)}
    return frozenset(groups), frozenset(extras)
