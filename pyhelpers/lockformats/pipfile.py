"""Pipfile.lock: pins and hashes, files found on the index by hash."""

from .fields import (
    _list,
    _marker,
    _name,
    _need_table,
    _opt_str,
    _sha256,
    _show,
    _str,
    _table,
    _unique,
    _version,
)
from .model import _PIPFILE_PIN, LockedFile, LockedPackage, LockFile, Unfetchable, _Source
from .requirements import _expand_env


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
