"""Tag lists for targets: equal to packaging's host list where the target is the host,
and hand-checked elsewhere (aarch64, musl, macOS, free-threaded)."""

from __future__ import annotations

import os
import sys
import sysconfig

import pytest
from packaging.tags import Tag, parse_tag, sys_tags
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from pyhelpers.errors import UsageError
from pyhelpers.index.simple import IndexFile
from pyhelpers.resolve.select import Release, Wheel, best_wheel
from pyhelpers.target.tags import TagRanking, platforms, target_tags
from pyhelpers.target.target import make_target, parse_python


def names(tags: list[Tag]) -> list[str]:
    return [str(t) for t in tags]


def ranking(system: str, python: str, **kw: str) -> TagRanking:
    return TagRanking.for_target(make_target(system, python, **kw))  # type: ignore[arg-type]


def rank_of(r: TagRanking, tag: str) -> int | None:
    return r.rank(parse_tag(tag))


@pytest.mark.skipif(
    sys.platform != "linux" or sysconfig.get_config_var("Py_GIL_DISABLED"),
    reason="compares with this host's own CPython/glibc tag list",
)
def test_target_equal_to_host_gives_packagings_host_tags() -> None:
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[1]  # type: ignore[union-attr]
    machine = os.uname().machine
    system = {"x86_64": "x86_64-linux", "aarch64": "aarch64-linux"}[machine]
    py = f"3.{sys.version_info.minor}"
    ours = names(target_tags(make_target(system, py, glibc=glibc)))
    # packaging 26 ranks linux_<arch> first (a wheel built on this very machine); a Nix
    # target is never that machine, so we rank it after every manylinux tag of the same
    # interpreter and ABI, where pip (its packaging before 26) ranked it.
    host = [str(t) for t in sys_tags() if not t.platform.startswith("linux_")]
    assert [t for t in ours if "-linux_" not in t] == host
    groups: dict[str, list[str]] = {}
    for tag in ours:
        groups.setdefault(tag.rsplit("-", 1)[0], []).append(tag)
    for group in groups.values():
        linux = [i for i, t in enumerate(group) if "-linux_" in t]
        many = [i for i, t in enumerate(group) if "-manylinux" in t]
        if linux and many:
            assert len(linux) == 1 and linux[0] > max(many), group
    assert len(ours) > 500


def test_x86_64_platforms_descend_with_legacy_aliases_in_place() -> None:
    plats = platforms(make_target("x86_64-linux", "3.12", glibc="2.40"))
    assert plats[0] == "manylinux_2_40_x86_64"
    assert plats[-2:] == ["manylinux1_x86_64", "linux_x86_64"]
    i = plats.index("manylinux_2_17_x86_64")
    assert plats[i + 1] == "manylinux2014_x86_64"
    assert plats[i + 2] == "manylinux_2_16_x86_64"
    assert plats[plats.index("manylinux_2_12_x86_64") + 1] == "manylinux2010_x86_64"
    assert plats[plats.index("manylinux_2_5_x86_64") + 1] == "manylinux1_x86_64"
    assert not any(p.startswith("musllinux") for p in plats[:-1])
    assert plats[-1] == "linux_x86_64"


