"""Which distribution ships a library that a wheel links but does not carry, when there
is no lock to say (``inspect`` of one wheel): a table made from the real wheels
(``pyhelpers/data/siblings.json``, by tests/refresh_siblings.py)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import data


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


def shipped_by(soname: str) -> list[Shipped]:
    """Every distribution and folder of the table that ships ``soname``."""
    found = [
        Shipped(name, folder)
        for name, folder, pattern in _table()
        if fnmatch.fnmatchcase(soname, pattern)
    ]
    return list(dict.fromkeys(found))


@cache
def families() -> frozenset[str]:
    """The top-level folders the table's libraries live under (nvidia, PyQt6, ...)."""
    return frozenset(folder.split("/", 1)[0] for _name, folder, _pattern in _table())
