"""Which of a poetry.lock's packages a target installs, the way poetry's installer
decides it: a resolution over the lock's packages alone, from the project's own
dependencies (its pyproject.toml) and the chosen groups and extras, through each
package's dependencies with their constraints and markers, each candidate within its
``python-versions``. A lock may hold several versions of one package (docling's numpy
1.26.4, 2.0.2 and 2.2.6): the resolution picks, for each target, the newest that every
dependent accepts, as poetry's solver does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, Resolver
from resolvelib.resolvers import ResolutionTooDeep

from ...errors import UserError
from .fields import _clip
from .model import LockFile, PoetryDependency, PoetryPackage, PoetryProject
from .poetryconstraint import Constraint, parse
from .poetrydeps import split_entry
from .poetryproject import MAIN
from .selection import Selection


@dataclass(frozen=True)
class _Req:
    name: str
    constraint: Constraint
    extras: frozenset[str]
    parent: str  # who asks, for messages: "the project" or "name version"

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)


@dataclass(frozen=True)
class _Cand:
    number: int  # the entry's place in the lock's graph
    name: str
    version: Version
    extras: frozenset[str]

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)


def _identifier(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


if TYPE_CHECKING:
    _Provider = AbstractProvider[_Req, _Cand, str]
else:  # resolvelib before 1.1 has no generic classes at run time
    _Provider = AbstractProvider

# Whether a marker (with `extra` settled for a set of extras) holds for the target.
Holds = Callable[[str | None, frozenset[str], str], bool]


@dataclass
class _LockProvider(_Provider):
    graph: tuple[PoetryPackage, ...]
    python: Version
    holds: Holds

    def __post_init__(self) -> None:
        self.by_name: dict[str, list[int]] = {}
        for number, entry in enumerate(self.graph):
            self.by_name.setdefault(entry.name, []).append(number)

    def identify(self, requirement_or_candidate: _Req | _Cand) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Cand],
        candidates: Mapping[str, Iterator[_Cand]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Any:
        return (len(self.by_name.get(identifier.split("[")[0], ())) > 1, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Req]],
        incompatibilities: Mapping[str, Iterator[_Cand]],
    ) -> list[_Cand]:
        reqs = list(requirements[identifier])
        bad = {c.number for c in incompatibilities[identifier]}
        name = identifier.split("[")[0]
        extras = frozenset().union(*(r.extras for r in reqs))
        found = []
        for number in self.by_name.get(name, ()):
            entry = self.graph[number]
            version = Version(entry.version)
            if number in bad or not parse(entry.python_versions).allows(self.python):
                continue
            if all(r.constraint.allows(version) for r in reqs):
                found.append(_Cand(number, name, version, extras))
        return sorted(found, key=lambda c: c.version, reverse=True)

    def is_satisfied_by(self, requirement: _Req, candidate: _Cand) -> bool:
        return requirement.constraint.allows(candidate.version)

    def get_dependencies(self, candidate: _Cand) -> Iterable[_Req]:
        entry = self.graph[candidate.number]
        who = f"{entry.name} {entry.version}"
        if candidate.extras:
            # An extra is the package itself plus more: tie both to the one entry.
            exact = parse(f"=={entry.version}")
            deps = [_Req(entry.name, exact, frozenset(), who)]
            return deps + self._edges(entry, _active_extras(entry, candidate.extras), who)
        return self._edges(entry, frozenset(), who)

    def _edges(self, entry: PoetryPackage, extras: frozenset[str], who: str) -> list[_Req]:
        wanted: set[str] = set()
        for extra, entries in entry.extras:
            if extra in extras:
                wanted.update(split_entry(e)[0] for e in entries)
        return [
            _Req(d.name, parse(d.constraint), frozenset(d.extras), who)
            for d in entry.dependencies
            if (not d.optional or d.name in wanted)
            and self._applies(d, extras, f"{who}'s dependency {d.name}")
        ]

    def _applies(self, dep: PoetryDependency, extras: frozenset[str], what: str) -> bool:
        if dep.python is not None and not parse(dep.python).allows(self.python):
            return False
        return self.holds(dep.marker, extras, what)


def _active_extras(entry: PoetryPackage, asked: frozenset[str]) -> frozenset[str]:
    """The asked extras and those they bring of the package itself ("pkg[numpy]")."""
    table = dict(entry.extras)
    active = set(asked)
    todo = list(asked)
    while todo:
        for item in table.get(todo.pop(), ()):
            name, extras = split_entry(item)
            if name == entry.name:
                for extra in set(extras) - active:
                    active.add(extra)
                    todo.append(extra)
    return frozenset(active)


@dataclass(frozen=True)
class Walk:
    reached: tuple[int, ...]  # graph entries installed, one per name
    edges: Mapping[str, frozenset[str]]


def poetry_walk(
    lock: LockFile, python: Version, selection: Selection, holds: Holds, describe: str
) -> Walk:
    """Resolve a poetry.lock for one target from its project's dependencies."""
    project = lock.poetry_project
    assert project is not None
    provider = _LockProvider(lock.poetry_graph, python, holds)
    roots = _roots(lock, project, selection, provider)
    resolver: Resolver[_Req, _Cand, str] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(roots, max_rounds=2000)
    except ResolutionImpossible as exc:
        causes = list(exc.causes)
        detail = _conflict(causes[0].requirement) if causes else ""
        raise UserError(
            f"{lock.path}: the lock holds no set of versions that {describe} can install{detail};"
            " the lock may not cover this target: re-lock with `poetry lock` on a machine that"
            " includes it"
        ) from None
    except ResolutionTooDeep as exc:
        raise UserError(
            f"{lock.path}: gave up after {exc.round_count} rounds choosing among the lock's"
            f" versions for {describe}"
        ) from None
    reached: dict[str, int] = {}
    edges: dict[str, set[str]] = {}
    for ident, cand in result.mapping.items():
        reached.setdefault(cand.name, cand.number)
        children = edges.setdefault(cand.name, set())
        for child in result.graph.iter_children(ident):
            if child is not None and child.split("[")[0] != cand.name:
                children.add(child.split("[")[0])
    return Walk(
        tuple(sorted(reached.values())),
        {name: frozenset(children) for name, children in edges.items()},
    )


