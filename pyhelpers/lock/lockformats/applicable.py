"""Which locked packages a target gets: markers, uv's forks and its dependency graph."""

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ...errors import UserError
from ...target import markers
from . import pdmselect, poetryconstraint
from .fields import _clip, _first_line, _show
from .model import (
    _FIX,
    _UV_LOCAL,
    POETRY,
    PYLOCK,
    UV,
    VIRTUAL_ROOT,
    LockedPackage,
    LockFile,
    Unfetchable,
    UvDependency,
    UvPackage,
)
from .poetryinstall import poetry_install
from .poetrywalk import Walk, poetry_walk
from .selection import Selection, conflict_item

DEFAULT = Selection()


@dataclass(frozen=True)
class LockGraph:
    """What a lock with edges (uv.lock) says about a target beyond its package set: the
    packages each one depends on, through its extras too (complete, so convert needs no
    wheel metadata)."""

    edges: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Applicable:
    """What a target installs from a lock: packages an index serves, and those it cannot
    (git, local files), which a Nix build fetches itself (listed with --allow-sdist)."""

    packages: list[LockedPackage]
    unfetchable: list[Unfetchable]
    # The lock's own edges (uv.lock; poetry.lock with its project), from the same walk.
    graph: LockGraph | None = None


def applicable_packages(
    lock: LockFile, env: dict[str, str], selection: Selection = DEFAULT
) -> list[LockedPackage]:
    """The packages a target whose complete marker environment is ``env`` installs with
    ``selection``, sorted by name; a ``UserError`` if the lock does not cover the target
    or the target needs a package no index serves."""
    return refuse_unfetchable(lock, env, applicable(lock, env, selection)).packages


def refuse_unfetchable(lock: LockFile, env: dict[str, str], found: Applicable) -> Applicable:
    """``found``, or a ``UserError`` for the first package it needs that no index serves."""
    for entry in found.unfetchable:
        raise UserError(
            f"{lock.path}: {entry.name} {entry.reason}, and {_describe(env)} needs it;"
            " convert takes wheels from an index: lock it from one, drop it, or pass"
            " --allow-sdist to list it for your Nix to fetch"
        )
    return found


def applicable(lock: LockFile, env: dict[str, str], selection: Selection = DEFAULT) -> Applicable:
    """``applicable_packages``, with what no index serves listed rather than refused."""
    _check_covered(lock, env)
    if lock.format == UV:
        return _uv_applicable(lock, env, selection)
    if lock.format == POETRY and (lock.poetry_project is not None or lock.poetry_locked_groups):
        return _poetry_applicable(lock, env, selection)
    if lock.pdm is not None:
        return _pdm_applicable(lock, env, selection)
    _no_selection(lock, selection)
    unfetchable = [e for e in lock.unfetchable if _holds(lock, e.marker, env, e.name)]
    chosen: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if not _holds(lock, package.marker, env, package.name):
            continue
        other = chosen.setdefault(package.name, package)
        if other.version != package.version:
            if lock.format == POETRY:
                raise UserError(
                    f"{lock.path}: {package.name} is locked as {other.version} and"
                    f" {package.version}, and which one {_describe(env)} gets follows from the"
                    " project's own dependencies: keep the project's pyproject.toml beside the"
                    " lock"
                )
            raise UserError(
                f"{lock.path}: {package.name} is locked as both {other.version} and"
                f" {package.version} for {_describe(env)}; {_FIX[lock.format]}"
            )
    return Applicable(sorted(chosen.values(), key=lambda p: p.name), unfetchable)


def _poetry_applicable(lock: LockFile, env: dict[str, str], selection: Selection) -> Applicable:
    walk = _poetry(lock, env, selection)
    graph = lock.poetry_graph
    packages = [graph[n].locked for n in walk.reached]
    missing = [graph[n].unfetchable for n in walk.reached]
    return Applicable(
        sorted((p for p in packages if p is not None), key=lambda p: p.name),
        [u for u in missing if u is not None],
        LockGraph(walk.edges),
    )


def _pdm_applicable(lock: LockFile, env: dict[str, str], selection: Selection) -> Applicable:
    def holds(marker: str | None, extras: frozenset[str], what: str) -> bool:
        return _holds(lock, marker, env, what, extras)

    assert lock.pdm is not None
    found = pdmselect.reached(lock.path, lock.pdm, env, selection, holds, _describe(env))
    return Applicable(found.packages, found.unfetchable, LockGraph(found.edges))


def _poetry(lock: LockFile, env: dict[str, str], selection: Selection) -> Walk:
    def holds(marker: str | None, extras: frozenset[str], what: str) -> bool:
        return _holds(lock, marker, env, what, extras)

    if lock.poetry_locked_groups:
        return poetry_install(lock, selection, holds)
    python = Version(env["python_full_version"])
    return poetry_walk(lock, python, selection, holds, _describe(env))


