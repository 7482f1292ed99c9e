"""The soname map shared with the Nix side (``pyhelpers/data/sonames.json``)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import data


@dataclass(frozen=True)
class SonameMap:
    glibc: frozenset[str]
    musl: frozenset[str]
    drivers: frozenset[str]
    libraries: dict[str, tuple[str, ...]]  # soname -> nixpkgs attribute paths, best first
    # soname -> {attribute path: version range}: the versions of that attribute that ship
    # the soname (icu -> "==76.*"); attributes not named here are taken whatever version.
    versions: dict[str, dict[str, str]]
    # fnmatch patterns for the rest of the driver's libraries (libnvidia-*, libGLX_*...).
    driver_patterns: tuple[str, ...] = field(default=())

    def is_driver(self, soname: str) -> bool:
        """A library of the GPU driver, found at run time in /run/opengl-driver/lib."""
        return soname in self.drivers or any(
            fnmatch.fnmatchcase(soname, p) for p in self.driver_patterns
        )

    def is_libc(self, soname: str) -> bool:
        """Part of the C library (glibc or musl): always there, never a build input."""
        return soname in self.glibc or soname in self.musl or soname.startswith("libc.musl-")

    def attributes_for(self, needed: str) -> tuple[str, ...]:
        """The nixpkgs attribute paths for a DT_NEEDED entry, best first: the one mapping
        inspect, fix-venv, verify and the facts Nix reads all use."""
        mapped = self.library_for(needed)
        return mapped[1] if mapped else ()

    def library_for(self, needed: str) -> tuple[str, tuple[str, ...]] | None:
        """The map's entry for a DT_NEEDED entry: by soname, or, for a file name such as
        libgomp.so.1.0.0, by the soname it shortens to (libgomp.so.1), whose package
        ships that file. Returns (the soname matched, its attribute paths)."""
        if needed in self.libraries:
            return needed, self.libraries[needed]
        shorter = needed
        while re.search(r"\.so(\.\d+){2,}$", shorter):
            shorter = shorter.rsplit(".", 1)[0]
            if shorter in self.libraries:
                return shorter, self.libraries[shorter]
        return None


@cache
def soname_map() -> SonameMap:
    raw: dict[str, Any] = data.load("sonames")
    return SonameMap(
        glibc=frozenset(raw["glibc"]["all"]),
        musl=frozenset(raw["musl"]["all"]),
        drivers=frozenset(raw["drivers"]["all"]),
        driver_patterns=tuple(raw["drivers"].get("patterns", ())),
        # Entries with no attribute are known to have no nixpkgs provider (openssl 1.1's
        # soname on a release without it, say): to a build they are as unknown as any.
        libraries={k: tuple(v["nix"]) for k, v in raw["libraries"].items() if v["nix"]},
        versions={k: dict(v["versions"]) for k, v in raw["libraries"].items() if v.get("versions")},
    )


_CLAUSE = re.compile(r"(==|!=|>=|<=|<|>)(.+)")


def _parts(version: str) -> list[int | str]:
    # As Nix's builtins.splitVersion and compareVersions: numbers compare as numbers.
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-]", version) if p]


def _compare(a: str, b: str) -> int:
    left, right = _parts(a), _parts(b)
    for x, y in zip(left, right, strict=False):
        if x != y:
            if isinstance(x, int) and isinstance(y, int):
                return -1 if x < y else 1
            return -1 if str(x) < str(y) else 1
    return (len(left) > len(right)) - (len(left) < len(right))


def version_in_range(spec: str, version: str | None) -> bool:
    """Whether ``version`` is in a range of the soname map ("==76.*", ">=3,<4"), read the
    way nixlib's versionInRange reads it."""
    if version is None:
        return False
    for clause in spec.split(","):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"bad version range {spec!r} in the soname map")
        op, bound = match.groups()
        if bound.endswith(".*"):
            prefix = [str(p) for p in _parts(bound[:-2])]
            same = [str(p) for p in _parts(version)][: len(prefix)] == prefix
            ok = same if op == "==" else not same
        else:
            order = _compare(version, bound)
            ok = {
                "==": order == 0,
                "!=": order != 0,
                ">=": order >= 0,
                "<=": order <= 0,
                ">": order > 0,
                "<": order < 0,
            }[op]
        if not ok:
            return False
    return True
