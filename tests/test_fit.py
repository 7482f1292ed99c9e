"""``inspect WHEEL --system/--python`` says whether the wheel fits, tags first: a wheel
for another architecture, OS, C library or Python never "fits"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import Run
from packaging.tags import parse_tag
from wheelfactory import build_wheel

from pyhelpers.target.fit import misfit
from pyhelpers.target.target import make_target

LINUX_CP312 = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"


@pytest.mark.parametrize(
    ("tags", "system", "python", "options", "words"),
    [
        (LINUX_CP312, "x86_64-linux", "3.12", {}, None),
        (LINUX_CP312, "aarch64-linux", "3.12", {}, "is built for x86_64, not aarch64"),
        (LINUX_CP312, "x86_64-darwin", "3.12", {}, "is built for linux, not darwin"),
        (LINUX_CP312, "x86_64-linux", "3.12", {"musl": True}, "glibc (manylinux), not musl"),
        (LINUX_CP312, "x86_64-linux", "3.13", {}, "cp312-cp312, not Python 3.13"),
        (LINUX_CP312, "x86_64-linux", "3.13t", {}, "not Python 3.13t (free-threaded)"),
        (
            LINUX_CP312,
            "x86_64-linux",
            "3.12",
            {"glibc": "2.12"},
            "needs glibc 2.17, the target has 2.12",
        ),
        ("cp39-abi3-manylinux_2_28_x86_64", "x86_64-linux", "3.13", {}, None),
        (
            "cp39-abi3-manylinux_2_28_x86_64",
            "x86_64-linux",
            "3.13t",
            {},
            "cp39-abi3, not Python 3.13t",
        ),
        (
            "cp312-cp312-musllinux_1_2_x86_64",
            "x86_64-linux",
            "3.12",
            {},
            "musl (musllinux), not glibc",
        ),
        ("cp312-cp312-musllinux_1_2_x86_64", "x86_64-linux", "3.12", {"musl": True}, None),
        ("cp312-cp312-linux_x86_64", "x86_64-linux-musl", "3.12", {}, "only linux_x86_64 tags"),
        ("cp312-cp312-macosx_10_13_universal2", "aarch64-darwin", "3.12", {}, None),
        (
            "cp312-cp312-macosx_14_0_arm64",
            "aarch64-darwin",
            "3.12",
            {"macos": "11.0"},
            "needs macOS 14.0",
        ),
        (
            "cp312-cp312-macosx_11_0_arm64",
            "x86_64-darwin",
            "3.12",
            {},
            "built for arm64, not x86_64",
        ),
        ("cp312-cp312-win_amd64", "x86_64-linux", "3.12", {}, "built for windows, not linux"),
        ("py3-none-any", "aarch64-darwin", "3.13t", {}, None),
        ("py2-none-any", "x86_64-linux", "3.12", {}, "py2-none, not Python 3.12"),
    ],
)
def test_misfit_names_the_first_thing_that_does_not_fit(
    tags: str, system: str, python: str, options: dict[str, object], words: str | None
) -> None:
    target = make_target(system, python, **options)  # type: ignore[arg-type]
    reason = misfit(parse_tag(tags), target)
    assert (reason is None) == (words is None), reason
    if words is not None:
        assert reason is not None and words in reason


@pytest.mark.parametrize(
    ("options", "verdict"),
    [
        (["--system", "x86_64-linux", "--python", "3.12"], "fits"),
        (
            ["--system", "aarch64-linux", "--python", "3.12"],
            "does NOT fit: the wheel is built for x86_64",
        ),
        (
            ["--system", "x86_64-darwin", "--python", "3.12"],
            "does NOT fit: the wheel is built for linux",
        ),
        (
            ["--system", "x86_64-linux", "--musl", "--python", "3.12"],
            "does NOT fit: the wheel is built for glibc",
        ),
        (
            ["--system", "x86_64-linux", "--python", "3.13"],
            "does NOT fit: the wheel is built for cp312-cp312",
        ),
    ],
)
def test_inspect_of_a_file_checks_its_tags_against_the_target(
    options: list[str], verdict: str, run: Run, tmp_path: Path
) -> None:
    wheel = build_wheel(
        tmp_path, "demo", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    code, out, err = run("inspect", wheel, *options)
    assert code == 0, err
    assert verdict in out.splitlines()[-1], out
    code, out, _ = run("inspect", wheel, "--json", *options)
    assert json.loads(out)["target"]["fits"] is (verdict == "fits")
