"""uv.lock (``version = 1``): packages, their wheels and sdists, and the dependency edges."""

from collections.abc import Iterator
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from .fields import (
    _absolute_url,
    _canonical,
    _check_wheel,
    _list,
    _marker,
    _name,
    _path_filename,
    _requires_python,
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
    _UV_KINDS,
    _UV_LOCAL,
    VIRTUAL_ROOT,
    LockedFile,
    LockedPackage,
    LockFile,
    Table,
    UvDependency,
    UvPackage,
    _Source,
)
from .schema import ByteCount, read_table


@dataclass(frozen=True)
class _Lock:
    version: object  # the format number, checked with its own messages
    requires_python: str | None
    supported_markers: list[str]
    conflicts: list[object]
    manifest: Table | None
    package: list[object]


@dataclass(frozen=True)
class _Package:  # after its name, which names it in every message
    source: Table
    version: str | None  # None for a project with a dynamic version
    optional_dependencies: Table | None
    dev_dependencies: Table | None
    sdist: Table | None
    wheels: list[object]
    resolution_markers: list[str]
    dependencies: list[object]


@dataclass(frozen=True)
class _File:
    url: str | None
    path: str | None
    filename: str | None
    hash: object
    size: ByteCount | None


@dataclass(frozen=True)
class _Dependency:
    name: str
    version: str | None
    source: Table | None
    marker: str | None
    extra: list[str]


def _read_uv(src: _Source, data: Table) -> LockFile:
    lock = read_table(src, _Lock, data, "")
    version = lock.version
    if version is None:
        raise src.error("", "'version' (the lock format number) is missing")
    if isinstance(version, bool) or not isinstance(version, int):
        raise src.error("", f"'version' should be the lock format number, not {_show(version)}")
    if version != 1:
        raise src.error("", f"lock format version {version} is not supported (only 1 is)")
    requires_python = _requires_python(src, lock.requires_python, "")
    environments = tuple(_marker(src, text, "supported-markers") for text in lock.supported_markers)
    graph = tuple(_uv_package(src, item, number) for number, item in enumerate(lock.package, 1))
    members = _str_list(src, lock.manifest or {}, "members", "manifest")
    if not any(entry.location == "." and entry.kind in _UV_LOCAL for entry in graph):
        graph += _virtual_root(src, lock.manifest or {})
    packages = tuple(entry.locked for entry in graph if entry.locked is not None)
    return LockFile(
        path=src.path,
        format=src.format,
        packages=packages,
        indexes=_unique(p.index for p in packages if p.index is not None),
        requires_python=requires_python,
        environments=environments,
        skipped=_unique(e.name for e in graph if e.kind in _UV_LOCAL and e.name != VIRTUAL_ROOT),
        uv_graph=graph,
        uv_members=tuple(canonicalize_name(m) for m in members),
        uv_conflicts=tuple(_uv_conflict(src, item, n) for n, item in enumerate(lock.conflicts, 1)),
    )


def _virtual_root(src: _Source, manifest: Table) -> tuple[UvPackage, ...]:
    """A virtual workspace root (no [project]) is no package of the lock; its dependency
    groups are in [manifest.dependency-groups], and uv installs them with --group."""
    where = "manifest dependency-groups"
    groups = _table(src, manifest.get("dependency-groups", {}), where)
    if not groups:
        return ()
    return (
        UvPackage(
            name=VIRTUAL_ROOT,
            version=None,
            source='{"virtual": "."}',
            kind="virtual",
            resolution_markers=(),
            dependencies=(),
            optional_dependencies=(),
            locked=None,
            location=".",
            dev_dependencies=tuple(
                (canonicalize_name(group), _uv_extra(src, groups, group, where)) for group in groups
            ),
        ),
    )


