"""poetry.lock: file names and hashes, URLs from the index, and the graph poetry's
installer walks (each package's dependencies with their constraints and markers)."""

from dataclasses import dataclass
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ...index.urls import DEFAULT_INDEX
from . import poetryconstraint
from .fields import (
    _check_wheel,
    _list,
    _marker,
    _name,
    _opt_str,
    _opt_table,
    _sha256,
    _show,
    _str,
    _table,
    _unique,
    _url_filename,
    _version,
)
from .model import (
    LockedFile,
    LockedPackage,
    LockFile,
    PoetryPackage,
    Table,
    Unfetchable,
    _Source,
)
from .poetrydeps import dependency_specs, extra_entries
from .poetryproject import read_project
from .schema import read_table


@dataclass(frozen=True)
class _Lock:
    metadata: Table
    package: list[object]
    extras: Table | None


@dataclass(frozen=True)
class _Package:  # after its name, which names it in every message
    version: str
    groups: list[str]
    python_versions: str | None
    dependencies: Table | None
    extras: Table | None
    optional: bool = False


@dataclass(frozen=True)
class _Origin:  # a package's [package.source]
    type: str
    url: str | None
    resolved_reference: str | None
    reference: str | None


@dataclass(frozen=True)
class _File:
    file: str
    hash: object


def _read_poetry(src: _Source, data: Table) -> LockFile:
    lock = read_table(src, _Lock, data, "")
    shared = _metadata_files(src, lock.metadata)
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    graph: list[PoetryPackage] = []
    for number, item in enumerate(lock.package, 1):
        where = f"package {number}"
        table = _table(src, item, where)
        name = _name(src, _str(src, table, "name", where), where)
        where = f"package {number} ({name})"
        package = read_table(src, _Package, table, where)
        version = _version(src, package.version, where)
        marker = _poetry_marker(src, table, where)
        source = _opt_table(src, table, "source", where)
        origin = None if source is None else read_table(src, _Origin, source, where + " source")
        listed = _list(src, table, "files", where) or _old_files(shared, name, version)
        files = tuple(
            _poetry_file(src, f, name, version, f"{where} file {n}")
            for n, f in enumerate(listed, 1)
        )
        locked, missing = _origin(name, version, files, marker, origin)
        graph.append(
            PoetryPackage(
                name,
                version,
                package.python_versions or "*",
                tuple(
                    spec
                    for key, value in (package.dependencies or {}).items()
                    for spec in dependency_specs(src, key, value, f"{where} dependencies")
                ),
                tuple(
                    (
                        _name(src, extra, where),
                        extra_entries(src, _str_items(src, entries, where), where),
                    )
                    for extra, entries in (package.extras or {}).items()
                ),
                locked,
                missing,
                tuple(_name(src, g, where) for g in package.groups),
                _group_markers(src, table, package.groups, where),
            )
        )
        # Without the project's pyproject.toml, the default install is what the lock marks
        # so: optional packages come only with extras, other groups only on request.
        if package.optional or (package.groups and "main" not in package.groups):
            continue
        if locked is not None:
            packages.append(locked)
        elif missing is not None:
            unfetchable.append(missing)
        else:
            skipped.append(name)
    project = read_project(src, Path(src.path).with_name("pyproject.toml"))
    return LockFile(
        path=src.path,
        format=src.format,
        packages=tuple(packages),
        indexes=_unique(p.index for p in packages if p.index is not None),
        unfetchable=tuple(unfetchable),
        skipped=_unique(skipped),
        poetry_graph=tuple(graph),
        poetry_project=project,
        poetry_python=_python_versions(src, lock.metadata),
        # A 2.1 lock without any `groups` is not poetry's (it would not read it): the
        # older reading then applies.
        poetry_locked_groups=_lock_version(src, lock.metadata) >= Version("2.1")
        and any(p.groups for p in graph),
        poetry_extras=tuple(
            (_name(src, extra, "extras"), tuple(_name(src, n, "extras") for n in names))
            for extra, names in (lock.extras or {}).items()
            if isinstance(names, list) and all(isinstance(n, str) for n in names)
        ),
        # poetry records a source for every package but PyPI's.
        default_index=DEFAULT_INDEX,
    )


