"""The soname map shared with the Nix side (``pyhelpers/data/sonames.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from . import data


@dataclass(frozen=True)
class SonameMap:
    glibc: frozenset[str]
    musl: frozenset[str]
    drivers: frozenset[str]
    libraries: dict[str, tuple[str, ...]]  # soname -> nixpkgs attribute paths, best first


@cache
def soname_map() -> SonameMap:
    raw: dict[str, Any] = data.load("sonames")
    return SonameMap(
        glibc=frozenset(raw["glibc"]["all"]),
        musl=frozenset(raw["musl"]["all"]),
        drivers=frozenset(raw["drivers"]["all"]),
        # Entries with no attribute are known to have no nixpkgs provider (openssl 1.1's
        # soname on a release without it, say): to a build they are as unknown as any.
        libraries={k: tuple(v["nix"]) for k, v in raw["libraries"].items() if v["nix"]},
    )
