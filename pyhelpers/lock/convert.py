"""``manylinux-nix convert``: another tool's lock file in, our lock out.

The other lock decides the versions; we decide, per target, which of its files is the
wheel an installer on that target would take, with the same ranking as ``lock``. URLs
and hashes come from the lock where it has them, else from the index by file name
(poetry.lock) or by hash (Pipfile.lock, requirements). Where both say something, they
must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ..errors import UserError
from ..index.indexes import Index
from ..index.metadata import CoreMetadata, MetadataSource
from ..index.simple import IndexFile
from ..index.urls import index_key, redact
from ..resolve.resolver import Pin, SdistOnly
from ..resolve.select import Release, Wheel, best_wheel, explain_no_wheel
from ..target.environment import marker_environment, requirement_applies
from ..target.tags import TagRanking
from ..target.target import Target
from .lockformats import (
    LockedFile,
    LockedPackage,
    LockFile,
    LockGraph,
    Unfetchable,
    applicable,
    refuse_unfetchable,
)
from .lockformats.selection import Selection


@dataclass
class Converter:
    """Picks wheels for targets from a parsed lock, asking indexes only when needed."""

    lock: LockFile
    indexes: dict[str, Index]  # index URL (credential-free) -> client for it
    default_index: str
    metadata: MetadataSource
    allow_sdist: bool = False
    on_progress: Callable[[str], None] = lambda _msg: None
    sdist_only: dict[str, list[SdistOnly]] = field(default_factory=dict)

    # Set by --index-url: ask that index for everything, whatever the lock names.
    override_index: bool = False
    # --refresh-index: check URLs and hashes the lock gives against the index too.
    refresh_index: bool = False
    # --extra, --group, --package ...: what the lock is installed with.
    selection: Selection = field(default_factory=Selection)

    def index_for(self, package: LockedPackage) -> Index:
        if self.override_index or package.index is None:
            return self.indexes[index_key(self.default_index)]
        return self.indexes[index_key(package.index)]

    def pins(self, target: Target) -> list[Pin]:
        env = marker_environment(target)
        ranking = TagRanking.for_target(target)
        python = Version(target.python.full)
        chosen: list[tuple[LockedPackage, IndexFile, str]] = []
        skipped: list[SdistOnly] = []
        found = applicable(self.lock, env, self.selection)
        if self.allow_sdist:
            skipped += [_fetched_by_nix(entry) for entry in found.unfetchable]
        else:
            refuse_unfetchable(self.lock, env, found)
        for package in found.packages:
            self.on_progress(f"{target.key}: {package.name}")
            picked = self._pick(package, target, ranking, python)
            if isinstance(picked, SdistOnly):
                skipped.append(picked)
            else:
                chosen.append((package, *picked))
        self.sdist_only[target.key] = skipped
        present = {canonicalize_name(p.name) for p, _, _ in chosen}
        graph = found.graph
        pins = []
        for package, file, index_url in chosen:
            deps = self._dependencies(package, file, env, present, graph)
            pins.append(
                Pin(
                    canonicalize_name(package.name), Version(package.version), file, index_url, deps
                )
            )
        return sorted(pins, key=lambda p: p.name)

    def _pick(
        self, package: LockedPackage, target: Target, ranking: TagRanking, python: Version
    ) -> tuple[IndexFile, str] | SdistOnly:
        named = [f for f in package.files if f.filename]
        index = self.index_for(package)
        if named:
            release = _release(package, [_as_index_file(f) for f in named])
        else:
            found, index = self._hashed(package)
            release = _release(package, found)
        wheel = best_wheel(release, ranking, python, allow_yanked=True)
        if wheel is None:
            return self._no_wheel(package, release, target, ranking)
        if wheel.file.url and wheel.file.sha256 and not self.refresh_index:
            # The lock says where and what: no index is asked (offline, or a private
            # index no longer reachable, still converts).
            return wheel.file, index.urls[0]
        if wheel.file.url:
            file = wheel.file
        else:
            file, index = self._located(package, wheel.file)
        self._check_against_index(package, file, index)
        return file, index.urls[0]

    def _hashed(self, package: LockedPackage) -> tuple[list[IndexFile], Index]:
        """A hash-only package's files, and the index that has them. A package the lock
        names no index for is looked for on each index the lock names, in its order, as
        pip searches every --index-url and --extra-index-url of a requirements file for
        every package (torch==2.6.0+cu126 is on the PyTorch index only); never elsewhere."""
        order = self._search_order(package)
        failures = []
        for index in order:
            try:
                return self._by_hash(package, index), index
            except UserError as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        where = ", ".join(redact(i.urls[0]) for i in order)
        allowed = len({f.sha256 for f in package.files if f.sha256})
        raise UserError(
            f"{self.lock.path}: none of the {allowed} hashes given for {package.name} "
            f"{package.version} matches a file on any index it names ({where}); is it the "
            "index the lock was made against?"
        )

    def _by_hash(self, package: LockedPackage, index: Index) -> list[IndexFile]:
        """Hash-only locks: the index's files of that version whose sha256 the lock allows."""
        allowed = {f.sha256 for f in package.files if f.sha256}
        project = index.project(package.name)
        files = [f for f in project.files if f.sha256 in allowed]
        if not files:
            raise UserError(
                f"{self.lock.path}: none of the {len(allowed)} hashes given for {package.name} "
                f"{package.version} matches a file on {redact(project.index_url)}; "
                "is it the index the lock was made against?"
            )
        return files

    def _search_order(self, package: LockedPackage) -> list[Index]:
        """The index a package comes from, then, when its lock names none for it and
        searches every index (a requirements file, pdm.lock), every index the lock
        names, in its order."""
        first = self.index_for(package)
        if self.override_index or package.index is not None or not self.lock.searches_every_index:
            return [first]
        return [first] + [
            self.indexes[key]
            for key in dict.fromkeys(index_key(u) for u in self.lock.indexes)
            if key in self.indexes and self.indexes[key] is not first
        ]

    def _located(self, package: LockedPackage, file: IndexFile) -> tuple[IndexFile, Index]:
        """A file named without a URL (poetry.lock, pdm.lock), and the index that has it:
        pdm.lock records no index per package, and pdm looks on each [[tool.pdm.source]]
        in turn; poetry.lock says where each package came from, and only that is asked."""
        order = self._search_order(package)
        for candidate in order[:-1]:
            try:
                return self._locate(package, file, candidate), candidate
            except UserError:
                continue  # not there, or no such project there: the next source
        return self._locate(package, file, order[-1]), order[-1]

    def _locate(self, package: LockedPackage, file: IndexFile, index: Index) -> IndexFile:
        """poetry.lock names files without URLs: find the URL on the index by file name."""
        project = index.project(package.name)
        for candidate in project.files:
            if candidate.filename == file.filename:
                return IndexFile(
                    file.filename,
                    candidate.url,
                    file.sha256 or candidate.sha256,
                    candidate.requires_python,
                    None,
                    candidate.size,
                    candidate.core_metadata,
                    candidate.core_metadata_sha256,
                )
        raise UserError(
            f"{self.lock.path}: {file.filename} is not on {redact(project.index_url)}; "
            "pass the index it came from with --index-url"
        )

    def _check_against_index(self, package: LockedPackage, file: IndexFile, index: Index) -> None:
        project = index.project(package.name)
        listed = next((f for f in project.files if f.filename == file.filename), None)
        if listed is not None and listed.sha256 and file.sha256 and listed.sha256 != file.sha256:
            raise UserError(
                f"{self.lock.path}: {file.filename} has sha256 {file.sha256} in the lock but "
                f"{listed.sha256} on {redact(project.index_url)}; refusing it: re-lock, or find "
                "out why the file changed"
            )

    def _no_wheel(
        self, package: LockedPackage, release: Release, target: Target, ranking: TagRanking
    ) -> SdistOnly:
        if not self.allow_sdist:
            message = explain_no_wheel(
                package.name,
                SpecifierSet(f"=={package.version}"),
                {release.version: release},
                target,
                ranking,
                allow_pre=True,
                pinned=True,
            )
            raise UserError(f"{target.key}: {message} (or pass --allow-sdist)")
        sdist = release.sdists[0] if release.sdists else None
        return SdistOnly(
            package.name,
            package.version,
            sdist.filename if sdist else None,
            sdist.url if sdist else None,
            sdist.sha256 if sdist else None,
        )

    def _dependencies(
        self,
        package: LockedPackage,
        file: IndexFile,
        env: dict[str, str],
        present: set[NormalizedName],
        graph: LockGraph | None,
    ) -> tuple[NormalizedName, ...]:
        """The package's edges within the lock's set for the target: the edges the lock
        records (uv.lock's are complete, extras included, so no metadata is fetched and a
        lock converts offline), else its Requires-Dist with the extras it has."""
        name = canonicalize_name(package.name)
        if graph is not None:
            recorded = {canonicalize_name(n) for n in graph.edges.get(package.name, ())}
            return tuple(sorted((recorded & present) - {name}))
        meta = self.metadata.get(file)
        extras = satisfied_extras(meta, env, present, file.filename)
        names = {
            canonicalize_name(r.name)
            for r in meta.requires_dist
            if requirement_applies(r, env, extras, file.filename)
        }
        return tuple(sorted((names & present) - {name}))