def test_aarch64_hand_checked() -> None:
    tags = names(target_tags(make_target("aarch64-linux", "3.12", nixpkgs="26.05")))
    assert tags[:3] == [
        "cp312-cp312-manylinux_2_42_aarch64",
        "cp312-cp312-manylinux_2_41_aarch64",
        "cp312-cp312-manylinux_2_40_aarch64",
    ]
    plats = platforms(make_target("aarch64-linux", "3.12", glibc="2.28"))
    # aarch64 starts at manylinux2014: nothing below 2_17, no manylinux1/2010.
    assert plats[-3:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"]
    assert not any("x86_64" in t for t in tags)
    assert "cp312-abi3-manylinux_2_17_aarch64" in tags
    assert "py3-none-any" in tags and tags[-1] == "py30-none-any"


def test_musl_hand_checked() -> None:
    a = make_target("x86_64-linux-musl", "3.12")
    b = make_target("x86_64-linux", "3.12", musl=True)
    assert a == b and a.key == "x86_64-linux-musl/3.12"
    assert platforms(a) == ["musllinux_1_2_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64"]
    r = TagRanking.for_target(a)
    assert rank_of(r, "cp312-cp312-manylinux_2_17_x86_64") is None
    assert rank_of(r, "cp312-cp312-musllinux_1_2_x86_64") == 0


def test_macos_hand_checked() -> None:
    arm = names(target_tags(make_target("aarch64-darwin", "3.12", macos="11.3")))
    assert arm[0] == "cp312-cp312-macosx_11_0_arm64"
    assert "cp312-cp312-macosx_11_0_universal2" in arm
    assert not any("macosx_12" in t or "manylinux" in t for t in arm)
    intel = names(target_tags(make_target("x86_64-darwin", "3.12", macos="14.0")))
    assert intel[0] == "cp312-cp312-macosx_14_0_x86_64"
    assert "cp312-cp312-macosx_10_9_x86_64" in intel
    assert not any("arm64" in t for t in intel)


def test_free_threaded_refuses_gil_abi_and_abi3() -> None:
    r = ranking("x86_64-linux", "3.13t")
    assert rank_of(r, "cp313-cp313t-manylinux_2_17_x86_64") is not None
    # The pyproject.nix bug (#340) in both directions: a GIL build must not take cp313t
    # wheels, and a free-threaded one must not take cp313 or abi3 wheels.
    for tag in [
        "cp313-cp313-manylinux_2_17_x86_64",
        "cp313-abi3-manylinux_2_17_x86_64",
        "cp312-abi3-manylinux_2_17_x86_64",
        "cp39-abi3-manylinux_2_17_x86_64",
    ]:
        assert rank_of(r, tag) is None, tag
    assert rank_of(r, "py3-none-any") is not None
    gil = ranking("x86_64-linux", "3.13")
    assert rank_of(gil, "cp313-cp313t-manylinux_2_17_x86_64") is None
    assert rank_of(gil, "cp312-abi3-manylinux_2_17_x86_64") is not None


def test_glibc_bounds_what_is_accepted() -> None:
    r = ranking("x86_64-linux", "3.12", glibc="2.28")
    assert rank_of(r, "cp312-cp312-manylinux_2_28_x86_64") is not None
    assert rank_of(r, "cp312-cp312-manylinux_2_31_x86_64") is None


def _release(*filenames: str) -> Release:
    wheels = []
    for fn in filenames:
        _, version, build, tags = parse_wheel_filename(fn)
        f = IndexFile(fn, f"https://x/{fn}", None, None, None, None, False, None)
        wheels.append(Wheel(f, tags, build))
    return Release(version, tuple(wheels), ())


def test_best_wheel_prefers_specific_abi_and_drops_foreign_platforms() -> None:
    release = _release(
        "numpy-2.5.5-cp312-abi3-manylinux_2_17_x86_64.whl",
        "numpy-2.5.5-cp313-cp313-musllinux_1_2_x86_64.whl",
        "numpy-2.5.5-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "numpy-2.5.5-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    )
    py = Version("3.13.0")
    best = best_wheel(release, ranking("x86_64-linux", "3.13"), py, allow_yanked=False)
    assert best is not None
    assert best.file.filename.startswith("numpy-2.5.5-cp313-cp313-manylinux_2_27")
    ft = best_wheel(release, ranking("x86_64-linux", "3.13t"), py, allow_yanked=False)
    assert ft is not None and "cp313t" in ft.file.filename
    old = best_wheel(release, ranking("x86_64-linux", "3.13", glibc="2.26"), py, allow_yanked=False)
    assert old is not None and "abi3" in old.file.filename


def test_best_wheel_prefers_higher_build_tag() -> None:
    release = _release(
        "foo-1.0-1-py3-none-any.whl", "foo-1.0-12-py3-none-any.whl", "foo-1.0-py3-none-any.whl"
    )
    best = best_wheel(
        release, ranking("x86_64-linux", "3.12"), Version("3.12.0"), allow_yanked=False
    )
    assert best is not None and best.file.filename == "foo-1.0-12-py3-none-any.whl"


@pytest.mark.parametrize(
    ("text", "short", "abi"),
    [
        ("3.12", "3.12", "cp312"),
        ("3.13t", "3.13t", "cp313t"),
        ("3.12.8", "3.12", "cp312"),
        ("cp314t", "3.14t", "cp314t"),
        ("311", "3.11", "cp311"),
    ],
)
def test_parse_python(text: str, short: str, abi: str) -> None:
    py = parse_python(text)
    assert (py.short, py.abi) == (short, abi)


@pytest.mark.parametrize("text", ["2.7", "3.12t", "three", "3.7", ""])
def test_parse_python_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_python(text)


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"system": "x86_64-windows"}, "not a known Nix system"),
        ({"nixpkgs": "19.03"}, "not a known release"),
        ({"glibc": "two"}, "not a version"),
        ({"system": "aarch64-darwin", "musl": True}, "applies to Linux"),
    ],
)
def test_make_target_errors_name_the_flag(kw: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {"system": "x86_64-linux", **kw}
    system = str(args.pop("system"))
    with pytest.raises(UsageError, match=fragment):
        make_target(system, "3.12", **args)  # type: ignore[arg-type]


def test_nixpkgs_release_sets_glibc_and_gcc() -> None:
    t = make_target("x86_64-linux", "3.12", nixpkgs="26.05")
    assert t.libc_version == (2, 42) and t.gcc == "15"
    assert make_target("x86_64-linux", "3.12", nixpkgs="26.05", glibc="2.39").libc_version == (
        2,
        39,
    )
