"""Pick a release's wheel for a target, and explain clearly when none fits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from ..index.simple import IndexFile
from ..target.tags import TagRanking
from ..target.target import Target


@dataclass(frozen=True)
class Wheel:
    file: IndexFile
    tags: frozenset[Tag]
    build: BuildTag


@dataclass(frozen=True)
class Release:
    version: Version
    wheels: tuple[Wheel, ...]
    sdists: tuple[IndexFile, ...]


def group_releases(name: NormalizedName, files: Iterable[IndexFile]) -> dict[Version, Release]:
    """Files by version. Files with invalid names or of another project are left out,
    as installers do: an index may hold stray files."""
    wheels: dict[Version, list[Wheel]] = {}
    sdists: dict[Version, list[IndexFile]] = {}
    for f in files:
        if f.filename.endswith(".whl"):
            try:
                wname, version, build, tags = parse_wheel_filename(f.filename)
            except InvalidWheelFilename:
                continue
            if wname == name:
                wheels.setdefault(version, []).append(Wheel(f, tags, build))
        else:
            try:
                sname, version = parse_sdist_filename(f.filename)
            except InvalidSdistFilename:
                continue
            if sname == name:
                sdists.setdefault(version, []).append(f)
    return {
        v: Release(v, tuple(wheels.get(v, ())), tuple(sdists.get(v, ())))
        for v in set(wheels) | set(sdists)
    }


def python_allows(requires_python: str | None, python: Version) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        # pip and uv ignore an unparsable Requires-Python rather than drop the file.
        return True


def best_wheel(
    release: Release,
    ranking: TagRanking,
    python: Version,
    *,
    allow_yanked: bool,
    allowed_hashes: frozenset[str] | None = None,
) -> Wheel | None:
    """The wheel an installer on the target would take: best tag, then highest build.

    ``allowed_hashes`` (from ``--hash`` lines) excludes files the index gives another
    sha256 for; files without one are checked after download.
    """
    usable = []
    for wheel in release.wheels:
        rank = ranking.rank(wheel.tags)
        if rank is None or not python_allows(wheel.file.requires_python, python):
            continue
        sha = wheel.file.sha256
        if allowed_hashes is not None and sha is not None and sha not in allowed_hashes:
            continue
        if wheel.file.yanked is not None and not allow_yanked:
            continue
        usable.append((rank, _neg_build(wheel.build), wheel.file.filename, wheel))
    return min(usable, key=lambda u: u[:3])[3] if usable else None


def best_sdist(
    release: Release,
    python: Version,
    *,
    allow_yanked: bool,
    allowed_hashes: frozenset[str] | None = None,
) -> IndexFile | None:
    """The source distribution an installer would build, by the rules ``best_wheel``
    applies to wheels; ``.tar.gz`` before ``.zip`` (PEP 625 makes it the one format)."""
    usable = [
        f
        for f in release.sdists
        if python_allows(f.requires_python, python)
        and (allowed_hashes is None or f.sha256 is None or f.sha256 in allowed_hashes)
        and (f.yanked is None or allow_yanked)
    ]
    return min(usable, key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename), default=None)


def _neg_build(build: BuildTag) -> tuple[int, str]:
    return (-build[0], build[1]) if build else (0, "")


def explain_no_wheel(
    name: str,
    spec: SpecifierSet,
    releases: dict[Version, Release],
    target: Target,
    ranking: TagRanking,
    *,
    allow_pre: bool,
    pinned: bool,
) -> str:
    """One line saying why no release of ``name`` matching ``spec`` has a wheel for ``target``."""
    wanted = f"{name}{spec}" if str(spec) else name
    matching = sorted(spec.filter(releases, prereleases=allow_pre or None), reverse=True)
    if not matching:
        latest = max(releases, default=None)
        known = f"the newest is {latest}" if latest else "it has no files"
        return f"no release of {name} matches {spec or 'any version'} ({known}); check the version"
    python = Version(target.python.full)
    newest = releases[matching[0]]
    if not newest.wheels:
        sdist = newest.sdists[0].filename if newest.sdists else "no files"
        return (
            f"{name} {newest.version} has only a source distribution ({sdist}), no wheel for "
            f"{target.describe()}; manylinux-nix locks prebuilt wheels: build it from source "
            "with buildPythonPackage, or pin a version that has wheels"
        )
    if all(w.file.yanked is not None for w in newest.wheels) and not pinned:
        pin = f"{name}=={newest.version}"
        return f"every wheel of {name} {newest.version} is yanked; pin {pin} to use it"
    fitting = [w for w in newest.wheels if ranking.rank(w.tags) is not None]
    if fitting and not any(python_allows(w.file.requires_python, python) for w in fitting):
        rp = fitting[0].file.requires_python
        return f"{name} {newest.version} requires Python {rp}; the target {target.key} has {python}"
    tried = ", ".join(str(t) for t in ranking.tags[:3])
    interpreter = f"cp{target.python.nodot}"
    family = {"glibc": "manylinux", "musl": "musllinux"}.get(target.libc or "", "macosx")

    def nearness(t: Tag) -> tuple[bool, bool, str]:
        same_platform = t.platform.startswith(family) and t.platform.endswith(target.arch)
        return (t.interpreter != interpreter, not same_platform, str(t))

    # The nearest misses first: same interpreter, then same kind of platform.
    existing = sorted({t for w in newest.wheels for t in w.tags}, key=nearness)
    shown = ", ".join(str(t) for t in existing[:6])
    more = f" and {len(existing) - 6} more" if len(existing) > 6 else ""
    return (
        f"no wheel of {wanted} fits {target.describe()}: tried {tried}, ... "
        f"({len(ranking.tags)} tags); {name} {newest.version} has wheels for {shown}{more}"
    )
