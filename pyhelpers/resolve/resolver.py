"""Resolve requirements to one wheel per package for one target, with resolvelib.

Each target is resolved on its own: markers, Requires-Python and wheel tags are the
target's, so x86_64/3.12 and aarch64/3.13t may end up with different versions.
Only versions that have a wheel for the target are candidates; with ``allow_sdist``, a
version with only a source distribution is a last resort (as pip's ``--prefer-binary``),
recorded apart and without dependencies: they are only known once it is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, Resolver
from resolvelib.resolvers import ResolutionTooDeep

from ..errors import UserError
from ..index.indexes import Index
from ..index.metadata import MetadataSource
from ..index.simple import IndexFile
from ..target.environment import marker_environment, marker_holds, requirement_applies
from ..target.tags import TagRanking
from ..target.target import Target
from .select import Release, best_sdist, best_wheel, explain_no_wheel, group_releases

log = logging.getLogger(__name__)

PYTHON = "<python>"  # pseudo-package that carries Requires-Python constraints


@dataclass(frozen=True)
class Req:
    name: str  # normalized, or PYTHON
    specifier: SpecifierSet
    extras: frozenset[str] = frozenset()
    text: str = ""

    @property
    def identifier(self) -> str:
        return f"{self.name}[{','.join(sorted(self.extras))}]" if self.extras else self.name

    @classmethod
    def of(cls, req: Requirement) -> Req:
        extras = frozenset(canonicalize_name(e) for e in req.extras)
        return cls(canonicalize_name(req.name), req.specifier, extras, str(req))


@dataclass(frozen=True)
class Candidate:
    name: str
    version: Version
    extras: frozenset[str] = frozenset()
    file: IndexFile | None = None  # None only for the PYTHON pseudo-candidate
    sdist: bool = False  # file is a source distribution, taken under allow_sdist

    @property
    def identifier(self) -> str:
        return f"{self.name}[{','.join(sorted(self.extras))}]" if self.extras else self.name


@dataclass(frozen=True)
class Pin:
    """What the lock records for one package of one target."""

    name: NormalizedName
    version: Version
    file: IndexFile
    index_url: str
    dependencies: tuple[NormalizedName, ...]


@dataclass(frozen=True)
class SdistOnly:
    """A package a target gets only as a source distribution (``--allow-sdist``): listed
    for the user's Nix to build, never fetched or inspected by us."""

    name: str
    version: str | None  # None: a git or path entry the lock pins by commit or path only
    filename: str | None
    url: str | None
    sha256: str | None
    # Not from an index (converted locks): what a Nix build needs to fetch it, e.g.
    # {"type": "git", "url": ..., "commit": ...} or {"type": "path", "path": ...}.
    source: dict[str, str] | None = None

    def as_dict(self) -> dict[str, object]:
        """The lock's entry; ``source`` only where there is one."""
        entry = dict(vars(self))
        if self.source is None:
            del entry["source"]
        return entry


@dataclass(frozen=True)
class Resolution:
    """One target's packages: wheels to lock, and, under ``allow_sdist``, the rest."""

    pins: list[Pin]
    sdist_only: list[SdistOnly] = field(default_factory=list)


if TYPE_CHECKING:
    _Provider = AbstractProvider[Req, Candidate, str]
else:  # resolvelib before 1.1 (nixpkgs 25.05) has no generic classes at run time
    _Provider = AbstractProvider