def satisfied_extras(
    meta: CoreMetadata, env: dict[str, str], present: set[NormalizedName], source: str
) -> frozenset[str]:
    """Extras whose every requirement on this target is in the lock's set.

    Locks without edges (pylock.toml as uv exports it, Pipfile.lock, requirements) do not
    say which extras were asked for; a lock that holds all an extra brings was made with
    it, and an edge to a package the set holds anyway costs nothing."""
    chosen = set()
    for extra in meta.extras:
        brought = {
            canonicalize_name(r.name)
            for r in meta.requires_dist
            if r.marker is not None
            and requirement_applies(r, env, frozenset({extra}), source)
            and not requirement_applies(r, env, frozenset(), source)
        }
        if brought and brought <= present:
            chosen.add(extra)
    return frozenset(chosen)


def _fetched_by_nix(entry: Unfetchable) -> SdistOnly:
    """A git, path or URL entry, listed beside the source distributions with what a Nix
    build needs to fetch it."""
    source = dict(entry.fetch) or {"type": "unknown", "reason": entry.reason}
    url = source.get("url") if source.get("type") == "url" else None
    return SdistOnly(entry.name, entry.version, None, url, source.get("sha256") or None, source)


def _as_index_file(f: LockedFile) -> IndexFile:
    assert f.filename is not None
    return IndexFile(f.filename, f.url or "", f.sha256, None, None, f.size, False, None)


def _release(package: LockedPackage, files: Sequence[IndexFile]) -> Release:
    try:
        version = Version(package.version)
    except InvalidVersion as exc:
        raise UserError(f"{package.name}: invalid version {package.version!r}") from exc
    wheels = []
    sdists = []
    for f in files:
        if f.filename.endswith(".whl"):
            try:
                _, _, build, tags = parse_wheel_filename(f.filename)
            except InvalidWheelFilename as exc:
                raise UserError(f"{f.filename!r} is not a valid wheel file name ({exc})") from exc
            wheels.append(Wheel(f, tags, build))
        else:
            sdists.append(f)
    return Release(version, tuple(wheels), tuple(sdists))
