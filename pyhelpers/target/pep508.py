"""Requirements and markers checked for what we promise before ``packaging`` reads them.

What a user is told must not follow the wording, the limits or the order of checks of
whichever ``packaging`` release is installed (nixpkgs ships several; each new release
words its grammar errors anew). So the problems we name are found here first, in our
words, and whatever ``packaging`` still refuses is said in our words too.
"""

from __future__ import annotations

import re

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement

from ..errors import quoted

# Real markers nest two or three levels; packaging 26.4 refuses more than 200, older
# releases recurse until Python's own limit. Ours is below both.
MAX_NESTING = 32

_OPERATOR = r"(===|~=|==|!=|<=|>=|<|>)"
_EMPTY_SPEC = re.compile(_OPERATOR + r"\s*(?=,|\)|$)")
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class Invalid(ValueError):
    """A requirement or marker we refuse; the message is ours, one line, no location."""


def nesting(text: str) -> int:
    """How deep parentheses nest in ``text``, outside quoted strings."""
    depth = deepest = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _check_nesting(text: str, what: str) -> None:
    if nesting(text) > MAX_NESTING:
        raise Invalid(f"{what}: nested too deeply (more than {MAX_NESTING} levels of parentheses)")


def _split_marker(text: str) -> tuple[str, str]:
    """The part before the marker, and the marker (``;`` outside quotes)."""
    quote = ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            return text[:i], text[i + 1 :]
    return text, ""


def requirement(text: str) -> Requirement:
    """``text`` as a PEP 508 requirement, or :class:`Invalid` saying why in our words."""
    head, marker_text = _split_marker(text)
    _check_nesting(text, "is an invalid requirement")
    if "@" not in head:
        empty = _EMPTY_SPEC.search(head)
        if empty is not None:
            name = _NAME.match(head)
            example = name.group(1) if name else "name"
            raise Invalid(f"has no version after {empty.group(1)!r}; write e.g. {example}==1.2.3")
    try:
        return Requirement(text)
    except (InvalidRequirement, RecursionError):
        pass
    if marker_text.strip():
        try:
            Marker(marker_text)
        except (InvalidMarker, RecursionError):
            raise Invalid(
                f"is an invalid requirement: its marker {quoted(marker_text.strip())} "
                "is not PEP 508"
            ) from None
    raise Invalid(
        "is an invalid requirement: not PEP 508 (a name, optional [extras], version specifiers "
        "such as >=1.2,<2, and an optional '; marker')"
    )


def marker(text: str) -> Marker:
    """``text`` as a PEP 508 marker, or :class:`Invalid` saying why in our words."""
    _check_nesting(text, "is invalid")
    try:
        return Marker(text)
    except (InvalidMarker, RecursionError):
        raise Invalid(
            "is invalid: not PEP 508 (comparisons such as python_version >= '3.12' "
            "joined by and/or)"
        ) from None
