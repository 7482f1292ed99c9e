"""Pipfile.lock: pins and hashes, files found on the index by hash."""

from dataclasses import dataclass, field

from .fields import (
    _list,
    _marker,
    _name,
    _opt_str,
    _sha256,
    _show,
    _table,
    _unique,
    _version,
)
from .model import _PIPFILE_PIN, LockedFile, LockedPackage, LockFile, Table, Unfetchable, _Source
from .requirements import _expand_env
from .schema import read_table


@dataclass(frozen=True)
class _Lock:
    meta: Table = field(metadata={"key": "_meta"})
    default: Table  # "develop" is what `pipenv install --dev` adds: not the default install


@dataclass(frozen=True)
class _Meta:
    sources: list[object]


@dataclass(frozen=True)
class _IndexSource:
    url: str
    name: str


def _read_pipfile(src: _Source, data: object) -> LockFile:
    lock = read_table(src, _Lock, data, "")
    sources: dict[str, str] = {}
    for number, item in enumerate(read_table(src, _Meta, lock.meta, "_meta").sources, 1):
        listed = read_table(src, _IndexSource, item, f"_meta sources {number}")
        # pipenv expands ${VAR} in source URLs (credentials, mostly) from the environment;
        # the index client splits credentials off, so none reaches the lock.
        sources.setdefault(listed.name, _expand_env(listed.url))
    packages: list[LockedPackage] = []
    unfetchable: list[Unfetchable] = []
    skipped: list[str] = []
    for key, value in lock.default.items():
        where = f"default {_show(key)}"
        name = _name(src, key, where)
        entry = _table(src, value, where)
        raw_marker = _opt_str(src, entry, "markers", where)
        marker = None if raw_marker is None else _marker(src, raw_marker, where)
        if "path" in entry or entry.get("editable") is True:
            skipped.append(name)
            continue
        if "git" in entry or "file" in entry:
            unfetchable.append(_direct(src, name, entry, marker, where))
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


def _direct(src: _Source, name: str, entry: Table, marker: str | None, where: str) -> Unfetchable:
    """A git or file entry, with what a Nix build needs to fetch it."""
    if "git" in entry:
        url = _opt_str(src, entry, "git", where) or ""
        commit = _opt_str(src, entry, "ref", where) or ""
        fetch: tuple[tuple[str, str], ...] = (
            ("type", "git"),
            ("url", url.removeprefix("git+")),
            ("commit", commit),
        )
        return Unfetchable(name, marker, "comes from git", fetch)
    url = _opt_str(src, entry, "file", where) or ""
    kind = "url" if "://" in url and not url.startswith("file:") else "path"
    fetch = (("type", kind), ("url" if kind == "url" else "path", url.removeprefix("file://")))
    return Unfetchable(name, marker, "comes from a direct file or URL", fetch)
