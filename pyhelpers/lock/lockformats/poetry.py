"""poetry.lock: file names and hashes, URLs from the index."""

from dataclasses import dataclass

from .fields import (
    _check_wheel,
    _list,
    _marker,
    _name,
    _opt_table,
    _sha256,
    _show,
    _str,
    _table,
    _unique,
    _url_filename,
    _version,
)
from .model import LockedFile, LockedPackage, LockFile, Table, Unfetchable, _Source
from .schema import read_table


@dataclass(frozen=True)
class _Lock:
    metadata: Table
    package: list[object]


@dataclass(frozen=True)
class _Package:  # after its name, which names it in every message
    version: str
    groups: list[str]
    optional: bool = False


@dataclass(frozen=True)
class _Origin:  # a package's [package.source]
    type: str
    url: str | None


@dataclass(frozen=True)
class _File:
    file: str
    hash: object


def _read_poetry(src: _Source, data: Table) -> LockFile:
    lock = read_table(src, _Lock, data, "")
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    for number, item in enumerate(lock.package, 1):
        where = f"package {number}"
        table = _table(src, item, where)
        name = _name(src, _str(src, table, "name", where), where)
        where = f"package {number} ({name})"
        package = read_table(src, _Package, table, where)
        version = _version(src, package.version, where)
        # Optional packages come only with the project's extras, other groups only on
        # request: neither is part of the default install.
        if package.optional or (package.groups and "main" not in package.groups):
            continue
        marker = _poetry_marker(src, table, where)
        source = _opt_table(src, table, "source", where)
        origin = None if source is None else read_table(src, _Origin, source, where + " source")
        source_type = None if origin is None else origin.type
        source_url = None if origin is None else origin.url
        files = tuple(
            _poetry_file(src, f, name, version, f"{where} file {n}")
            for n, f in enumerate(_list(src, table, "files", where), 1)
        )
        if source_type is None or source_type == "legacy":
            packages.append(LockedPackage(name, version, files, source_url, marker))
        elif source_type == "url" and source_url is not None:
            direct = tuple(
                LockedFile(f.filename, source_url, f.sha256, f.size)
                if f.filename == _url_filename(source_url)
                else f
                for f in files
            )
            packages.append(LockedPackage(name, version, direct, None, marker))
        elif source_type == "directory":
            skipped.append(name)
        else:
            reason = {"git": "comes from git", "file": "is a local file"}.get(
                source_type, f"comes from a {_show(source_type)} source"
            )
            unfetchable.append(Unfetchable(name, marker, reason))
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(packages),
        indexes=_unique(p.index for p in packages if p.index is not None),
        unfetchable=tuple(unfetchable),
        skipped=_unique(skipped),
    )


def _poetry_marker(src: _Source, table: Table, where: str) -> str | None:
    value = table.get("markers")
    if isinstance(value, dict):  # per group: the default install is the main group
        value = value.get("main")
    if value is None:
        return None
    if not isinstance(value, str):
        raise src.error(where, f"'markers' should be a string or a table, not {src.kind(value)}")
    return _marker(src, value, where)


def _poetry_file(src: _Source, value: object, name: str, version: str, where: str) -> LockedFile:
    file = read_table(src, _File, value, where)
    _check_wheel(src, file.file, name, version, where)
    sha256 = None if file.hash is None else _sha256(src, file.hash, where)
    return LockedFile(file.file, None, sha256)
