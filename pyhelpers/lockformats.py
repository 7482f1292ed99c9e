"""Read other tools' lock files (uv.lock, pylock.toml, poetry.lock, Pipfile.lock, pip
requirements with hashes) into one model, and say which locked packages a target gets.

``convert`` then picks each package's wheel for a Nix target. Only the default install is
modelled (no dev groups, no extras of the project), because that is what a Nix build of the
project ships. Every problem with the input is a one-line ``UserError`` naming the file:
these readers must survive any bytes, so nothing is indexed or converted unchecked.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from . import markers, requirements_txt
from .errors import UserError
from .urls import redact

UV = "uv.lock"
PYLOCK = "pylock.toml"
POETRY = "poetry.lock"
PIPFILE = "Pipfile.lock"
REQUIREMENTS = "requirements.txt"

# The second half of every message about a broken file: the way out.
_FIX = {
    UV: "regenerate it with `uv lock`",
    PYLOCK: "regenerate it (e.g. `uv export --format pylock.toml -o pylock.toml`)",
    POETRY: "regenerate it with `poetry lock`",
    PIPFILE: "regenerate it with `pipenv lock`",
    REQUIREMENTS: "fix it or regenerate it (e.g. `uv export --format requirements.txt`)",
}

# uv source kinds that are the user's own code (the project, workspace members, path
# dependencies): built by the user, so they are walked through but never fetched.
_UV_LOCAL = ("virtual", "editable", "directory", "path")
_UV_KINDS = ("registry", "url", "git", *_UV_LOCAL)
_SHA256 = re.compile(r"sha256:([0-9a-fA-F]{64})")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_PIPFILE_PIN = re.compile(r"==\s*([^\s=*,;]+)")

Table = dict[str, object]


@dataclass(frozen=True)
class LockedFile:
    filename: str | None  # None when the lock only gives a hash (Pipfile.lock, requirements)
    url: str | None  # absolute URL when the lock has one (uv.lock, pylock.toml), else None
    sha256: str | None  # lowercase hex
    size: int | None = None


@dataclass(frozen=True)
class LockedPackage:
    name: str  # PEP 503 normalized
    version: str  # PEP 440 normal form
    files: tuple[LockedFile, ...]  # sdist and wheels as listed; hash-only formats: one per hash
    index: str | None  # the index URL the lock names for this package; None: the default
    marker: str | None = None  # when this entry applies; None: always (and for uv.lock)


@dataclass(frozen=True)
class Unfetchable:
    """An entry no index can serve (git, a local file, no pinned version).

    Kept rather than refused at read time: it only matters for targets it applies to,
    e.g. Pipfile.lock's unpinned win32-only packages on a Linux target."""

    name: str
    marker: str | None
    reason: str  # completes "<name> ...", e.g. "comes from git"


@dataclass(frozen=True)
class UvDependency:
    name: str
    version: str | None = None
    source: str | None = None  # the source table as canonical JSON, as in UvPackage.source
    marker: str | None = None
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class UvPackage:
    """One ``[[package]]`` of uv.lock, with the edges needed to walk the graph."""

    name: str
    version: str | None  # uv omits it for a project with a dynamic version
    source: str  # canonical JSON of the source table
    kind: str  # the source's key: registry, url, git, virtual, editable, directory, path
    resolution_markers: tuple[str, ...]
    dependencies: tuple[UvDependency, ...]
    optional_dependencies: tuple[tuple[str, tuple[UvDependency, ...]], ...]
    locked: LockedPackage | None  # None for the user's own code and for git sources


@dataclass(frozen=True)
class LockFile:
    path: str
    format: str  # "uv.lock" | "pylock.toml" | "poetry.lock" | "Pipfile.lock" | "requirements.txt"
    packages: tuple[LockedPackage, ...]
    indexes: tuple[str, ...]  # index URLs the lock declares, in order; may be empty
    requires_python: str | None = None  # uv.lock / pylock.toml: targets outside are refused
    # pylock `environments`, uv `supported-markers`: the lock covers only targets where
    # one of these holds.
    environments: tuple[str, ...] = ()
    default_groups: tuple[str, ...] = ()  # pylock: `dependency_groups` for its markers
    unfetchable: tuple[Unfetchable, ...] = ()
    skipped: tuple[str, ...] = ()  # local projects and path dependencies: never fetched
    uv_graph: tuple[UvPackage, ...] = ()  # uv.lock only: every [[package]] in file order