def _uv_conflict(src: _Source, value: object, number: int) -> tuple[tuple[str, str, str], ...]:
    where = f"conflicts {number}"
    if not isinstance(value, list):
        raise src.error(where, f"expected an array, found {src.kind(value)}")
    items = []
    for item in value:
        table = _table(src, item, where)
        package = _name(src, _str(src, table, "package", where), where)
        kind = "extra" if "extra" in table else "group" if "group" in table else None
        if kind is None:  # a whole package in conflict: nothing a selection chooses
            continue
        items.append((package, kind, canonicalize_name(_str(src, table, kind, where))))
    return tuple(items)


def _uv_package(src: _Source, value: object, number: int) -> UvPackage:
    where = f"package {number}"
    table = _table(src, value, where)
    name = _name(src, _str(src, table, "name", where), where)
    where = f"package {number} ({name})"
    package = read_table(src, _Package, table, where)
    kind = next((k for k in _UV_KINDS if k in package.source), None)
    if kind is None:
        raise src.error(where, f"source {_show(package.source)} is none of {', '.join(_UV_KINDS)}")
    location = _str(src, package.source, kind, where + " source")
    if package.version is None and kind not in _UV_LOCAL:
        raise src.error(where, "'version' is missing")
    version = None if package.version is None else _version(src, package.version, where)
    optional = package.optional_dependencies or {}
    groups = package.dev_dependencies or {}
    locked = None
    if kind in ("registry", "url") and version is not None:
        files = [
            _uv_file(src, item, name, version, f"{where} {label}")
            for label, item in _uv_files(package)
        ]
        index = location if kind == "registry" else None
        locked = LockedPackage(name, version, tuple(files), index)
    return UvPackage(
        name=name,
        version=version,
        source=_canonical(package.source),
        kind=kind,
        resolution_markers=tuple(_marker(src, text, where) for text in package.resolution_markers),
        dependencies=_uv_dependencies(src, package.dependencies, f"{where} dependencies"),
        optional_dependencies=tuple(
            (canonicalize_name(extra), _uv_extra(src, optional, extra, f"{where} [{extra}]"))
            for extra in optional
        ),
        locked=locked,
        location=location,
        dev_dependencies=tuple(
            (canonicalize_name(group), _uv_extra(src, groups, group, where)) for group in groups
        ),
    )


def _uv_files(package: _Package) -> Iterator[tuple[str, object]]:
    if package.sdist is not None:
        yield "sdist", package.sdist
    for number, wheel in enumerate(package.wheels, 1):
        yield f"wheel {number}", wheel


def _uv_file(src: _Source, value: object, name: str, version: str, where: str) -> LockedFile:
    file = read_table(src, _File, value, where)
    url = None if file.url is None else _absolute_url(src, file.url, where)
    filename = file.filename or _url_filename(url) or _path_filename(file.path)
    if filename is None:
        raise src.error(where, "names no file (no 'url', 'path' or 'filename')")
    _check_wheel(src, filename, name, version, where)
    sha256 = None if file.hash is None else _sha256(src, file.hash, where)
    return LockedFile(filename, url, sha256, file.size)


def _uv_dependencies(src: _Source, items: list[object], where: str) -> tuple[UvDependency, ...]:
    return tuple(
        _uv_dependency(src, item, f"{where} {number}") for number, item in enumerate(items, 1)
    )


def _uv_extra(src: _Source, optional: Table, extra: str, where: str) -> tuple[UvDependency, ...]:
    return _uv_dependencies(src, _list(src, optional, extra, where), f"{where} {extra}")


def _uv_dependency(src: _Source, value: object, where: str) -> UvDependency:
    dependency = read_table(src, _Dependency, value, where)
    return UvDependency(
        name=_name(src, dependency.name, where),
        version=None if dependency.version is None else _version(src, dependency.version, where),
        source=None if dependency.source is None else _canonical(dependency.source),
        marker=None if dependency.marker is None else _marker(src, dependency.marker, where),
        extras=tuple(canonicalize_name(e) for e in dependency.extra),
    )
