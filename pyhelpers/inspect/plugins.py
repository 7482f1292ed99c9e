"""Optional plugins: files a package loads only on demand (an NVSHMEM transport, a Qt
SQL driver, numba's TBB layer). A library that only such files need is optional: a
build leaves it out unless asked, instead of failing on it.

What counts comes from data (``pyhelpers/data/optional.json``: path patterns checked
against real wheels, each with the reason shown to users) and from the files themselves:
a file that something not loaded on demand lists in DT_NEEDED is part of the package,
whatever its path (Qt 3D's QML support libraries are needed only by QML modules, and so
are loaded on demand too).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import data


@dataclass(frozen=True)
class PluginRule:
    path: str  # fnmatch over the path relative to site-packages; "*" spans folders
    reason: str
    sonames: tuple[str, ...] = ()  # which needs are optional; empty: all of them

    def matches(self, installed: str) -> bool:
        return fnmatch.fnmatchcase(installed, self.path)

    def covers(self, soname: str) -> bool:
        return not self.sonames or any(fnmatch.fnmatchcase(soname, s) for s in self.sonames)


@cache
def rules() -> tuple[PluginRule, ...]:
    raw: dict[str, Any] = data.load("optional")
    return tuple(
        PluginRule(e["path"], e["reason"], tuple(e.get("sonames", ()))) for e in raw["plugins"]
    )


@dataclass(frozen=True)
class File:
    installed: str  # relative to site-packages
    soname: str | None
    needed: tuple[str, ...]


OnDemand = dict[str, tuple[PluginRule, ...]]


def on_demand(files: Iterable[File]) -> OnDemand:
    """The files loaded only on demand, with the rules their paths match: those whose
    path a rule matches and that nothing else but such files lists in DT_NEEDED."""
    files = list(files)
    candidates = {
        f.installed: matched
        for f in files
        if (matched := tuple(r for r in rules() if r.matches(f.installed)))
    }
    needed_by: dict[str, list[str]] = {}
    for f in files:
        for soname in set(f.needed):
            needed_by.setdefault(soname, []).append(f.installed)
    by_path = {f.installed: f for f in files}
    users = {
        path: {
            user
            for name in {posixpath.basename(path), by_path[path].soname}
            if name
            for user in needed_by.get(name, ())
        }
        for path in candidates
    }
    found: OnDemand = {}
    changed = True
    while changed:  # a fixpoint: at most one round per candidate
        changed = False
        for path, matched in candidates.items():
            if path not in found and all(u in found for u in users[path]):
                found[path] = matched
                changed = True
    return found


def optional_reason(loaded: OnDemand, installed: str | None, needed: str) -> str | None:
    """Why ``needed`` is optional for the file at ``installed``, or None."""
    for rule in loaded.get(installed or "", ()):
        if rule.covers(needed):
            return rule.reason
    return None


def site_relative(path: str) -> str | None:
    """The part of an installed path after site-packages/, or None outside one."""
    marker = "/site-packages/"
    index = path.rfind(marker)
    return path[index + len(marker) :] if index >= 0 else None
