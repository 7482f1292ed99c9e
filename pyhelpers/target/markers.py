"""PEP 508 markers as lock files use them, on every ``packaging`` that nixpkgs ships.

PEP 751 lets a lock's markers test ``'name' in extras`` and ``'name' in
dependency_groups``. packaging 25 evaluates those itself; older releases (nixpkgs 25.05
ships one) reject the two variables, so there each such test is settled to a constant
before the marker is parsed. Either way the answer is the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache

from packaging.markers import InvalidMarker, Marker

from . import pep508

_MEMBERSHIP = re.compile(
    r"""(?P<quote>['"])(?P<name>[^'"]*)(?P=quote)\s+(?P<op>not\s+in|in)\s+"""
    r"""(?P<variable>extras|dependency_groups)\b"""
)
# packaging compares a variable with a literal, never two literals; `extra` is always ""
# here (a lock's markers are evaluated for the default install).
_TRUE, _FALSE = "extra == ''", "extra != ''"


@cache
def _native() -> bool:
    """Whether this packaging knows PEP 751's marker variables."""
    try:
        Marker("'a' in extras")
    except InvalidMarker:
        return False
    return True


def _settled(text: str, sets: Mapping[str, frozenset[str]] | None) -> str:
    def replace(match: re.Match[str]) -> str:
        if sets is None:  # only checking the syntax
            return _TRUE
        inside = match.group("name") in sets[match.group("variable")]
        return _TRUE if inside == (match.group("op") == "in") else _FALSE

    return _MEMBERSHIP.sub(replace, text)


_EXTRA_TEST = re.compile(
    r"""\bextra\s*(?P<op>==|!=)\s*(?P<quote>['"])(?P<name>[^'"]*)(?P=quote)"""
    r"""|(?P<quote2>['"])(?P<name2>[^'"]*)(?P=quote2)\s*(?P<op2>==|!=)\s*extra\b"""
)


def settle_extra(text: str, chosen: frozenset[str]) -> str:
    """``text`` with each ``extra == 'x'`` test settled for a *set* of chosen values.

    uv.lock names the extras and groups a fork was resolved for in its markers
    (``extra == 'extra-8-nanochat-gpu' and extra != 'extra-8-nanochat-cpu'``); the
    marker variable holds one string, so each test is settled before parsing."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name") if match.group("op") else match.group("name2")
        op = match.group("op") or match.group("op2")
        return _TRUE if (name in chosen) == (op == "==") else _FALSE

    return _EXTRA_TEST.sub(replace, text)


@lru_cache(maxsize=4096)
def parse(text: str) -> Marker:
    """The marker, or :class:`pep508.Invalid` in our words; accepts PEP 751's variables
    on any packaging."""
    return pep508.marker(text if _native() else _settled(text, None))


def evaluate(
    text: str,
    env: Mapping[str, str],
    *,
    lock_file: bool = False,
    extras: frozenset[str] = frozenset(),
    groups: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``text`` holds for a target whose complete marker environment is ``env``.

    ``lock_file``: PEP 751's context, where ``extras`` and ``dependency_groups`` are
    the sets the lock is installed with; elsewhere ``extra`` is empty.
    """
    if _native():
        environment: dict[str, str | frozenset[str]] = {
            **env,
            "extra": "",
            "extras": extras,
            "dependency_groups": groups,
        }
        context = "lock_file" if lock_file else "metadata"
        return parse(text).evaluate(environment, context=context)  # type: ignore[arg-type, call-arg, unused-ignore]
    settled = _settled(text, {"extras": extras, "dependency_groups": groups})
    return _parse_plain(settled).evaluate({**env, "extra": ""})


@lru_cache(maxsize=4096)
def _parse_plain(text: str) -> Marker:
    return pep508.marker(text)
