"""pylock.toml (PEP 751)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .fields import (
    _absolute_url,
    _check_wheel,
    _list,
    _marker,
    _name,
    _need_table,
    _opt_str,
    _opt_table,
    _path_filename,
    _requires_python,
    _show,
    _str,
    _table,
    _unique,
    _url_filename,
    _version,
    _version_from_filename,
)
from .model import _HEX64, LockedFile, LockedPackage, LockFile, Table, Unfetchable, _Source
from .schema import ByteCount, read_table

_PYLOCK_SOURCES = ("vcs", "directory", "archive")


@dataclass(frozen=True)
class _Lock:
    lock_version: str
    created_by: str
    environments: list[str]
    requires_python: str | None
    default_groups: list[str]


@dataclass(frozen=True)
class _Package:  # after its name, which names it in every message
    marker: str | None
    version: str | None  # else from a file name
    index: str | None


@dataclass(frozen=True)
class _File:
    url: str | None
    path: str | None
    name: str | None
    hashes: Table | None
    size: ByteCount | None


def _read_pylock(src: _Source, data: Table) -> LockFile:
    lock = read_table(src, _Lock, data, "")
    if not re.fullmatch(r"1\.\d+", lock.lock_version):
        raise src.error(
            "", f"lock-version {_show(lock.lock_version)} is not supported (only 1.x is)"
        )
    environments = tuple(_marker(src, text, "environments") for text in lock.environments)
    requires_python = _requires_python(src, lock.requires_python, "")
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    items = data.get("packages")
    if not isinstance(items, list):
        raise src.error("", "not a valid pylock file: 'packages' should be an array of tables")
    for number, item in enumerate(items, 1):
        where = f"packages {number}"
        table = _table(src, item, where)
        name = _name(src, _str(src, table, "name", where), where)
        where = f"packages {number} ({name})"
        package = read_table(src, _Package, table, where)
        marker = None if package.marker is None else _marker(src, package.marker, where)
        version = None if package.version is None else _version(src, package.version, where)
        sources: list[str] = [key for key in _PYLOCK_SOURCES if key in table]
        distributions: list[str] = [key for key in ("sdist", "wheels") if key in table]
        if len(sources) + bool(distributions) != 1:
            found = ", ".join(sources + distributions) or "none of them"
            raise src.error(
                where,
                "not a valid pylock file: a package has exactly one of vcs, directory, "
                f"archive, or sdist/wheels (found {found})",
            )
        if "directory" in table:
            _str(src, _need_table(src, table, "directory", where), "path", f"{where} directory")
            skipped.append(name)
        elif "vcs" in table:
            vcs = _need_table(src, table, "vcs", where)
            fetch = (
                ("type", _opt_str(src, vcs, "type", f"{where} vcs") or "git"),
                ("url", _opt_str(src, vcs, "url", f"{where} vcs") or ""),
                ("commit", _opt_str(src, vcs, "commit-id", f"{where} vcs") or ""),
            )
            unfetchable.append(
                Unfetchable(name, marker, "comes from a VCS checkout", fetch, version)
            )
        elif (
            "archive" in table
            and _opt_str(src, _need_table(src, table, "archive", where), "url", f"{where} archive")
            is None
        ):
            archive = _need_table(src, table, "archive", where)
            path = _opt_str(src, archive, "path", f"{where} archive") or ""
            unfetchable.append(
                Unfetchable(
                    name,
                    marker,
                    "is a local archive file",
                    (("type", "path"), ("path", path)),
                    version,
                )
            )
        else:
            files = tuple(_pylock_files(src, table, where))
            version = version or next(
                filter(None, (_version_from_filename(f.filename) for f in files)), None
            )
            if version is None:
                raise src.error(where, "has no 'version' and no file name that gives one")
            for file in files:
                if file.filename is not None:
                    _check_wheel(src, file.filename, name, version, where)
            packages.append(LockedPackage(name, version, files, package.index, marker))
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(packages),
        indexes=_unique(p.index for p in packages if p.index is not None),
        requires_python=requires_python,
        environments=environments,
        default_groups=tuple(lock.default_groups),
        unfetchable=tuple(unfetchable),
        skipped=_unique(skipped),
    )


def _pylock_files(src: _Source, table: Table, where: str) -> Iterator[LockedFile]:
    archive = _opt_table(src, table, "archive", where)
    if archive is not None:
        yield _pylock_file(src, archive, f"{where} archive")
        return
    sdist = _opt_table(src, table, "sdist", where)
    if sdist is not None:
        yield _pylock_file(src, sdist, f"{where} sdist")
    for number, wheel in enumerate(_list(src, table, "wheels", where), 1):
        yield _pylock_file(
            src, _table(src, wheel, f"{where} wheel {number}"), f"{where} wheel {number}"
        )


def _pylock_file(src: _Source, table: Table, where: str) -> LockedFile:
    file = read_table(src, _File, table, where)
    if file.url is None and file.path is None:
        raise src.error(where, "not a valid pylock file: a file needs 'url' or 'path'")
    url = None if file.url is None else _absolute_url(src, file.url, where)
    filename = file.name or _url_filename(url) or _path_filename(file.path)
    if file.hashes is None:
        raise src.error(where, "not a valid pylock file: 'hashes' is missing")
    digest = file.hashes.get("sha256")
    if digest is None:
        algorithms = ", ".join(_show(name) for name in sorted(file.hashes)) or "none"
        raise src.error(where, f"has no sha256 hash (only {algorithms}); Nix fetches need sha256")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise src.error(where, f"sha256 {_show(digest)} is not 64 hex digits")
    return LockedFile(filename, url, digest.lower(), file.size)