@dataclass(frozen=True)
class _Source:
    path: str
    format: str

    def error(self, where: str, problem: str) -> UserError:
        place = f"{self.path}: {where}: " if where else f"{self.path}: "
        return UserError(f"{place}{problem}; {_FIX[self.format]}")

    @property
    def table(self) -> str:
        """A mapping, in the words of the file's own syntax."""
        return "an object" if self.format == PIPFILE else "a table"

    def kind(self, value: object) -> str:
        word = _kind(value)
        return self.table if word == "a table" else word


# ---------------------------------------------------------------------------------------
# Entry point


def read_lock(path: Path) -> LockFile:
    """Read any supported lock file; the format comes from the name, else the content."""
    fmt = _format_by_name(path)
    if fmt == REQUIREMENTS:
        return _read_requirements(path)
    text = _read_text(path)
    data: object
    if fmt is None:
        fmt, data = _sniff(path, text)
    elif fmt == PIPFILE:
        data = _parse_json(_Source(str(path), fmt), text)
    else:
        data = _parse_toml(_Source(str(path), fmt), text)
    src = _Source(str(path), fmt)
    if fmt == UV:
        return _read_uv(src, _table(src, data, ""))
    if fmt == PYLOCK:
        return _read_pylock(src, _table(src, data, ""))
    if fmt == POETRY:
        return _read_poetry(src, _table(src, data, ""))
    return _read_pipfile(src, data)


def _format_by_name(path: Path) -> str | None:
    name = path.name
    if name in (UV, POETRY, PIPFILE):
        return name
    if re.fullmatch(r"pylock\.([^.]+\.)?toml", name):  # PEP 751's file name rule
        return PYLOCK
    if name.endswith(".txt"):
        return REQUIREMENTS
    return None


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read lock file {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); give the lock file itself"
        ) from exc