def _origin(
    name: str,
    version: str,
    files: tuple[LockedFile, ...],
    marker: str | None,
    origin: _Origin | None,
) -> tuple[LockedPackage | None, Unfetchable | None]:
    """The package as an index serves it, or why none can, with what a Nix build needs to
    fetch it; neither for the user's own code (a directory)."""
    kind = None if origin is None else origin.type
    url = None if origin is None else origin.url
    if kind is None or kind == "legacy":
        return LockedPackage(name, version, files, url, marker), None
    if kind == "url" and url is not None:
        direct = tuple(
            LockedFile(f.filename, url, f.sha256, f.size) if f.filename == _url_filename(url) else f
            for f in files
        )
        return LockedPackage(name, version, direct, None, marker), None
    if kind == "directory":
        return None, None
    assert origin is not None
    if kind == "git":
        commit = origin.resolved_reference or origin.reference or ""
        fetch: tuple[tuple[str, str], ...] = (
            ("type", "git"),
            ("url", url or ""),
            ("commit", commit),
        )
        return None, Unfetchable(name, marker, "comes from git", fetch, version)
    if kind == "file":
        sha256 = next((f.sha256 for f in files if f.sha256), None) or ""
        fetch = (("type", "path"), ("path", url or ""), ("sha256", sha256))
        return None, Unfetchable(name, marker, "is a local file", fetch, version)
    return None, Unfetchable(name, marker, f"comes from a {_show(kind)} source", (), version)


def _str_items(src: _Source, value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.error(where, f"an extra should be an array of strings, not {src.kind(value)}")
    return value


def _poetry_marker(src: _Source, table: Table, where: str) -> str | None:
    value = table.get("markers")
    if isinstance(value, dict):  # per group: the default install is the main group
        value = value.get("main")
    if value is None:
        return None
    if not isinstance(value, str):
        raise src.error(where, f"'markers' should be a string or a table, not {src.kind(value)}")
    return _marker(src, value, where)


def _group_markers(
    src: _Source, table: Table, groups: list[str], where: str
) -> tuple[tuple[str, str | None], ...]:
    """Per group, the marker the package is installed under: one string for every group,
    or a table by group; a group it does not name (or no markers at all) is "*"."""
    value = table.get("markers")
    if isinstance(value, str):
        return tuple((_name(src, g, where), _marker(src, value, where)) for g in groups)
    found = value if isinstance(value, dict) else {}
    markers = []
    for group in groups:
        text = found.get(group)
        if text is not None and not isinstance(text, str):
            raise src.error(where, f"the marker of group {_show(group)} should be a string")
        markers.append(
            (_name(src, group, where), None if text is None else _marker(src, text, where))
        )
    return tuple(markers)


def _lock_version(src: _Source, metadata: Table) -> Version:
    text = _opt_str(src, metadata, "lock-version", "metadata") or "1.0"
    try:
        return Version(text)
    except InvalidVersion:
        raise src.error("metadata", f"lock-version {_show(text)} is not a version") from None


def _poetry_file(src: _Source, value: object, name: str, version: str, where: str) -> LockedFile:
    file = read_table(src, _File, value, where)
    _check_wheel(src, file.file, name, version, where)
    sha256 = None if file.hash is None else _sha256(src, file.hash, where)
    return LockedFile(file.file, None, sha256)


def _metadata_files(src: _Source, metadata: Table) -> dict[str, list[object]]:
    """Lock version 1.1 keeps every package's files in [metadata.files], by name (those
    of all its locked versions together); 2.x lists them under each package."""
    table = _opt_table(src, metadata, "files", "metadata") or {}
    return {
        _name(src, name, "metadata files"): _list(src, table, name, "metadata files")
        for name in table
    }


def _old_files(shared: dict[str, list[object]], name: str, version: str) -> list[object]:
    """The [metadata.files] entries of one version of a package: by its file names."""
    wanted = Version(version)
    found = []
    for entry in shared.get(name, []):
        filename = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(filename, str) and _file_version(filename) == wanted:
            found.append(entry)
    return found


def _file_version(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _python_versions(src: _Source, metadata: Table) -> str | None:
    text = _opt_str(src, metadata, "python-versions", "metadata")
    if text is None:
        return None
    try:
        return str(poetryconstraint.parse(text))
    except poetryconstraint.Invalid as exc:
        raise src.error(
            "metadata", f"python-versions {_show(text)} cannot be read ({exc})"
        ) from None