@dataclass
class WheelProvider(_Provider):
    index: Index
    metadata: MetadataSource
    target: Target
    allow_pre: bool = False
    allowed_hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    allow_sdist: bool = False
    on_progress: Callable[[str], None] = lambda _msg: None
    ranking: TagRanking = field(init=False)
    env: dict[str, str] = field(init=False)
    python: Version = field(init=False)
    no_wheel: dict[str, str] = field(default_factory=dict)
    _releases: dict[str, dict[Version, Release]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ranking = TagRanking.for_target(self.target)
        self.env = marker_environment(self.target)
        self.python = Version(self.target.python.full)

    def releases(self, name: str) -> dict[Version, Release]:
        if name not in self._releases:
            project = self.index.project(name)
            self._releases[name] = group_releases(project.name, project.files)
        return self._releases[name]

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Any:
        reqs = [info.requirement for info in information[identifier]]
        pinned = any(s.operator in ("==", "===") for r in reqs for s in r.specifier)
        in_conflict = any(c.requirement.identifier == identifier for c in backtrack_causes)
        return (identifier != PYTHON, not in_conflict, not pinned, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        reqs = list(requirements[identifier])
        spec = SpecifierSet()
        for r in reqs:
            spec &= r.specifier
        if identifier == PYTHON:
            ok = spec.contains(self.python, prereleases=True)
            return [Candidate(PYTHON, self.python)] if ok else []
        name, extras = reqs[0].name, reqs[0].extras
        bad = {c.version for c in incompatibilities[identifier]}
        pinned = {
            version
            for s in spec
            if s.operator in ("==", "===") and not s.version.endswith("*")
            if (version := _version_or_none(s.version)) is not None
        }
        self.on_progress(f"{self.target.key}: {name}")
        releases = self.releases(name)
        allowed = self.allowed_hashes.get(name)
        versions = [
            v
            for v in sorted(spec.filter(releases, prereleases=self.allow_pre or None), reverse=True)
            if v not in bad
        ]
        found = []
        for version in versions:
            wheel = best_wheel(
                releases[version],
                self.ranking,
                self.python,
                allow_yanked=version in pinned,
                allowed_hashes=allowed,
            )
            if wheel is not None:
                found.append(Candidate(name, version, extras, wheel.file))
        if self.allow_sdist:
            with_wheel = {c.version for c in found}
            for version in versions:
                if version in with_wheel:
                    continue
                sdist = best_sdist(
                    releases[version],
                    self.python,
                    allow_yanked=version in pinned,
                    allowed_hashes=allowed,
                )
                if sdist is not None:
                    found.append(Candidate(name, version, extras, sdist, sdist=True))
        if not found and not bad:
            message = explain_no_wheel(
                name,
                spec,
                releases,
                self.target,
                self.ranking,
                allow_pre=self.allow_pre,
                pinned=bool(pinned),
            )
            if not self.allow_sdist and any(releases[v].sdists for v in versions):
                message += " (or pass --allow-sdist to list it for your Nix to build)"
            self.no_wheel[identifier] = message
        return found

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Req]:
        if candidate.file is None:
            return []
        deps = []
        if candidate.extras:
            # An extra is the package itself plus more: tie both to one version.
            deps.append(Req(candidate.name, SpecifierSet(f"=={candidate.version}")))
        if candidate.sdist:
            return deps
        meta = self.metadata.get(candidate.file)
        if meta.requires_python:
            try:
                deps.append(Req(PYTHON, SpecifierSet(meta.requires_python)))
            except InvalidSpecifier:
                log.warning(
                    "%s: ignoring invalid Requires-Python %r",
                    candidate.file.filename,
                    meta.requires_python,
                )
        for r in meta.requires_dist:
            if requirement_applies(r, self.env, candidate.extras, candidate.file.filename):
                deps.append(Req.of(r))
        self.index.prefetch(d.name for d in deps if d.name != PYTHON)
        return deps


def _version_or_none(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None  # "===" takes any string; no release of a project can be it


def root_requirements(requirements: Iterable[Requirement], target: Target) -> list[Req]:
    env = marker_environment(target)
    return [Req.of(r) for r in requirements if marker_holds(r.marker, env)]


def resolve(provider: WheelProvider, requirements: Iterable[Requirement]) -> Resolution:
    """All packages the requirements need on the provider's target."""
    roots = root_requirements(requirements, provider.target)
    resolver: Resolver[Req, Candidate, str] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(roots, max_rounds=2000)
    except ResolutionImpossible as exc:
        raise UserError(_explain_conflict(provider, exc.causes)) from None
    except ResolutionTooDeep as exc:
        raise UserError(
            f"{provider.target.key}: gave up after {exc.round_count} rounds of backtracking; "
            "pin some versions with == to narrow the search"
        ) from None
    wheels = {c.name for c in result.mapping.values() if c.name != PYTHON and not c.sdist}
    children: dict[str, set[NormalizedName]] = {}
    for ident, cand in result.mapping.items():
        if cand.name == PYTHON:
            continue
        deps = children.setdefault(cand.name, set())
        for child in result.graph.iter_children(ident):
            if child is None:  # the graph's root
                continue
            child_name = child.split("[", 1)[0]
            # A source-only package is not in the lock's set: the user's Nix brings it.
            if child_name != cand.name and child_name in wheels:
                deps.add(canonicalize_name(child_name))
    pins = []
    sdists = []
    for _ident, cand in sorted(result.mapping.items()):
        if cand.name == PYTHON or cand.extras or cand.file is None:
            continue
        if cand.sdist:
            sdists.append(sdist_only(cand))
            continue
        project = provider.index.project(cand.name)
        pins.append(
            Pin(
                canonicalize_name(cand.name),
                cand.version,
                cand.file,
                project.index_url,
                tuple(sorted(children.get(cand.name, ()))),
            )
        )
    return Resolution(pins, sdists)


def sdist_only(candidate: Candidate) -> SdistOnly:
    assert candidate.file is not None
    f = candidate.file
    return SdistOnly(candidate.name, str(candidate.version), f.filename, f.url, f.sha256)


def pin_named(provider: WheelProvider, requirements: Iterable[Requirement]) -> Resolution:
    """``--no-deps``: the best wheel of exactly what is named, nothing else."""
    pins = []
    sdists = []
    for req in root_requirements(requirements, provider.target):
        matches = provider.find_matches(
            req.identifier, {req.identifier: iter([req])}, {req.identifier: iter(())}
        )
        if not matches:
            raise UserError(f"{provider.target.key}: {provider.no_wheel[req.identifier]}")
        best = matches[0]
        assert best.file is not None
        if best.sdist:
            sdists.append(sdist_only(best))
            continue
        project = provider.index.project(best.name)
        pins.append(
            Pin(canonicalize_name(best.name), best.version, best.file, project.index_url, ())
        )
    return Resolution(sorted(pins, key=lambda p: p.name), sorted(sdists, key=lambda s: s.name))


def _explain_conflict(provider: WheelProvider, causes: Collection[Any]) -> str:
    key = provider.target.key
    for cause in causes:
        ident = cause.requirement.identifier
        if ident in provider.no_wheel:
            return f"{key}: {provider.no_wheel[ident]}"
    python_causes = [c for c in causes if c.requirement.name == PYTHON]
    if python_causes:
        who = python_causes[0].parent
        return (
            f"{key}: {who.name} {who.version} requires Python "
            f"{python_causes[0].requirement.specifier}, the target has {provider.python}; "
            f"pin an older {who.name} or pick another --python"
        )
    parts = []
    for cause in causes:
        parent = cause.parent
        by = f"{parent.name} {parent.version}" if parent is not None else "you"
        parts.append(f"{cause.requirement.text or cause.requirement.identifier} (from {by})")
    return f"{key}: conflicting requirements: {'; '.join(sorted(set(parts)))}"
