"""``lock`` inspects every Linux wheel: facts in the lock, siblings across wheels, and
wheels that need a newer glibc than the target's are refused."""

from __future__ import annotations

import json
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hostpython
import pytest
from elfbuild import EXTENSION_WITH_DLOPEN, PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from hostpython import KEY, PY
from indexserver import IndexServer
from wheelfactory import build_wheel

from pyhelpers.cli import main

TAG = hostpython.TAG
EXT = sysconfig.get_config_var("EXT_SUFFIX")
pytestmark = needs_x86_64


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    out = tmp_path / "wheels"
    lib = compile_so(tmp_path / "libsib.so.1", PLAIN_LIBRARY, soname="libsib.so.1")
    build_wheel(
        out, "sibprov", "1.0", TAG, extra_files={"sibprov/lib/libsib.so.1": lib.read_bytes()}
    )
    user = compile_so(
        tmp_path / "user.so",
        EXTENSION_WITH_DLOPEN,
        python=True,
        add_needed=("libsib.so.1", "libstdc++.so.6"),
    )
    build_wheel(
        out,
        "sibuser",
        "1.0",
        TAG,
        requires_dist=["sibprov"],
        extra_files={f"sibuser/_native{EXT}": user.read_bytes()},
    )
    return out


def lock(index: IndexServer, out: Path, *extra: str) -> int:
    return main(
        [
            "lock",
            "sibuser",
            "-i",
            index.url,
            "-o",
            str(out),
            "-q",
            "--python",
            PY,
            "--system",
            "x86_64-linux",
            *extra,
        ]
    )


def packages(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(out.read_text())
    return dict(doc["targets"][KEY]["packages"])


def test_lock_records_facts_and_finds_siblings_in_other_wheels(
    wheels: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    index = index_factory(wheels)
    out = tmp_path / "wheels.lock.json"
    assert lock(index, out) == 0
    pkgs = packages(out)
    facts = pkgs["sibuser"]["facts"]
    external = {e["soname"]: e for e in facts["external"]}
    assert external["libsib.so.1"]["kind"] == "sibling"
    assert external["libsib.so.1"]["provided_by"] == "sibprov"
    assert external["libsib.so.1"]["search_path"] == "sibprov/lib"
    assert external["libstdc++.so.6"]["nix"] == "stdenv.cc.cc.lib"
    assert facts["dlopen_hints"] == ["libGL.so.1"]
    assert pkgs["sibprov"]["facts"]["provides"] == ["sibprov/lib/libsib.so.1"]
    assert "wheel" not in facts and "sha256" not in facts  # already in the entry
    assert facts["modules"] == ["sibuser"] and pkgs["sibprov"]["facts"]["modules"] == ["sibprov"]


def test_lock_refuses_a_wheel_needing_newer_glibc_than_the_target(
    wheels: Path,
    index_factory: Callable[..., IndexServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = index_factory(wheels)
    out = tmp_path / "wheels.lock.json"
    assert lock(index, out, "--glibc", "2.33") == 1
    err = capsys.readouterr().err
    assert f"sibuser-1.0-{hostpython.TAG}.whl needs GLIBC_2.3" in err
    assert KEY in err and "GLIBC 2.33" in err
    assert not out.exists()


def test_no_inspect_downloads_nothing(
    wheels: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    index = index_factory(wheels)
    out = tmp_path / "wheels.lock.json"
    assert lock(index, out, "--no-inspect") == 0
    assert all("facts" not in p for p in packages(out).values())
    assert not [p for _, p in index.requests if p.endswith(".whl")]
