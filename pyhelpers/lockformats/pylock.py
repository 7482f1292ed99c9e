"""pylock.toml (PEP 751)."""

import re
from collections.abc import Iterator

from .fields import (
    _absolute_url,
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
    _show,
    _str,
    _str_list,
    _table,
    _unique,
    _url_filename,
    _version,
    _version_from_filename,
)
from .model import _HEX64, LockedFile, LockedPackage, LockFile, Table, Unfetchable, _Source

_PYLOCK_SOURCES = ("vcs", "directory", "archive")


def _read_pylock(src: _Source, data: Table) -> LockFile:
    lock_version = _str(src, data, "lock-version", "")
    if not re.fullmatch(r"1\.\d+", lock_version):
        raise src.error("", f"lock-version {_show(lock_version)} is not supported (only 1.x is)")
    _str(src, data, "created-by", "")
    environments = tuple(
        _marker(src, text, "environments") for text in _str_list(src, data, "environments", "")
    )
    requires_python = _requires_python(src, _opt_str(src, data, "requires-python", ""), "")
    default_groups = tuple(_str_list(src, data, "default-groups", ""))
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
        raw_marker = _opt_str(src, table, "marker", where)
        marker = None if raw_marker is None else _marker(src, raw_marker, where)
        raw_version = _opt_str(src, table, "version", where)
        version: str | None = None if raw_version is None else _version(src, raw_version, where)
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
            _need_table(src, table, "vcs", where)
            unfetchable.append(Unfetchable(name, marker, "comes from a VCS checkout"))
        elif (
            "archive" in table
            and _opt_str(src, _need_table(src, table, "archive", where), "url", f"{where} archive")
            is None
        ):
            unfetchable.append(Unfetchable(name, marker, "is a local archive file"))
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
            index = _opt_str(src, table, "index", where)
            packages.append(LockedPackage(name, version, files, index, marker))
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(packages),
        indexes=_unique(p.index for p in packages if p.index is not None),
        requires_python=requires_python,
        environments=environments,
        default_groups=default_groups,
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
    url = _opt_str(src, table, "url", where)
    path = _opt_str(src, table, "path", where)
    if url is None and path is None:
        raise src.error(where, "not a valid pylock file: a file needs 'url' or 'path'")
    if url is not None:
        url = _absolute_url(src, url, where)
    filename = _opt_str(src, table, "name", where) or _url_filename(url) or _path_filename(path)
    hashes = _opt_table(src, table, "hashes", where)
    if hashes is None:
        raise src.error(where, "not a valid pylock file: 'hashes' is missing")
    digest = hashes.get("sha256")
    if digest is None:
        algorithms = ", ".join(sorted(hashes)) or "none"
        raise src.error(where, f"has no sha256 hash (only {algorithms}); Nix fetches need sha256")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise src.error(where, f"sha256 {_show(digest)} is not 64 hex digits")
    return LockedFile(filename, url, digest.lower(), _opt_size(src, table, where))
