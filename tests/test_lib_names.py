"""Every `lib.<name>` our Nix code uses, and every name the stand-in `lib` offers, exists
in the real nixpkgs `lib` (tests/nix/real-lib-names.txt, a fact list read off it). The
stand-in once offered `lib.escapeNixString`, which the real top level lacks, and nothing
saw it until the real `lib` was swapped in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nixtools import NIX, REAL_LIB, REPO, needs_nix, nix_eval

REAL = frozenset(
    line.strip()
    for line in (NIX / "real-lib-names.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
TOP = frozenset(name for name in REAL if "." not in name)
# The sub-libraries whose children the list records (lib.strings.*, lib.versions.*, ...).
SUBLIBS = frozenset(name.split(".")[0] for name in REAL if "." in name)
USE = re.compile(r"(?<![\w.-])lib\.([A-Za-z_][\w'-]*)(?:\.([A-Za-z_][\w'-]*))?")
OURS = sorted(
    [
        *REPO.glob("nixlib/*.nix"),
        *REPO.glob("overlays/*.nix"),
        REPO / "flake.nix",
        *REPO.glob("templates/**/*.nix"),
    ]
)


def unknown(text: str) -> list[str]:
    """The `lib.` paths in ``text`` that the real `lib` does not have."""
    missing = []
    for match in USE.finditer(text):
        top, child = match.group(1), match.group(2)
        if top not in TOP:
            missing.append(top)
        elif child and top in SUBLIBS and f"{top}.{child}" not in REAL:
            missing.append(f"{top}.{child}")
    return sorted(set(missing))


def test_the_list_is_the_real_lib() -> None:
    assert len(TOP) > 400 and {"strings", "lists", "attrsets", "escapeShellArg"} <= TOP
    assert "escapeNixString" not in TOP and "strings.escapeNixString" in REAL


def test_the_check_finds_what_the_real_lib_lacks() -> None:
    assert unknown("x = lib.escapeNixString s; y = lib.strings.escapeNixString s;") == [
        "escapeNixString"
    ]
    assert unknown("lib.strings.noSuchThing lib.lists.take") == ["strings.noSuchThing"]
    assert unknown("pkgs.stdenv.cc.cc.lib lib.licenses.mit") == []


@pytest.mark.parametrize("path", OURS, ids=lambda p: str(Path(p).relative_to(REPO)))
def test_every_lib_name_we_use_is_real(path: Path) -> None:
    assert unknown(path.read_text()) == [], f"{path.relative_to(REPO)} uses names real lib lacks"


@needs_nix
def test_the_standin_lib_offers_only_real_names() -> None:
    names = nix_eval(
        "let lib = import ./tests/nix/standin-lib.nix; in builtins.concatMap (name: [ name ] ++ "
        '(if builtins.isAttrs lib.${name} then map (c: name + "." + c) '
        "(builtins.attrNames lib.${name}) else [ ])) (builtins.attrNames lib)"
    )
    offered = [n for n in names if "." not in n or n.split(".")[0] in SUBLIBS]
    assert sorted(n for n in offered if n not in REAL) == []


@needs_nix
def test_the_tests_evaluate_with_the_lib_they_were_given() -> None:
    """MANYLINUX_NIX_TEST_NIXPKGS_LIB swaps the real lib in for every Nix test."""
    count = nix_eval("builtins.length (builtins.attrNames (import ./tests/nix/lib.nix))")
    assert (count > 400) == (REAL_LIB is not None), count
