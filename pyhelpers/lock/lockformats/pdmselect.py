"""Which packages of a pdm.lock a target gets, as ``pdm sync`` installs them.

pdm names everything it installs a group: "default" (the project's own dependencies),
each extra, each dependency group. With the inherit_metadata strategy (pdm ≥ 2.11, the
default) each package records the groups that reach it and the marker it is installed
under, and pdm installs exactly those whose groups meet the chosen ones and whose marker
holds (``LockedRepository.evaluate_candidates``). An older lock records neither, and pdm
resolves the project's requirements against it: here, a walk of the lock's edges from
the project's own dependencies in the pyproject.toml beside it.

Our default is ``pdm sync --prod``: the default group only (pdm's own default takes
every locked group, dev groups too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ...errors import UserError
from .fields import _show
from .model import (
    LockedPackage,
    PdmLock,
    PdmPackage,
    PdmTarget,
    PoetryDependency,
    Unfetchable,
)
from .poetrywalk import Holds
from .selection import Selection

DEFAULT = "default"
ALL = ":all"  # pdm's -G :all: every extra and (unless --prod) every dependency group


def chosen_groups(path: str, pdm: PdmLock, selection: Selection) -> frozenset[str]:
    """The pdm group names ``selection`` installs, checked against what was locked."""
    locked = frozenset(pdm.groups)
    project = pdm.project
    named = selection.extras | selection.groups | selection.only_groups
    chosen = {DEFAULT} if selection.wants_project else set()
    if ALL in named:
        chosen |= locked - {DEFAULT}
    if selection.all_extras or selection.all_groups:
        if project is None:
            raise UserError(
                f"{path}: --all-extras and --all-groups need the project's pyproject.toml"
                " beside the lock (to tell extras from dependency groups); name the groups"
                " with --group, or take every one with --group :all"
            )
        if selection.all_extras:
            chosen |= {e for e, _ in project.extras} & locked
        if selection.all_groups:
            chosen |= {g for g, _ in project.groups} & locked
    for name in sorted(named - {ALL}):
        if locked and name not in locked:
            raise UserError(
                f"{path}: {_show(name)} is not a group the lock has ({', '.join(sorted(locked))});"
                " lock it (`pdm lock -G NAME`) or leave it out"
            )
        chosen.add(name)
    return frozenset(chosen - selection.no_extras - selection.without)


def covers(pdm: PdmLock, python: Version, env: dict[str, str]) -> bool:
    """Whether one of the lock's [[metadata.targets]] is this target (no targets: any)."""
    return not pdm.targets or any(_target_covers(t, python, env) for t in pdm.targets)


def _target_covers(target: PdmTarget, python: Version, env: dict[str, str]) -> bool:
    if target.requires_python:
        try:
            if not SpecifierSet(target.requires_python).contains(python, prereleases=True):
                return False
        except InvalidSpecifier:
            pass  # pdm writes PEP 440; what it cannot have written decides nothing
    if target.implementation and target.implementation != env["implementation_name"]:
        return False
    platform = target.platform
    if not platform:
        return True
    system = env["sys_platform"]
    machine = env["platform_machine"].lower()
    if platform == "linux" or platform.startswith("manylinux"):
        return system == "linux" and (platform == "linux" or platform.endswith(machine))
    if platform.startswith("macos"):
        wanted = "arm64" if platform == "macos" else platform.rsplit("_", 1)[-1]
        return system == "darwin" and machine.replace("aarch64", "arm64") == wanted
    return False  # windows, musllinux: not a Nix target


def by_metadata(pdm: PdmLock, groups: frozenset[str], holds: Holds) -> list[PdmPackage]:
    """inherit_metadata: the packages whose groups meet ``groups`` and whose marker holds."""
    return [
        p
        for p in pdm.graph
        if (not p.groups or groups & set(p.groups)) and holds(p.marker, frozenset(), p.name)
    ]


