"""Poetry's version constraints (``^1.2``, ``~1.2.3``, ``>=1,<2 || >=3``, ``2.*``), as
poetry-core reads them, checked against a locked version.

A lock's constraints come from the packages' own metadata (PEP 440 with poetry's ``||``)
and from the project's pyproject.toml (poetry's ``^`` and ``~``). Versions are compared
with ``packaging``; only what PEP 440 does not have (caret, tilde, ``||``, a bare version
meaning ``==``, a local version after ``>=``) is read here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.specifiers import Specifier
from packaging.version import InvalidVersion, Version

_ITEM = re.compile(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*([^\s,^~=!<>]+)")


class Invalid(ValueError):
    """A constraint this cannot read; the message says which part."""


@dataclass(frozen=True)
class _Bound:
    op: str  # a PEP 440 operator
    version: str

    def allows(self, version: Version) -> bool:
        if (self.op in ("==", "!=") and self.version.endswith(".*")) or self.op == "===":
            return Specifier(f"{self.op}{self.version}").contains(version, prereleases=True)
        bound = Version(self.version)
        if self.op == "==":
            # PEP 440: a bound without a local label matches every local label of it.
            return version == bound or (not bound.local and version.public == bound.public)
        if self.op == "!=":
            return not _Bound("==", self.version).allows(version)
        if self.op == ">=":
            return version >= bound
        if self.op == "<=":
            return version <= bound
        if self.op == ">":
            return version > bound
        return version < bound


@dataclass(frozen=True)
class Constraint:
    """Any of several ranges, each all of its bounds; no range means any version."""

    ranges: tuple[tuple[_Bound, ...], ...]
    text: str

    def allows(self, version: Version) -> bool:
        return any(all(b.allows(version) for b in bounds) for bounds in self.ranges)

    def __str__(self) -> str:
        return self.text


ANY = Constraint(((),), "*")


@functools.cache
def parse(text: str) -> Constraint:
    """A poetry constraint; ``Invalid`` naming the part it cannot read."""
    text = re.sub(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)\s+", r"\1", text).strip()  # "> 1.2"
    if text in ("", "*"):
        return ANY
    ranges = []
    for part in re.split(r"\|\|?", text):
        items = part.replace(",", " ").split()
        if not items:
            raise Invalid(f"an empty alternative in {text!r}")
        ranges.append(tuple(b for item in items if item != "*" for b in _item(item)))
    return Constraint(tuple(ranges), text)


def _item(item: str) -> list[_Bound]:
    match = _ITEM.fullmatch(item)
    if match is None:
        raise Invalid(f"{item!r}")
    op, text = match.group(1) or "==", match.group(2)
    if op == "=":
        op = "=="
    if text.endswith(".*") and op in ("==", "!="):
        _check(text.removesuffix(".*"), item)
        return [_Bound(op, text)]
    text = text.removesuffix(".*")  # ">=2.*" is ">=2"
    version = _check(text, item)
    if op == "^":
        return [_Bound(">=", text), _Bound("<", _bump(version, _caret_index(version)))]
    if op == "~" or (op == "~=" and len(version.release) == 1):
        index = 0 if len(version.release) == 1 else 1
        return [_Bound(">=", text), _Bound("<", _bump(version, index))]
    if op == "~=":
        return [_Bound(">=", text), _Bound("<", _bump(version, len(version.release) - 2))]
    return [_Bound(op, text)]


def _check(text: str, item: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise Invalid(f"{item!r}") from None


def _caret_index(version: Version) -> int:
    """^1.2.3 keeps the major, ^0.2.3 the minor, ^0.0.3 the patch: the first non-zero."""
    release = version.release
    if len(release) == 1:
        return 0
    for index, number in enumerate(release):
        if number:
            return index
    return len(release) - 1


def _bump(version: Version, index: int) -> str:
    release = list(version.release) + [0] * max(0, index + 1 - len(version.release))
    return ".".join(str(n) for n in [*release[:index], release[index] + 1])
