"""What the names a wheel's Python code loads at run time (``pyloads``) stand for on
Linux, and where each comes from: the same kinds as a DT_NEEDED entry (glibc, GPU
driver, sibling wheel, nixpkgs attribute, unknown), plus ``vendored`` for a library the
wheel itself ships.

``find_library("magic")`` asks for ``libmagic.so.1``, ``CDLL("libEGL.so")`` for the
versioned ``libEGL.so.1``; the soname is chosen among the ones we know (the lock's
siblings first, then the driver, glibc, the soname map and the table of real wheels),
the highest version first. Names of other systems (``kernel32``, ``*.dll``,
``CoreFoundation``) are no needs on Linux.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import siblings as siblings_table
from .pyloads import PyLoad
from .sonames import SonameMap

# Windows and macOS libraries that cross-platform code names beside the Linux one.
_OTHER_SYSTEMS = frozenset(
    {
        "kernel32",
        "user32",
        "advapi32",
        "gdi32",
        "ole32",
        "oleaut32",
        "shell32",
        "ws2_32",
        "ntdll",
        "msvcrt",
        "ucrtbase",
        "dbghelp",
        "opengl32",
        "glu32",
        "corefoundation",
        "foundation",
        "appkit",
        "cocoa",
        "iokit",
        "security",
        "systemconfiguration",
        "carbon",
        "applicationservices",
        "libsystem",
        "system",
        "objc",
    }
)
_OTHER_SUFFIXES = (".dll", ".dylib", ".pyd", ".framework", ".tbd", ".lib")
_SONAME = re.compile(r"^(lib[^/]*?)\.so((?:\.[0-9]+)*)$")
# The driver's libraries, as ``ldconfig -p`` searches and short names ask for them.
_DRIVER_DEFAULTS = {"libcuda": "libcuda.so.1", "libnvidia-ml": "libnvidia-ml.so.1"}


def is_other_system(name: str) -> bool:
    """A name that is no Linux library: a Windows or macOS one, or a path."""
    lowered = name.lower()
    return (
        "/" in name
        or "\\" in name
        or not name.strip()
        or lowered.endswith(_OTHER_SUFFIXES)
        or ".dylib" in lowered
        or lowered.removesuffix(".so") in _OTHER_SYSTEMS
    )


def stem_of(name: str) -> str | None:
    """``libmagic`` for "magic", "libmagic", "libmagic.so" and "libmagic.so.1"."""
    match = _SONAME.match(name)
    if match:
        return match.group(1)
    if "." in name.removeprefix("lib"):
        return None
    return name if name.startswith("lib") else f"lib{name}"


def _version(soname: str) -> tuple[int, ...]:
    match = _SONAME.match(soname)
    digits = match.group(2) if match else ""
    return tuple(int(p) for p in digits.split(".") if p)


@dataclass(frozen=True)
class KnownSonames:
    """Every soname we can say something of, in the order a short name prefers them."""

    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def build(cls, smap: SonameMap, lock_siblings: Iterable[str]) -> KnownSonames:
        return cls(
            (
                tuple(lock_siblings),
                tuple(smap.drivers) + tuple(_DRIVER_DEFAULTS.values()),
                tuple(smap.glibc),
                tuple(smap.libraries),
                tuple(siblings_table.exact_names()),
            )
        )

    def soname_for(self, name: str) -> str | None:
        """The soname a name asks for, or None when we know none it could be."""
        match = _SONAME.match(name)
        if match and match.group(2):
            return name  # already a soname: libcuda.so.1
        stem = stem_of(name)
        if stem is None:
            return None
        for group in self.groups:
            found = [s for s in group if _SONAME.match(s) and _stem_match(s, stem)]
            if found:
                return max(found, key=lambda s: (_version(s), s))
        return _DRIVER_DEFAULTS.get(stem)


def _stem_match(soname: str, stem: str) -> bool:
    match = _SONAME.match(soname)
    return match is not None and match.group(1) == stem


# (soname) -> the entry fields of its kind: kind, nix, provided_by ... as classify makes them.
Classifier = Callable[[str], dict[str, Any]]


def classify_loads(
    loads: Iterable[PyLoad], known: KnownSonames, kind_of: Classifier
) -> list[dict[str, Any]]:
    """One entry per name asked for and way of asking, with every call site that asks.
    Of the names one call site tries in turn, the first we can map is its need; a site
    whose names are all of other systems needs nothing here."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for load in loads:
        linux = [n for n in load.names if not is_other_system(n)]
        if not linux:
            continue
        chosen = next(
            ((n, s) for n in linux if (s := known.soname_for(n)) is not None),
            (linux[0], None),
        )
        name, soname = chosen
        key = (name, load.how)
        if key not in entries:
            fields = kind_of(soname) if soname else {"kind": "unknown", "nix": None}
            entries[key] = {"name": name, "how": load.how, "soname": soname, **fields}
            entries[key]["wanted_by"] = []
        entries[key]["wanted_by"].append(load.where)
    for entry in entries.values():
        entry["wanted_by"] = sorted(set(entry["wanted_by"]))
    return [entries[k] for k in sorted(entries)]


class Shipping(Protocol):
    """A library another wheel ships (classify's ``Provider``)."""

    @property
    def distribution(self) -> str: ...

    @property
    def directory(self) -> str: ...


def runtime_loads(
    loads: Iterable[PyLoad],
    smap: SonameMap,
    *,
    own: Iterable[str],
    siblings: Mapping[str, Shipping],
    dependencies: Mapping[str, Shipping],
) -> list[dict[str, Any]]:
    """The ``runtime_loads`` of an inspection report. ``own``: the file names and
    sonames of the wheel's own libraries; ``siblings``: what other wheels of the lock
    ship; ``dependencies``: what the wheel's own dependencies ship."""
    mine = frozenset(own)
    known = KnownSonames.build(smap, [*siblings, *dependencies, *mine])

    def kind_of(soname: str) -> dict[str, Any]:
        if soname in mine:
            return {"kind": "vendored", "nix": None}
        if smap.is_libc(soname):
            return {"kind": "glibc", "nix": None}
        if smap.is_driver(soname):
            return {"kind": "driver", "nix": None}
        shipped = siblings.get(soname) or dependencies.get(soname)
        if shipped is not None:
            return _sibling(shipped.distribution, shipped.directory)
        mapped = smap.library_for(soname)
        if mapped is not None:
            fields: dict[str, Any] = {"kind": "library", "nix": mapped[1][0]}
            fields["nix_candidates"] = list(mapped[1])
            if mapped[0] != soname:
                fields["matched_as"] = mapped[0]
            return fields
        table = siblings_table.shipped_by(soname)
        if table:
            first, *others = table
            fields = _sibling(first.distribution, first.folder)
            if others:
                fields["also_provided_by"] = [
                    {"provided_by": o.distribution, "search_path": o.folder} for o in others
                ]
            return fields
        return {"kind": "unknown", "nix": None}

    return classify_loads(loads, known, kind_of)


def _sibling(distribution: str, folder: str) -> dict[str, Any]:
    return {"kind": "sibling", "nix": None, "provided_by": distribution, "search_path": folder}