def by_walk(path: str, pdm: PdmLock, groups: frozenset[str], holds: Holds) -> list[PdmPackage]:
    """An older lock: the project's requirements in ``groups``, then each locked
    package's own dependencies, as far as their markers hold."""
    project = pdm.project
    if project is None:
        raise UserError(
            f"{path}: this pdm.lock records no groups per package (no inherit_metadata), so"
            " what is installed follows from the project's own dependencies: keep the"
            " project's pyproject.toml beside the lock, or relock with `pdm lock`"
        )
    start = list(project.dependencies) if DEFAULT in groups else []
    for name, deps in (*project.extras, *project.groups):
        if name in groups:
            start += deps
    entries: dict[str, list[PdmPackage]] = {}
    for package in pdm.graph:
        entries.setdefault(package.name, []).append(package)
    reached: dict[tuple[str, tuple[str, ...]], PdmPackage] = {}
    todo: list[tuple[PoetryDependency, frozenset[str]]] = [(d, frozenset()) for d in start]
    while todo:
        dep, extras = todo.pop()
        if not holds(dep.marker, extras, dep.name):
            continue
        if dep.name == project.name:  # a self-reference: the project's own extras
            own = dict(project.extras)
            todo += [(d, frozenset()) for e in dep.extras for d in own.get(e, ())]
            continue
        for entry in _entries_for(path, entries, dep):
            key = (entry.name, entry.extras)
            if key not in reached:
                reached[key] = entry
                todo += [(d, frozenset(entry.extras)) for d in entry.dependencies]
    return list(reached.values())


def _entries_for(
    path: str, entries: dict[str, list[PdmPackage]], dep: PoetryDependency
) -> Iterable[PdmPackage]:
    """The locked entry a dependency takes, and its extras' entries."""
    candidates = entries.get(dep.name, [])
    plain = [p for p in candidates if not p.extras and _satisfies(p, dep)]
    if not plain:
        raise UserError(
            f"{path}: {dep.name} {dep.constraint} is needed but the lock holds no version of"
            " it that fits; regenerate it with `pdm lock`"
        )
    version = plain[0].version
    yield plain[0]
    for p in candidates:
        if p.extras and p.version == version and set(p.extras) & set(dep.extras):
            yield p


def _satisfies(package: PdmPackage, dep: PoetryDependency) -> bool:
    if package.version is None or dep.constraint == "*":
        return True
    try:
        return SpecifierSet(dep.constraint).contains(Version(package.version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True


@dataclass(frozen=True)
class Reached:
    packages: list[LockedPackage]  # by name
    unfetchable: list[Unfetchable]
    edges: dict[str, frozenset[str]]  # each package's dependencies among those installed


def reached(
    path: str,
    pdm: PdmLock,
    env: dict[str, str],
    selection: Selection,
    holds: Holds,
    described: str,
) -> Reached:
    """What a target (``env``, in words ``described``) installs, with the lock's own edges
    among those packages (for the Nix side's propagated inputs)."""
    python = Version(env["python_full_version"])
    if not covers(pdm, python, env):
        wanted = "; ".join(
            " ".join(v for v in (t.requires_python, t.platform, t.implementation) if v)
            for t in pdm.targets
        )
        raise UserError(
            f"{path}: the lock covers only {_show(wanted)}, not {described}; add this"
            " target (`pdm lock --append --platform ... --python ...`) or choose another"
        )
    groups = chosen_groups(path, pdm, selection)
    if pdm.inherit_metadata:
        entries = by_metadata(pdm, groups, holds)
    else:
        entries = by_walk(path, pdm, groups, holds)
    names = {p.name for p in entries}
    edges: dict[str, set[str]] = {}
    for entry in entries:
        edges.setdefault(entry.name, set()).update(
            d.name
            for d in entry.dependencies
            if d.name in names
            and d.name != entry.name
            and holds(d.marker, frozenset(entry.extras), d.name)
        )
    chosen: dict[str, LockedPackage] = {}
    for entry in entries:
        if entry.locked is None:
            continue
        other = chosen.setdefault(entry.name, entry.locked)
        if other.version != entry.locked.version:
            raise UserError(
                f"{path}: {entry.name} is locked as both {other.version} and"
                f" {entry.locked.version} for {described}; regenerate it with `pdm lock`"
            )
    missing = {e.name: e.unfetchable for e in entries if e.unfetchable is not None}
    return Reached(
        sorted(chosen.values(), key=lambda p: p.name),
        list(missing.values()),
        {name: frozenset(deps) for name, deps in edges.items()},
    )
