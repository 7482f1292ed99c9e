"""pdm.lock (lock format 4.x): each package's files by name (or URL, with static_urls)
and hash, its dependencies, and, with the inherit_metadata strategy, the groups and the
marker pdm installs it by. The 4.2-era layout keeps the files under [metadata.files]."""

from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from ...index.urls import DEFAULT_INDEX
from ...target import pep508
from .fields import (
    _check_wheel,
    _list,
    _marker,
    _name,
    _opt_table,
    _sha256,
    _show,
    _str,
    _str_list,
    _table,
    _unique,
    _url_filename,
    _version,
)
from .model import (
    LockedFile,
    LockedPackage,
    LockFile,
    PdmLock,
    PdmPackage,
    PdmTarget,
    PoetryDependency,
    Table,
    Unfetchable,
    _Source,
)
from .pdmproject import read_pdm_project
from .schema import read_table

INHERIT_METADATA = "inherit_metadata"


@dataclass(frozen=True)
class _Package:  # after its name, which names it in every message
    version: str | None
    extras: list[str]
    groups: list[str]
    marker: str | None
    dependencies: list[str]
    files: list[object]
    git: str | None = None
    revision: str | None = None
    ref: str | None = None
    url: str | None = None
    path: str | None = None


def _read_pdm(src: _Source, data: Table) -> LockFile:
    metadata = _opt_table(src, data, "metadata", "") or {}
    strategy = _str_list(src, metadata, "strategy", "metadata")
    shared = _metadata_files(src, metadata)
    graph: list[PdmPackage] = []
    for number, item in enumerate(_list(src, data, "package", ""), 1):
        where = f"package {number}"
        table = _table(src, item, where)
        name = _name(src, _str(src, table, "name", where), where)
        where = f"package {number} ({name})"
        graph.append(_package(src, read_table(src, _Package, table, where), name, shared, where))
    project = read_pdm_project(src, Path(src.path).with_name("pyproject.toml"))
    locked = {(p.locked.name, p.locked.version): p.locked for p in graph if p.locked}
    indexes = project.indexes if project is not None else ()
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(locked.values()),
        indexes=indexes,
        unfetchable=tuple(p.unfetchable for p in graph if p.unfetchable is not None),
        skipped=_unique(p.name for p in graph if p.locked is None and p.unfetchable is None),
        default_index=indexes[0] if indexes else DEFAULT_INDEX,
        searches_every_index=True,
        pdm=PdmLock(
            graph=tuple(graph),
            groups=tuple(
                _name(src, g, "metadata groups")
                for g in _str_list(src, metadata, "groups", "metadata")
            ),
            inherit_metadata=INHERIT_METADATA in strategy,
            targets=tuple(
                read_table(src, PdmTarget, t, f"metadata targets {n}")
                for n, t in enumerate(_list(src, metadata, "targets", "metadata"), 1)
            ),
            project=project,
        ),
    )


def _package(
    src: _Source, package: _Package, name: str, shared: dict[tuple[str, str], list[object]],
    where: str,
) -> PdmPackage:  # fmt: skip
    version = None if package.version is None else _version(src, package.version, where)
    listed = package.files or (shared.get((name, version), []) if version else [])
    files = tuple(
        _file(src, f, name, version, f"{where} file {n}") for n, f in enumerate(listed, 1)
    )
    marker = None if package.marker is None else _marker(src, package.marker, where)
    locked: LockedPackage | None = None
    unfetchable: Unfetchable | None = None
    if package.git is not None:
        commit = package.revision or package.ref or ""
        fetch = (("type", "git"), ("url", package.git), ("commit", commit))
        unfetchable = Unfetchable(name, marker, "comes from git", fetch, version)
    elif package.path is not None or _local(package.url):
        pass  # the user's own code: built by the user, never fetched
    elif package.url is not None:
        direct = tuple(
            LockedFile(f.filename or _url_filename(package.url), package.url, f.sha256)
            for f in files
        ) or (LockedFile(_url_filename(package.url), package.url, None),)
        if version is None:
            unfetchable = Unfetchable(name, marker, "has no version in the lock", (), None)
        else:
            locked = LockedPackage(name, version, direct, None, marker)
    elif version is None:
        unfetchable = Unfetchable(name, marker, "has no version in the lock", (), None)
    else:
        locked = LockedPackage(name, version, files, None, marker)
    return PdmPackage(
        name=name,
        version=version,
        extras=tuple(sorted(_name(src, e, where) for e in package.extras)),
        groups=tuple(_name(src, g, where) for g in package.groups),
        marker=marker,
        dependencies=tuple(_dependency(src, d, where) for d in package.dependencies),
        locked=locked,
        unfetchable=unfetchable,
    )


def _local(url: str | None) -> bool:
    return url is not None and url.startswith("file:")


def _dependency(src: _Source, text: str, where: str) -> PoetryDependency:
    """One line of a package's `dependencies`: PEP 508, or pdm's `-e <url>#egg=<name>`
    for an editable path dependency (the user's own code, matched by name only)."""
    if text.startswith("-e "):
        egg = text.partition("#egg=")[2].split("&")[0]
        if not egg:
            raise src.error(where, f"dependency {_show(text)} names no package (#egg=)")
        return PoetryDependency(_name(src, egg.split("[")[0], where), "*")
    try:
        req = pep508.requirement(text)
    except pep508.Invalid as exc:
        raise src.error(where, f"dependency {_show(text)} {exc}") from None
    return PoetryDependency(
        canonicalize_name(req.name),
        str(req.specifier) or "*",
        None if req.marker is None else str(req.marker),
        extras=tuple(sorted(canonicalize_name(e) for e in req.extras)),
    )


@dataclass(frozen=True)
class _File:
    hash: object
    file: str | None = None
    url: str | None = None


def _file(src: _Source, value: object, name: str, version: str | None, where: str) -> LockedFile:
    entry = read_table(src, _File, value, where)
    filename = entry.file or _url_filename(entry.url)
    if filename is None:
        raise src.error(where, "names neither a 'file' nor a 'url'")
    if entry.file is not None:
        _check_wheel(src, filename, name, version, where)
    return LockedFile(filename, entry.url, _sha256(src, entry.hash, where))


def _metadata_files(src: _Source, metadata: Table) -> dict[tuple[str, str], list[object]]:
    """The 4.2 layout: [metadata.files] keyed "<name> <version>" (an entry with extras
    shares the files of its plain package)."""
    table = _opt_table(src, metadata, "files", "metadata") or {}
    found: dict[tuple[str, str], list[object]] = {}
    for key in table:
        where = f"metadata files {_show(key)}"
        text, _, version = key.rpartition(" ")
        if not text:
            raise src.error(where, "should be keyed '<name> <version>'")
        name = _name(src, text.split("[")[0], where)
        found[(name, _version(src, version, where))] = _list(src, table, key, "metadata files")
    return found
