"""Our words for bad requirements and markers, whatever packaging release is installed."""

from __future__ import annotations

import pytest
from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement

from pyhelpers.target import pep508


def nested(depth: int) -> str:
    return "(" * depth + 'os_name == "x"' + ")" * depth


@pytest.mark.parametrize("depth", [pep508.MAX_NESTING + 1, 199, 5000])
def test_nesting_is_refused_by_us_below_any_packaging_limit(depth: int) -> None:
    with pytest.raises(pep508.Invalid, match="nested too deeply"):
        pep508.requirement("app ; " + nested(depth))
    with pytest.raises(pep508.Invalid, match="nested too deeply"):
        pep508.marker(nested(depth))


def test_nesting_within_the_limit_and_parentheses_in_strings_are_fine() -> None:
    assert pep508.marker(nested(pep508.MAX_NESTING))
    assert pep508.nesting("os_name == '((((' and (python_version > '3')") == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("numpy===", "has no version after '==='; write e.g. numpy==1.2.3"),
        ("numpy>=1,<", "has no version after '<'"),
        ("numpy[x] (>= )", "has no version after '>='"),
        ("numpy==1 ; (", "its marker '(' is not PEP 508"),
        ("a b c", "is an invalid requirement: not PEP 508"),
    ],
)
def test_our_words_for_what_packaging_refuses(text: str, words: str) -> None:
    with pytest.raises(pep508.Invalid) as info:
        pep508.requirement(text)
    assert words in str(info.value)


def test_the_message_does_not_follow_packagings_wording(monkeypatch: pytest.MonkeyPatch) -> None:
    """A future packaging that words (or orders) its refusals otherwise changes nothing."""

    def refuse(text: str) -> None:
        raise InvalidRequirement("some grammar text of a future release")

    def refuse_marker(text: str) -> None:
        raise InvalidMarker("another grammar text")

    monkeypatch.setattr(pep508, "Requirement", refuse)
    monkeypatch.setattr(pep508, "Marker", refuse_marker)
    for text, words in [
        ("numpy===", "has no version after '==='"),
        ("app ; " + nested(40), "nested too deeply"),
        ("app==1 ; os_name = 'x'", "its marker \"os_name = 'x'\" is not PEP 508"),
        ("app==1", "is an invalid requirement"),
    ]:
        with pytest.raises(pep508.Invalid) as info:
            pep508.requirement(text)
        assert words in str(info.value) and "grammar" not in str(info.value)


def test_url_requirements_are_not_taken_for_empty_specifiers() -> None:
    assert pep508.requirement("app @ https://host/app-1.0-py3-none-any.whl?x=>").url