def _conflict(req: _Req) -> str:
    return f" ({_clip(f'{req.parent} needs {req.name} {req.constraint}')})"


def _roots(
    lock: LockFile, project: PoetryProject, selection: Selection, provider: _LockProvider
) -> list[_Req]:
    if selection.packages or selection.all_packages:
        raise UserError(
            f"{lock.path}: --package and --all-packages choose workspace members of a uv.lock;"
            " a poetry project has none: drop them"
        )
    groups = dict(project.groups)
    extras = dict(project.extras)
    for kind, names, known in (
        ("group", selection.groups | selection.only_groups, groups),
        ("extra", selection.extras | selection.no_extras, extras),
    ):
        for name in sorted(names - set(known)):
            listed = ", ".join(sorted(set(known) - {MAIN})) or "none"
            raise UserError(
                f"{lock.path}: {project.path} has no {kind} {name} ({kind}s: {_clip(listed)});"
                " check the name"
            )
    wanted_extras = {e for e in extras if selection.wants_extra(e)}
    optional = {name for e in wanted_extras for name in extras[e]}
    chosen = [
        g
        for g in groups
        if (g == MAIN and (selection.wants_project or MAIN in selection.only_groups))
        or (g != MAIN and selection.wants_group(g))
    ]
    roots = []
    for group in chosen:
        for dep in groups[group]:
            if dep.optional and dep.name not in optional:
                continue
            if provider._applies(dep, frozenset(wanted_extras), f"the project's {dep.name}"):
                roots.append(
                    _Req(dep.name, parse(dep.constraint), frozenset(dep.extras), "the project")
                )
    return roots
