"""Checks for pyhelpers/data/sonames.json, the soname -> nixpkgs attribute table.

The file is read by Python and by Nix (builtins.fromJSON), so its shape matters as much as
its content: these tests pin the schema, the invariants between its sections, the manylinux
policy libraries it must cover, and its canonical formatting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).parents[1] / "pyhelpers/data"
SONAMES_PATH = DATA_DIR / "sonames.json"
SONAMES_TEXT = SONAMES_PATH.read_text()
DATA: dict[str, Any] = json.loads(SONAMES_TEXT)
LIBRARIES: dict[str, Any] = DATA["libraries"]

TOP_LEVEL_KEYS = {"about", "glibc", "musl", "drivers", "libraries"}
GROUPS = ("glibc", "musl", "drivers")

ATTR_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$")

# Every library of every manylinux policy whitelist that glibc does not provide.
MANYLINUX_NON_GLIBC = [
    "libstdc++.so.6",
    "libatomic.so.1",
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libGL.so.1",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "libexpat.so.1",
    "libz.so.1",
]

# Policy libraries that nixpkgs' glibc ships in its lib/ (libgcc_s is copied in).
MANYLINUX_GLIBC = [
    "libc.so.6",
    "libm.so.6",
    "libmvec.so.1",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libresolv.so.2",
    "libnsl.so.1",
    "libanl.so.1",
    "libgcc_s.so.1",
]


def group_sonames(group: str) -> list[str]:
    sonames: list[str] = DATA[group]["all"]
    return sonames


def test_top_level_keys() -> None:
    assert set(DATA) == TOP_LEVEL_KEYS


def test_about_is_a_nonempty_string() -> None:
    assert isinstance(DATA["about"], str)
    assert DATA["about"].strip()


@pytest.mark.parametrize("group", GROUPS)
def test_group_schema(group: str) -> None:
    section = DATA[group]
    assert isinstance(section, dict)
    assert set(section) == (
        {"all", "source", "patterns"} if group == "drivers" else {"all", "source"}
    )
    assert isinstance(section["source"], str)
    assert section["source"].strip()
    sonames = section["all"]
    assert isinstance(sonames, list)
    assert sonames, f"{group}.all is empty"
    assert all(isinstance(s, str) and s for s in sonames)
    assert len(sonames) == len(set(sonames)), f"duplicates in {group}.all"


@pytest.mark.parametrize("soname", sorted(LIBRARIES))
def test_library_entry_schema(soname: str) -> None:
    entry = LIBRARIES[soname]
    assert ".so" in soname
    assert isinstance(entry, dict)
    assert set(entry) <= {"nix", "checked", "versions"} and {"nix", "checked"} <= set(entry)
    nix = entry["nix"]
    assert isinstance(nix, list)
    assert all(isinstance(attr, str) for attr in nix)
    assert len(nix) == len(set(nix)), f"{soname}: duplicate attribute paths"
    checked = entry["checked"]
    # bool is an int subclass and True is not allowed: only a non-empty string or False.
    assert checked is False or (isinstance(checked, str) and checked.strip())


@pytest.mark.parametrize("soname", sorted(s for s, e in LIBRARIES.items() if "versions" in e))
def test_version_ranges_name_candidates_and_parse(soname: str) -> None:
    """Nix reads these ranges with its own small parser (nixlib versionInRange): only
    comma-separated clauses of ==, !=, >=, <=, <, > with an optional .* on ==."""
    entry = LIBRARIES[soname]
    assert entry["versions"] and set(entry["versions"]) <= set(entry["nix"])
    for spec in entry["versions"].values():
        for clause in spec.split(","):
            assert re.fullmatch(r"(==|!=|>=|<=|<|>)[0-9][0-9A-Za-z.-]*(\.\*)?", clause), spec
            assert not clause.endswith(".*") or clause.startswith(("==", "!="))


def test_enough_libraries() -> None:
    assert len(LIBRARIES) >= 160


def test_no_soname_in_two_sections() -> None:
    seen: dict[str, str] = {}
    sections = [(group, group_sonames(group)) for group in GROUPS]
    sections.append(("libraries", list(LIBRARIES)))
    for name, sonames in sections:
        for soname in sonames:
            assert soname not in seen, f"{soname} is in both {seen[soname]} and {name}"
            seen[soname] = name


@pytest.mark.parametrize("soname", MANYLINUX_NON_GLIBC)
def test_manylinux_non_glibc_library_is_mapped(soname: str) -> None:
    assert soname in LIBRARIES
    assert LIBRARIES[soname]["nix"], f"{soname} has no nixpkgs attribute"


@pytest.mark.parametrize("soname", MANYLINUX_GLIBC)
def test_manylinux_glibc_library_is_in_glibc(soname: str) -> None:
    assert soname in group_sonames("glibc")


def test_libcrypt_is_not_glibc() -> None:
    assert "libcrypt.so.1" not in group_sonames("glibc")
    assert "libxcrypt" in LIBRARIES["libcrypt.so.1"]["nix"]


def test_every_policy_whitelist_library_is_covered() -> None:
    policies: dict[str, Any] = json.loads((DATA_DIR / "manylinux-policies.json").read_text())
    libc_provided = set(group_sonames("glibc")) | set(group_sonames("musl"))
    missing: set[str] = set()
    for policy in policies["policies"]:
        for soname in policy.get("lib_whitelist", []):
            if soname in libc_provided:
                continue
            if not LIBRARIES.get(soname, {}).get("nix"):
                missing.add(soname)
    assert not missing, f"policy libraries with no provider: {sorted(missing)}"


X11_SONAMES = sorted(
    soname
    for soname, entry in LIBRARIES.items()
    if any(attr.startswith("xorg.") for attr in entry["nix"])
)


@pytest.mark.parametrize("soname", X11_SONAMES)
def test_x11_entries_list_new_name_then_xorg_name(soname: str) -> None:
    nix: list[str] = LIBRARIES[soname]["nix"]
    assert len(nix) >= 2
    assert not nix[0].startswith("xorg."), f"{soname}: the new name must come first"
    assert nix[1].startswith("xorg."), f"{soname}: the xorg.* fallback must come second"


def test_x11_policy_libraries_use_the_renamed_attributes() -> None:
    for soname in ["libX11.so.6", "libXext.so.6", "libXrender.so.1", "libICE.so.6", "libSM.so.6"]:
        nix: list[str] = LIBRARIES[soname]["nix"]
        assert nix[1].startswith("xorg.")
        assert nix[0] == nix[1].removeprefix("xorg.").lower()


def test_nix_entries_are_attribute_paths() -> None:
    bad = [
        (soname, attr)
        for soname, entry in LIBRARIES.items()
        for attr in entry["nix"]
        if not ATTR_PATH_RE.match(attr)
    ]
    assert not bad


def test_file_is_canonically_formatted() -> None:
    assert json.dumps(DATA, indent=2, sort_keys=True) + "\n" == SONAMES_TEXT


# Listed from real store paths (tests/data/facts/uv-nix-soname-map.json): where both
# maps name a soname, they must agree.
REAL_STORE = json.loads((Path(__file__).parent / "data/facts/uv-nix-soname-map.json").read_text())
# nixpkgs' glibc ships a copy of libgcc_s.so.1 in lib/ beside gcc's.
SHIPPED_BY_BOTH = {"libgcc_s.so.1": "stdenv.cc.cc.lib"}


@pytest.mark.parametrize("soname", sorted(REAL_STORE["sonames"]))
def test_the_map_agrees_with_real_store_paths(soname: str) -> None:
    attr = REAL_STORE["sonames"][soname]
    attr = REAL_STORE["aliases"].get(attr, attr)
    if soname in DATA["glibc"]["all"]:
        assert attr == "glibc" or SHIPPED_BY_BOTH.get(soname) == attr, (soname, attr)
    else:
        assert soname in DATA["libraries"], f"{soname} ({attr}) is not in the soname map"
        assert attr in DATA["libraries"][soname]["nix"], (soname, attr)


def test_real_store_facts_say_where_they_come_from() -> None:
    assert "93fb11a79379e05203ad0bde497aadab1855782a" in REAL_STORE["source"]
    assert "0e251e24a4f24e036a084b6b4b2d2491af4167f4" in REAL_STORE["nixpkgs"]