def _no_selection(lock: LockFile, selection: Selection) -> None:
    if selection.is_default:
        return
    if lock.format == POETRY:
        raise UserError(
            f"{lock.path}: --extra and --group choose from the project's own dependencies,"
            " which poetry keeps in pyproject.toml: put the project's pyproject.toml beside"
            " the lock"
        )
    raise UserError(
        f"{lock.path}: --extra, --group and --package choose from a uv.lock, poetry.lock or"
        f" pdm.lock; a {lock.format} holds what it installs already: drop those flags"
    )


def _describe(env: Mapping[str, str]) -> str:
    platform = env.get("sys_platform", "?")
    machine = env.get("platform_machine", "?")
    return f"{platform} {machine} Python {env.get('python_full_version', '?')}"


def _check_covered(lock: LockFile, env: dict[str, str]) -> None:
    try:
        python: Version | None = Version(env.get("python_full_version", ""))
    except InvalidVersion:
        python = None
    if (
        lock.requires_python is not None
        and python is not None
        and not SpecifierSet(lock.requires_python).contains(python, prereleases=True)
    ):
        raise UserError(
            f"{lock.path}: the lock requires Python {lock.requires_python}, not {python};"
            " lock for this Python or choose another --python"
        )
    if (
        lock.poetry_python is not None
        and python is not None
        and not poetryconstraint.parse(lock.poetry_python).allows(python)
    ):
        raise UserError(
            f"{lock.path}: the lock is for Python {lock.poetry_python}, not {python};"
            " lock for this Python or choose another --python"
        )
    if lock.environments and not any(
        _holds(lock, marker, env, "the lock's environments") for marker in lock.environments
    ):
        raise UserError(
            f"{lock.path}: the lock covers only {_clip(' or '.join(lock.environments))}, not"
            f" {_describe(env)}; add this target to the lock's environments and re-lock"
        )


def _holds(
    lock: LockFile,
    marker: str | None,
    env: Mapping[str, str],
    what: str,
    chosen: frozenset[str] | None = None,
) -> bool:
    if marker is None:
        return True
    if chosen is not None:
        marker = markers.settle_extra(marker, chosen)
    try:
        return markers.evaluate(
            marker, env, lock_file=lock.format == PYLOCK, groups=frozenset(lock.default_groups)
        )
    except (
        InvalidMarker,
        UndefinedComparison,
        UndefinedEnvironmentName,
        TypeError,
        ValueError,
        RecursionError,
    ) as exc:
        raise UserError(
            f"{lock.path}: the marker {_show(marker)} of {what} cannot be evaluated"
            f" ({_first_line(exc)}); {_FIX[lock.format]}"
        ) from None


def _uv_applicable(lock: LockFile, env: dict[str, str], selection: Selection) -> Applicable:
    reached, graph = _uv_walk(lock, env, selection)
    return Applicable(
        sorted(
            (entry.locked for entry in reached.values() if entry.locked is not None),
            key=lambda p: p.name,
        ),
        [_uv_unfetchable(entry) for entry in reached.values() if entry.locked is None],
        graph,
    )


def _uv_unfetchable(entry: UvPackage) -> Unfetchable:
    if entry.kind == "git":
        # uv writes the repository, the asked ref as ?rev=..., and the commit as #...
        url, _, commit = entry.location.partition("#")
        fetch = (("type", "git"), ("url", url.split("?")[0]), ("commit", commit))
        return Unfetchable(entry.name, None, "comes from git", fetch, entry.version)
    return Unfetchable(entry.name, None, f"comes from {entry.kind}", (), entry.version)


def _uv_walk(
    lock: LockFile, env: dict[str, str], selection: Selection
) -> tuple[dict[str, UvPackage], LockGraph]:
    """Walk uv's graph from the selected projects along the edges whose markers hold.

    uv.lock is universal: a package's presence alone says nothing, only the path to it
    does (a win32-only edge, a fork per Python version, a fork per conflicting extra)."""
    graph = lock.uv_graph
    by_name: dict[str, list[int]] = {}
    for number, entry in enumerate(graph):
        by_name.setdefault(entry.name, []).append(number)
    roots = uv_roots(lock, selection)
    todo, chosen = _root_items(lock, roots, selection)
    if not roots:  # no project in the lock: every package whose fork fits is wanted
        todo = [(n, None) for n, entry in enumerate(graph) if _fork_holds(lock, entry, env, chosen)]
    seen = set(todo)
    reached: dict[str, UvPackage] = {}
    edges: dict[str, set[str]] = {}
    while todo:
        number, extra = todo.pop()
        entry = graph[number]
        if entry.kind not in _UV_LOCAL:
            other = reached.setdefault(entry.name, entry)
            if other is not entry:
                raise UserError(
                    f"{lock.path}: {entry.name} is reached as both {other.version} and"
                    f" {entry.version} for {_describe(env)}; {_FIX[lock.format]}"
                )
        for edge in _edges(entry, extra):
            if not _holds(lock, edge.marker, env, f"{entry.name}'s dependency {edge.name}", chosen):
                continue
            target = _uv_edge_target(lock, graph, by_name, entry, edge, env, chosen)
            edges.setdefault(entry.name, set()).add(graph[target].name)
            for item in [(target, None), *((target, x) for x in edge.extras)]:
                if item not in seen:
                    seen.add(item)
                    todo.append(item)
    return reached, LockGraph({name: frozenset(names) for name, names in edges.items()})