def _parse_toml(src: _Source, text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise src.error("", f"not valid TOML ({_first_line(exc)})") from exc
    except RecursionError as exc:
        raise src.error("", "not valid TOML (nested too deeply)") from exc


def _parse_json(src: _Source, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise src.error("", f"not valid JSON ({_first_line(exc)})") from exc
    except (ValueError, RecursionError) as exc:  # huge integers, deep nesting
        raise src.error("", f"not valid JSON ({type(exc).__name__})") from exc


def _sniff(path: Path, text: str) -> tuple[str, object]:
    """The format of a lock file with an unusual name, from its content."""
    if text.lstrip().startswith("{"):
        try:
            data: object = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("_meta"), dict):
            return PIPFILE, data
    else:
        try:
            toml: Table | None = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            toml = None
        if toml is not None:
            metadata = toml.get("metadata")
            if "lock-version" in toml and "packages" in toml:
                return PYLOCK, toml
            if isinstance(metadata, dict) and (
                "content-hash" in metadata or "lock-version" in metadata
            ):
                return POETRY, toml
            if "version" in toml and ("package" in toml or "requires-python" in toml):
                return UV, toml
    raise UserError(
        f"{path}: not a lock file this can read; give a uv.lock, pylock.toml, poetry.lock,"
        " Pipfile.lock or requirements .txt file (named so, or with that content)"
    )


# ---------------------------------------------------------------------------------------
# Typed access to parsed TOML/JSON: every lookup checks the type it hands on.


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return "a date-time"
    return "null" if value is None else type(value).__name__


def _show(value: object) -> str:
    return _clip(repr(value))


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _table(src: _Source, value: object, where: str) -> Table:
    if not isinstance(value, dict):
        raise src.error(where, f"expected {src.table}, found {src.kind(value)}")
    return value


def _opt_table(src: _Source, table: Table, key: str, where: str) -> Table | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise src.error(where, f"'{key}' should be {src.table}, not {src.kind(value)}")
    return value


def _need_table(src: _Source, table: Table, key: str, where: str) -> Table:
    value = _opt_table(src, table, key, where)
    if value is None:
        raise src.error(where, f"'{key}' is missing")
    return value


def _list(src: _Source, table: Table, key: str, where: str) -> list[object]:
    value = table.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise src.error(where, f"'{key}' should be an array, not {src.kind(value)}")
    return value


def _opt_str(src: _Source, table: Table, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise src.error(where, f"'{key}' should be a string, not {src.kind(value)}")


def _str(src: _Source, table: Table, key: str, where: str) -> str:
    value = _opt_str(src, table, key, where)
    if value is None:
        raise src.error(where, f"'{key}' is missing")
    return value


def _str_list(src: _Source, table: Table, key: str, where: str) -> list[str]:
    items = _list(src, table, key, where)
    for item in items:
        if not isinstance(item, str):
            raise src.error(where, f"'{key}' should list strings, found {src.kind(item)}")
    return [item for item in items if isinstance(item, str)]


def _opt_size(src: _Source, table: Table, where: str) -> int | None:
    value = table.get("size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise src.error(where, f"'size' should be a byte count, not {_show(value)}")
    return value


# ---------------------------------------------------------------------------------------
# Values


def _name(src: _Source, text: str, where: str) -> str:
    try:
        return canonicalize_name(text, validate=True)
    except InvalidName:
        raise src.error(where, f"{_show(text)} is not a valid package name") from None


def _version(src: _Source, text: str, where: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion:
        raise src.error(where, f"version {_show(text)} is not a PEP 440 version") from None


def _marker(src: _Source, text: str, where: str) -> str:
    try:
        return str(markers.parse(text))
    except (InvalidMarker, RecursionError) as exc:
        problem = _first_line(exc) if isinstance(exc, InvalidMarker) else "nested too deeply"
        raise src.error(where, f"marker {_show(text)} is invalid ({problem})") from None


def _requires_python(src: _Source, text: str | None, where: str) -> str | None:
    if text is None:
        return None
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        raise src.error(where, f"requires-python {_show(text)} is not a version range") from None


def _sha256(src: _Source, value: object, where: str) -> str:
    match = _SHA256.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise src.error(where, f"hash {_show(value)} is not sha256:<64 hex digits>")
    return match.group(1).lower()


def _absolute_url(src: _Source, text: str, where: str) -> str:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a bad port
        absolute = bool(parts.scheme) and (bool(parts.netloc) or parts.scheme == "file")
        shown = _show(redact(text))
    except ValueError:  # a malformed host or port
        raise src.error(where, "url does not parse as a URL") from None
    if not absolute:
        raise src.error(where, f"url {shown} is not an absolute URL")
    return text


def _url_filename(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed host: callers that need a URL check it themselves
        return None
    return unquote(path.rsplit("/", 1)[-1]) or None


def _path_filename(path: str | None) -> str | None:
    if not path:
        return None
    return re.split(r"[/\\]", path)[-1] or None


_FILENAME = re.compile(r"[A-Za-z0-9._+!~%\-]{1,255}")


def _check_wheel(src: _Source, filename: str, name: str, version: str | None, where: str) -> None:
    """A wheel listed under another package or version is a broken (or tampered) lock;
    so is a file name with a path or a control character (a NUL ends the string in
    Nix's fromJSON, and Nix and Python would disagree on the name)."""
    if not _FILENAME.fullmatch(filename):
        raise src.error(where, f"{_show(filename)} is not a file name")
    if not filename.endswith(".whl"):
        return
    try:
        wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
    except ValueError:  # InvalidWheelFilename, InvalidVersion
        raise src.error(where, f"{_show(filename)} is not a valid wheel file name") from None
    if wheel_name != name or (version is not None and wheel_version != Version(version)):
        raise src.error(where, f"wheel {_show(filename)} is not a file of {name} {version}")


def _version_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename, InvalidVersion
        return None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _canonical(table: Mapping[str, object]) -> str:
    return json.dumps(table, sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------
# uv.lock


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


# ---------------------------------------------------------------------------------------
# pylock.toml (PEP 751). Read here rather than with packaging.pylock, which only
# packaging 26 has and the nixpkgs releases we build on do not.

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


# ---------------------------------------------------------------------------------------
# poetry.lock


def _read_poetry(src: _Source, data: Table) -> LockFile:
    _need_table(src, data, "metadata", "")
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    for number, item in enumerate(_list(src, data, "package", ""), 1):
        where = f"package {number}"
        table = _table(src, item, where)
        name = _name(src, _str(src, table, "name", where), where)
        where = f"package {number} ({name})"
        version = _version(src, _str(src, table, "version", where), where)
        groups = _str_list(src, table, "groups", where)
        optional = table.get("optional", False)
        if not isinstance(optional, bool):
            raise src.error(where, f"'optional' should be a boolean, not {src.kind(optional)}")
        # Optional packages come only with the project's extras, other groups only on
        # request: neither is part of the default install.
        if optional or (groups and "main" not in groups):
            continue
        marker = _poetry_marker(src, table, where)
        source = _opt_table(src, table, "source", where)
        source_type = None if source is None else _str(src, source, "type", where + " source")
        source_url = None if source is None else _opt_str(src, source, "url", where + " source")
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
    table = _table(src, value, where)
    filename = _str(src, table, "file", where)
    _check_wheel(src, filename, name, version, where)
    digest = table.get("hash")
    sha256 = None if digest is None else _sha256(src, digest, where)
    return LockedFile(filename, None, sha256)


# ---------------------------------------------------------------------------------------
# Pipfile.lock


def _read_pipfile(src: _Source, data: object) -> LockFile:
    top = _table(src, data, "")
    meta = _need_table(src, top, "_meta", "")
    sources: dict[str, str] = {}
    for number, item in enumerate(_list(src, meta, "sources", "_meta"), 1):
        where = f"_meta sources {number}"
        entry = _table(src, item, where)
        # pipenv expands ${VAR} in source URLs (credentials, mostly) from the environment;
        # the index client splits credentials off, so none reaches the lock.
        url = _expand_env(_str(src, entry, "url", where))
        sources.setdefault(_str(src, entry, "name", where), url)
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    # "develop" is what `pipenv install --dev` adds: not part of the default install.
    for key, value in _need_table(src, top, "default", "").items():
        where = f"default {_show(key)}"
        name = _name(src, key, where)
        entry = _table(src, value, where)
        raw_marker = _opt_str(src, entry, "markers", where)
        marker = None if raw_marker is None else _marker(src, raw_marker, where)
        if "path" in entry or entry.get("editable") is True:
            skipped.append(name)
            continue
        if "git" in entry or "file" in entry:
            origin = "comes from git" if "git" in entry else "comes from a direct file or URL"
            unfetchable.append(Unfetchable(name, marker, origin))
            continue
        spec = _opt_str(src, entry, "version", where)
        pin = None if spec is None else _PIPFILE_PIN.fullmatch(spec.strip())
        if pin is None:
            # pipenv writes "*" and no hashes for what it could not resolve on the machine
            # that locked, typically a dependency of another platform.
            reason = f"is not pinned to one version ({_show(spec)}), so pipenv did not lock it"
            unfetchable.append(Unfetchable(name, marker, reason))
            continue
        version = _version(src, pin.group(1), where)
        hashes = _unique(_sha256(src, h, where) for h in _list(src, entry, "hashes", where))
        index_name = _opt_str(src, entry, "index", where)
        if index_name is not None and index_name not in sources:
            raise src.error(where, f"index {_show(index_name)} is not in _meta.sources")
        index = None if index_name is None else sources[index_name]
        files = tuple(LockedFile(None, None, h) for h in hashes)
        packages.append(LockedPackage(name, version, files, index, marker))
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(packages),
        indexes=_unique(sources.values()),
        unfetchable=tuple(unfetchable),
        skipped=_unique(skipped),
    )


# ---------------------------------------------------------------------------------------
# pip requirements files


_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expand_env(text: str) -> str:
    """``${VAR}``/``$VAR`` from the environment, as pipenv does; unknown ones stay."""
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1) or m.group(2), m.group(0)), text)


def _read_requirements(path: Path) -> LockFile:
    src = _Source(str(path), REQUIREMENTS)
    _read_text(path)  # a precise message for an unreadable or non-UTF-8 file
    try:
        parsed = requirements_txt.parse(path)
    except RecursionError:
        raise src.error("", "a requirement is nested too deeply to parse") from None
    except (OSError, UnicodeDecodeError) as exc:  # an included file
        raise src.error("", f"cannot read a file it includes ({_first_line(exc)})") from None
    packages = []
    for entry in parsed.entries:
        requirement = entry.requirement
        name = canonicalize_name(requirement.name)
        version = _pinned(requirement)
        if version is None:
            raise UserError(
                f"{entry.where}: {name} is not pinned with ==; convert needs a lock: "
                "pin every package (e.g. `uv export --format requirements.txt` "
                "or `pip-compile --generate-hashes`)"
            )
        marker = None if requirement.marker is None else str(requirement.marker)
        files = tuple(LockedFile(None, None, h) for h in sorted(entry.hashes))
        packages.append(LockedPackage(name, version, files, None, marker))
    indexes = [parsed.index_url] if parsed.index_url else []
    return LockFile(
        path=str(path),
        format=REQUIREMENTS,
        packages=tuple(packages),
        indexes=_unique([*indexes, *parsed.extra_index_urls]),
    )


def _pinned(requirement: Requirement) -> str | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==":
        return None
    text = specifiers[0].version
    if text.endswith(".*"):
        return None
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


# ---------------------------------------------------------------------------------------
# Which packages a target gets


def applicable_packages(lock: LockFile, env: dict[str, str]) -> list[LockedPackage]:
    """The packages a target whose complete marker environment is ``env`` installs,
    sorted by name; a ``UserError`` if the lock does not cover the target."""
    _check_covered(lock, env)
    if lock.format == UV:
        return _uv_applicable(lock, env)
    for entry in lock.unfetchable:
        if _holds(lock, entry.marker, env, entry.name):
            raise UserError(
                f"{lock.path}: {entry.name} {entry.reason}, and {_describe(env)} needs it;"
                " convert takes wheels from an index: lock it from one, or drop it"
            )
    chosen: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if not _holds(lock, package.marker, env, package.name):
            continue
        other = chosen.setdefault(package.name, package)
        if other.version != package.version:
            raise UserError(
                f"{lock.path}: {package.name} is locked as both {other.version} and"
                f" {package.version} for {_describe(env)}; {_FIX[lock.format]}"
            )
    return sorted(chosen.values(), key=lambda p: p.name)


def _describe(env: Mapping[str, str]) -> str:
    platform = env.get("sys_platform", "?")
    machine = env.get("platform_machine", "?")
    return f"{platform} {machine} Python {env.get('python_full_version', '?')}"


def _check_covered(lock: LockFile, env: dict[str, str]) -> None:
    if lock.requires_python is not None:
        try:
            python: Version | None = Version(env.get("python_full_version", ""))
        except InvalidVersion:
            python = None
        if python is not None and not SpecifierSet(lock.requires_python).contains(
            python, prereleases=True
        ):
            raise UserError(
                f"{lock.path}: the lock requires Python {lock.requires_python}, not {python};"
                " lock for this Python or choose another --python"
            )
    if lock.environments and not any(
        _holds(lock, marker, env, "the lock's environments") for marker in lock.environments
    ):
        raise UserError(
            f"{lock.path}: the lock covers only {_clip(' or '.join(lock.environments))}, not"
            f" {_describe(env)}; add this target to the lock's environments and re-lock"
        )


def _holds(lock: LockFile, marker: str | None, env: Mapping[str, str], what: str) -> bool:
    if marker is None:
        return True
    try:
        return markers.evaluate(
            marker, env, lock_file=lock.format == PYLOCK, groups=frozenset(lock.default_groups)
        )
    except (
        InvalidMarker,
        UndefinedComparison,
        UndefinedEnvironmentName,
        TypeError,
        ValueError,
        RecursionError,
    ) as exc:
        raise UserError(
            f"{lock.path}: the marker {_show(marker)} of {what} cannot be evaluated"
            f" ({_first_line(exc)}); {_FIX[lock.format]}"
        ) from None


@dataclass(frozen=True)
class LockGraph:
    """What a lock with edges (uv.lock) says about a target beyond its package set: the
    extras each package is installed with and the packages each one depends on."""

    extras: Mapping[str, frozenset[str]]
    edges: Mapping[str, frozenset[str]]


def lock_graph(lock: LockFile, env: dict[str, str]) -> LockGraph | None:
    """The lock's own edges for a target, or None for formats that have none."""
    if lock.format != UV:
        return None
    _check_covered(lock, env)
    return _uv_walk(lock, env)[1]


def _uv_applicable(lock: LockFile, env: dict[str, str]) -> list[LockedPackage]:
    reached = _uv_walk(lock, env)[0]
    return sorted(
        (entry.locked for entry in reached.values() if entry.locked is not None),
        key=lambda p: p.name,
    )


def _uv_walk(lock: LockFile, env: dict[str, str]) -> tuple[dict[str, UvPackage], LockGraph]:
    """Walk uv's graph from the project along the edges whose markers hold.

    uv.lock is universal: a package's presence alone says nothing, only the path to it
    does (a win32-only edge, a fork per Python version)."""
    graph = lock.uv_graph
    by_name: dict[str, list[int]] = {}
    for number, entry in enumerate(graph):
        by_name.setdefault(entry.name, []).append(number)
    roots = [n for n, entry in enumerate(graph) if entry.kind in _UV_LOCAL]
    if not roots:  # no project in the lock: every package whose fork fits is wanted
        roots = [n for n, entry in enumerate(graph) if _fork_holds(lock, entry, env)]
    todo: list[tuple[int, str | None]] = [(n, None) for n in roots]
    seen = set(todo)
    reached: dict[str, UvPackage] = {}
    extras: dict[str, set[str]] = {}
    edges: dict[str, set[str]] = {}
    while todo:
        number, extra = todo.pop()
        entry = graph[number]
        if entry.kind not in _UV_LOCAL:
            if entry.locked is None:
                raise UserError(
                    f"{lock.path}: {entry.name} comes from {entry.kind}, and {_describe(env)}"
                    " needs it; convert takes wheels from an index: lock it from one"
                )
            other = reached.setdefault(entry.name, entry)
            if other is not entry:
                raise UserError(
                    f"{lock.path}: {entry.name} is reached as both {other.version} and"
                    f" {entry.version} for {_describe(env)}; {_FIX[lock.format]}"
                )
        if extra is not None:
            extras.setdefault(entry.name, set()).add(extra)
        for edge in (
            entry.dependencies
            if extra is None
            else dict(entry.optional_dependencies).get(extra, ())
        ):
            if not _holds(lock, edge.marker, env, f"{entry.name}'s dependency {edge.name}"):
                continue
            target = _uv_edge_target(lock, graph, by_name, entry, edge, env)
            edges.setdefault(entry.name, set()).add(graph[target].name)
            for item in [(target, None), *((target, x) for x in edge.extras)]:
                if item not in seen:
                    seen.add(item)
                    todo.append(item)
    return reached, LockGraph(
        {name: frozenset(chosen) for name, chosen in extras.items()},
        {name: frozenset(names) for name, names in edges.items()},
    )


def _fork_holds(lock: LockFile, entry: UvPackage, env: dict[str, str]) -> bool:
    return not entry.resolution_markers or any(
        _holds(lock, marker, env, entry.name) for marker in entry.resolution_markers
    )


def _uv_edge_target(
    lock: LockFile,
    graph: tuple[UvPackage, ...],
    by_name: dict[str, list[int]],
    entry: UvPackage,
    edge: UvDependency,
    env: dict[str, str],
) -> int:
    """The entry an edge names: by version and source when uv forked, else by name."""
    candidates = by_name.get(edge.name, [])
    if edge.version is not None:
        candidates = [n for n in candidates if graph[n].version == edge.version]
    if edge.source is not None:
        candidates = [n for n in candidates if graph[n].source == edge.source]
    if len(candidates) > 1:
        candidates = [n for n in candidates if _fork_holds(lock, graph[n], env)]
    if len(candidates) == 1:
        return candidates[0]
    wanted = edge.name if edge.version is None else f"{edge.name} {edge.version}"
    count = "no entry" if not candidates else "several entries"
    raise UserError(
        f"{lock.path}: {entry.name} depends on {wanted}, for which the lock has {count}"
        f" for {_describe(env)}; {_FIX[lock.format]}"
    )
