"""Which distribution ships a library that a wheel links but does not carry, when there
is no lock to say (``inspect`` of one wheel): a table made from the real wheels
(``pyhelpers/data/siblings.json``, by tests/refresh_siblings.py)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import data


@dataclass(frozen=True)
class Shipped:
    distribution: str
    folder: str  # relative to site-packages


@cache
def _table() -> tuple[tuple[str, str, str], ...]:
    raw: dict[str, Any] = data.load("siblings")
    return tuple(
        (name, folder, pattern)
        for name, entry in sorted(raw["distributions"].items())
        for folder, patterns in entry["folders"].items()
        for pattern in patterns
    )


@cache
def _index() -> tuple[dict[str, list[Shipped]], tuple[tuple[re.Pattern[str], Shipped], ...]]:
    """Exact names by name; the few patterns (``libcupti.so.2025.*``) compiled once.
    Matching each soname against all 400 patterns with fnmatch cost 90 ms per inspect."""
    exact: dict[str, list[Shipped]] = {}
    wild = []
    for name, folder, pattern in _table():
        if any(c in pattern for c in "*?["):
            wild.append((re.compile(fnmatch.translate(pattern)), Shipped(name, folder)))
        else:
            exact.setdefault(pattern, []).append(Shipped(name, folder))
    return exact, tuple(wild)


def shipped_by(soname: str) -> list[Shipped]:
    """Every distribution and folder of the table that ships ``soname``, in table order."""
    exact, wild = _index()
    found = exact.get(soname, []) + [shipped for regex, shipped in wild if regex.match(soname)]
    return sorted(dict.fromkeys(found), key=_order().__getitem__)


@cache
def _order() -> dict[Shipped, int]:
    order: dict[Shipped, int] = {}
    for number, (name, folder, _) in enumerate(_table()):
        order.setdefault(Shipped(name, folder), number)
    return order


@cache
def families() -> frozenset[str]:
    """The top-level folders the table's libraries live under (nvidia, PyQt6, ...)."""
    return frozenset(folder.split("/", 1)[0] for _name, folder, _pattern in _table())


def exact_names() -> tuple[str, ...]:
    """Every library name the table spells out (not its patterns)."""
    return tuple(_index()[0])