def _fork_holds(
    lock: LockFile, entry: UvPackage, env: dict[str, str], chosen: frozenset[str]
) -> bool:
    return not entry.resolution_markers or any(
        _holds(lock, marker, env, entry.name, chosen) for marker in entry.resolution_markers
    )


# A walk item's second part: None for a package's dependencies, an extra's name, or
# _GROUP + a dependency group's name.
_GROUP = "group:"


def _edges(entry: UvPackage, part: str | None) -> tuple[UvDependency, ...]:
    if part is None:
        return entry.dependencies
    if part.startswith(_GROUP):
        return dict(entry.dev_dependencies).get(part.removeprefix(_GROUP), ())
    return dict(entry.optional_dependencies).get(part, ())


def uv_roots(lock: LockFile, selection: Selection) -> list[int]:
    """The graph entries of the projects a selection installs: the workspace root by
    default, the named members with --package, all members with --all-packages."""
    graph = lock.uv_graph
    # A virtual root's dependency groups go with every selection but --package.
    virtual = [n for n, entry in enumerate(graph) if entry.name == VIRTUAL_ROOT]
    local = [n for n, e in enumerate(graph) if e.kind in _UV_LOCAL and e.name != VIRTUAL_ROOT]
    root = [n for n in local if graph[n].location == "."]
    members = set(lock.uv_members) or {graph[n].name for n in root}
    if selection.all_packages:
        wanted = members
    elif selection.packages:
        unknown = sorted(selection.packages - members)
        if unknown:
            raise UserError(
                f"{lock.path}: --package {unknown[0]} is not a member of the workspace"
                f" (members: {_clip(', '.join(sorted(members)))})"
            )
        return [n for n in local if graph[n].name in selection.packages]
    else:
        return (root or local) + virtual  # a lock of path projects only: each of them
    return [n for n in local if graph[n].name in wanted] + virtual


def _root_items(
    lock: LockFile, roots: list[int], selection: Selection
) -> tuple[list[tuple[int, str | None]], frozenset[str]]:
    """The walk's first items, and the extras and groups chosen, as uv's markers name
    them; an extra or group no selected project has, or two in conflict, are errors."""
    graph = lock.uv_graph
    items: list[tuple[int, str | None]] = []
    chosen: set[tuple[str, str, str]] = set()
    for number in roots:
        entry = graph[number]
        if selection.wants_project:
            items.append((number, None))
            for extra, _ in entry.optional_dependencies:
                if selection.wants_extra(extra):
                    items.append((number, extra))
                    chosen.add((entry.name, "extra", extra))
        for group, _ in entry.dev_dependencies:
            if selection.wants_group(group):
                items.append((number, _GROUP + group))
                chosen.add((entry.name, "group", group))
    _check_known(lock, roots, selection, chosen)
    for conflict in lock.uv_conflicts:
        clash = sorted(item for item in conflict if item in chosen)
        if len(clash) > 1:
            (package, kind, first), (_, _, second) = clash[0], clash[1]
            raise UserError(
                f"{lock.path}: the {kind}s {first} and {second} of {package} conflict"
                " (the lock's conflicts say so); choose one of them"
            )
    return items, frozenset(conflict_item(*item) for item in chosen)


def _check_known(
    lock: LockFile,
    roots: list[int],
    selection: Selection,
    chosen: set[tuple[str, str, str]],
) -> None:
    asked = [("extra", name) for name in sorted(selection.extras) if selection.wants_project]
    asked += [("group", name) for name in sorted(selection.groups | selection.only_groups)]
    for kind, name in asked:
        if not any(item[1:] == (kind, name) for item in chosen):
            projects = ", ".join(sorted(lock.uv_graph[n].name for n in roots)) or "none"
            raise UserError(
                f"{lock.path}: no selected project ({_clip(projects)}) has the {kind} {name};"
                " check the name, or choose the project with --package or --all-packages"
            )


def _uv_edge_target(
    lock: LockFile,
    graph: tuple[UvPackage, ...],
    by_name: dict[str, list[int]],
    entry: UvPackage,
    edge: UvDependency,
    env: dict[str, str],
    chosen: frozenset[str],
) -> int:
    """The entry an edge names: by version and source when uv forked, else by name."""
    candidates = by_name.get(edge.name, [])
    if edge.version is not None:
        candidates = [n for n in candidates if graph[n].version == edge.version]
    if edge.source is not None:
        candidates = [n for n in candidates if graph[n].source == edge.source]
    if len(candidates) > 1:
        candidates = [n for n in candidates if _fork_holds(lock, graph[n], env, chosen)]
    if len(candidates) == 1:
        return candidates[0]
    wanted = edge.name if edge.version is None else f"{edge.name} {edge.version}"
    count = "no entry" if not candidates else "several entries"
    raise UserError(
        f"{lock.path}: {entry.name} depends on {wanted}, for which the lock has {count}"
        f" for {_describe(env)}; {_FIX[lock.format]}"
    )
