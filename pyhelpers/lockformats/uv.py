"""uv.lock (``version = 1``): packages, their wheels and sdists, and the dependency edges."""

from collections.abc import Iterator

from packaging.utils import (
    canonicalize_name,
)

from .fields import (
    _absolute_url,
    _canonical,
    _check_wheel,
    _list,
    _marker,
    _name,
    _need_table,
    _opt_size,
    _opt_str,
    _opt_table,
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
    LockedFile,
    LockedPackage,
    LockFile,
    Table,
    UvDependency,
    UvPackage,
    _Source,
)


def _read_uv(src: _Source, data: Table) -> LockFile:
    version = data.get("version")
    if version is None:
        raise src.error("", "'version' (the lock format number) is missing")
    if isinstance(version, bool) or not isinstance(version, int):
        raise src.error("", f"'version' should be the lock format number, not {_show(version)}")
    if version != 1:
        raise src.error("", f"lock format version {version} is not supported (only 1 is)")
    requires_python = _requires_python(src, _opt_str(src, data, "requires-python", ""), "")
    environments = tuple(
        _marker(src, text, "supported-markers")
        for text in _str_list(src, data, "supported-markers", "")
    )
    graph = tuple(
        _uv_package(src, item, number)
        for number, item in enumerate(_list(src, data, "package", ""), 1)
    )
    packages = tuple(entry.locked for entry in graph if entry.locked is not None)
    return LockFile(
        path=src.path,
        format=src.format,
        packages=packages,
        indexes=_unique(p.index for p in packages if p.index is not None),
        requires_python=requires_python,
        environments=environments,
        skipped=_unique(entry.name for entry in graph if entry.kind in _UV_LOCAL),
        uv_graph=graph,
    )


def _uv_package(src: _Source, value: object, number: int) -> UvPackage:
    where = f"package {number}"
    table = _table(src, value, where)
    name = _name(src, _str(src, table, "name", where), where)
    where = f"package {number} ({name})"
    source = _need_table(src, table, "source", where)
    kind = next((k for k in _UV_KINDS if k in source), None)
    if kind is None:
        raise src.error(where, f"source {_show(source)} is none of {', '.join(_UV_KINDS)}")
    location = _str(src, source, kind, where + " source")
    raw_version = _opt_str(src, table, "version", where)
    if raw_version is None and kind not in _UV_LOCAL:
        raise src.error(where, "'version' is missing")
    version = None if raw_version is None else _version(src, raw_version, where)
    optional = _opt_table(src, table, "optional-dependencies", where) or {}
    locked = None
    if kind in ("registry", "url") and version is not None:
        files = [
            _uv_file(src, item, name, version, f"{where} {label}")
            for label, item in _uv_files(src, table, where)
        ]
        index = location if kind == "registry" else None
        locked = LockedPackage(name, version, tuple(files), index)
    return UvPackage(
        name=name,
        version=version,
        source=_canonical(source),
        kind=kind,
        resolution_markers=tuple(
            _marker(src, text, where) for text in _str_list(src, table, "resolution-markers", where)
        ),
        dependencies=_uv_dependencies(src, table, "dependencies", where),
        optional_dependencies=tuple(
            (canonicalize_name(extra), _uv_dependencies(src, optional, extra, f"{where} [{extra}]"))
            for extra in optional
        ),
        locked=locked,
    )


def _uv_files(src: _Source, table: Table, where: str) -> Iterator[tuple[str, object]]:
    sdist = _opt_table(src, table, "sdist", where)
    if sdist is not None:
        yield "sdist", sdist
    for number, wheel in enumerate(_list(src, table, "wheels", where), 1):
        yield f"wheel {number}", wheel


def _uv_file(src: _Source, value: object, name: str, version: str, where: str) -> LockedFile:
    table = _table(src, value, where)
    url = _opt_str(src, table, "url", where)
    path = _opt_str(src, table, "path", where)
    if url is not None:
        url = _absolute_url(src, url, where)
    filename = _opt_str(src, table, "filename", where) or _url_filename(url) or _path_filename(path)
    if filename is None:
        raise src.error(where, "names no file (no 'url', 'path' or 'filename')")
    _check_wheel(src, filename, name, version, where)
    digest = table.get("hash")
    sha256 = None if digest is None else _sha256(src, digest, where)
    return LockedFile(filename, url, sha256, _opt_size(src, table, where))


def _uv_dependencies(src: _Source, table: Table, key: str, where: str) -> tuple[UvDependency, ...]:
    return tuple(
        _uv_dependency(src, item, f"{where} {key} {number}")
        for number, item in enumerate(_list(src, table, key, where), 1)
    )


def _uv_dependency(src: _Source, value: object, where: str) -> UvDependency:
    table = _table(src, value, where)
    name = _name(src, _str(src, table, "name", where), where)
    version = _opt_str(src, table, "version", where)
    source = _opt_table(src, table, "source", where)
    marker = _opt_str(src, table, "marker", where)
    return UvDependency(
        name=name,
        version=None if version is None else _version(src, version, where),
        source=None if source is None else _canonical(source),
        marker=None if marker is None else _marker(src, marker, where),
        extras=tuple(canonicalize_name(e) for e in _str_list(src, table, "extra", where)),
    )
