"""``manylinux-nix inspect``: ELF facts, classification, policy, cache, and agreement
with ``auditwheel show`` on the same real wheels."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hostpython
import pytest
from elfbuild import EXTENSION_WITH_DLOPEN, PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64
from hostpython import PY
from indexserver import IndexServer
from wheelfactory import build_wheel

from pyhelpers.cli import main
from pyhelpers.errors import UserError
from pyhelpers.inspect.classify import classify
from pyhelpers.inspect.policy import policies
from pyhelpers.inspect.wheel import scan_wheel

REAL = Path(__file__).resolve().parent / ".real-wheels"
EXT = sysconfig.get_config_var("EXT_SUFFIX")
TAG = hostpython.TAG
pytestmark = needs_x86_64


def demo_wheel(out: Path, tmp: Path, tag: str = TAG) -> Path:
    """A wheel whose extension needs one library of each kind."""
    ext = compile_so(
        tmp / f"_native{EXT}",
        EXTENSION_WITH_DLOPEN,
        python=True,
        add_needed=(
            "libvend-1a2b3c4d.so.1",
            "libcuda.so.1",
            "libcudnn.so.9",
            "libfoo.so.3",
            "libX11.so.6",
        ),
        rpath="$ORIGIN/../demo.libs:$ORIGIN/../nvidia/cudnn/lib",
    )
    vend = compile_so(
        tmp / "libvend-1a2b3c4d.so.1",
        PLAIN_LIBRARY,
        soname="libvend-1a2b3c4d.so.1",
        add_needed=("libz.so.1",),
        rpath="$ORIGIN",
    )
    return build_wheel(
        out,
        "demo",
        "1.0",
        tag,
        extra_files={
            f"demo/_native{EXT}": ext.read_bytes(),
            "demo.libs/libvend-1a2b3c4d.so.1": vend.read_bytes(),
            "demo/not-elf.so": b"this is text, not ELF\n",
        },
    )


def by_soname(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["soname"]: e for e in report["external"]}


def test_every_kind_of_needed_library_is_classified(tmp_path: Path) -> None:
    whl = demo_wheel(tmp_path / "out", tmp_path)
    report = classify(scan_wheel(whl))
    assert report["elf_files"] == 2  # the text file named .so is skipped, not an error
    assert report["vendored"] == ["libvend-1a2b3c4d.so.1"]
    assert "libc.so.6" in report["glibc"]
    ext = by_soname(report)
    assert ext["libX11.so.6"]["kind"] == "library" and ext["libX11.so.6"]["nix"] == "libx11"
    assert ext["libX11.so.6"]["nix_candidates"][1:] == ["xorg.libX11"]
    assert ext["libz.so.1"]["nix"] == "zlib"
    assert ext["libz.so.1"]["wanted_by"] == ["demo.libs/libvend-1a2b3c4d.so.1"]
    assert ext["libcuda.so.1"]["kind"] == "driver" and ext["libcuda.so.1"]["nix"] is None
    assert ext["libcudnn.so.9"]["kind"] == "sibling"
    assert ext["libcudnn.so.9"]["search_path"] == "nvidia/cudnn/lib"
    assert ext["libfoo.so.3"]["kind"] == "unknown"
    assert ext["libfoo.so.3"]["wanted_by"] == [f"demo/_native{EXT}"]
    assert report["dlopen_hints"] == ["libGL.so.1"]
    assert report["symbol_versions"]["GLIBC"] >= "2.34"
    pol = report["policy"]
    assert pol["claimed"] == "manylinux_2_17_x86_64" and pol["holds"] is False
    text = " ".join(pol["violations"])
    assert "libfoo.so.3 is not allowed" in text and "GLIBC_2.34" in text
    assert "libX11.so.6" not in text  # whitelisted by every manylinux policy


def test_json_output_has_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whl = demo_wheel(tmp_path / "out", tmp_path)
    assert main(["inspect", str(whl), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {
        "wheel",
        "sha256",
        "elf_files",
        "external",
        "vendored",
        "glibc",
        "dlopen_hints",
        "symbol_versions",
        "policy",
    } <= set(doc)
    assert doc["wheel"] == whl.name and len(doc["sha256"]) == 64
    for entry in doc["external"]:
        assert {"soname", "kind", "nix", "wanted_by"} <= set(entry)
    assert set(doc["policy"]) == {"claimed", "holds", "violations"}
    assert main(["inspect", str(whl)]) == 0
    text = capsys.readouterr().out
    assert "libfoo.so.3" in text and "sonameOverrides" in text and "does NOT hold" in text


def test_wrong_architecture_and_damaged_elf_are_clear_errors(tmp_path: Path) -> None:
    whl = demo_wheel(tmp_path / "out", tmp_path, tag="cp311-cp311-manylinux_2_17_aarch64")
    with pytest.raises(
        UserError, match=r"built for x86_64 \(64-bit\), but the wheel claims aarch64"
    ):
        classify(scan_wheel(whl))
    so = compile_so(tmp_path / "lib.so", PLAIN_LIBRARY)
    data = so.read_bytes()
    for name, damaged in {"truncated": data[:40], "offsets": data[:64] + b"\xff" * 64}.items():
        bad = build_wheel(tmp_path / name, "bad", "1.0", TAG, extra_files={"bad/x.so": damaged})
        with pytest.raises(UserError, match=r"bad/x.so: damaged ELF file") as info:
            scan_wheel(bad)
        assert "\n" not in str(info.value)
    corrupt = tmp_path / "corrupt-1.0-py3-none-any.whl"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UserError, match="not a readable zip"):
        scan_wheel(corrupt)


def test_target_glibc_too_old_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whl = demo_wheel(tmp_path / "out", tmp_path)
    args = ["inspect", str(whl), "--glibc", "2.33", "--system", "x86_64-linux"]
    assert main([*args, "--python", PY]) == 0
    out = capsys.readouterr().out
    assert f"target x86_64-linux/{PY}: does NOT fit: needs GLIBC_2." in out


def test_inspect_url_is_cached_by_sha256(
    tmp_path: Path, index_factory: Callable[..., IndexServer], capsys: pytest.CaptureFixture[str]
) -> None:
    wheels = tmp_path / "idx"
    whl = demo_wheel(wheels, tmp_path)
    index = index_factory(wheels)
    url = f"{index.base_url}files/{whl.name}"
    assert main(["inspect", url, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "inspect",
                "demo==1.0",
                "-i",
                index.url,
                "--json",
                "--python",
                PY,
                "--system",
                "x86_64-linux",
                "--nixpkgs",
                "26.05",
            ]
        )
        == 0
    )
    second = json.loads(capsys.readouterr().out)
    assert second["sha256"] == first["sha256"] and second["external"] == first["external"]
    downloads = [p for _, p in index.requests if p == f"/files/{whl.name}"]
    assert len(downloads) == 1, index.requests  # the second inspect took the cache
    assert second["target"]["fits"] is True


def _auditwheel(whl: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(whl)],
        capture_output=True,
        text=True,
        check=True,
    )
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def _agree_with_auditwheel(whl: Path) -> None:
    ours = classify(scan_wheel(whl))
    theirs = _auditwheel(whl)
    claimed = ours["policy"]["claimed"]
    policy = policies()["_".join(claimed.split("_")[:3])]
    whitelist = policy.whitelist
    # auditwheel's external_libs: what is neither in the wheel nor whitelisted.
    ours_outside = {e["soname"] for e in ours["external"] if e["soname"] not in whitelist}
    assert ours_outside == set(theirs["external_libs"]), whl.name
    # Libraries auditwheel resolved inside the wheel (versioned, neither whitelisted
    # nor external) are the ones we call vendored.
    inside = {k for k in theirs["versioned_symbols"] if k not in whitelist}
    assert inside - set(theirs["external_libs"]) <= set(ours["vendored"]), whl.name
    # The policy verdict: the claimed tag holds exactly when auditwheel's overall tag is
    # at least as compatible (its priority at least the claimed policy's).
    overall = theirs["overall_tag"]
    name = "_".join(overall.split("_")[:3]) if overall.startswith("manylinux_") else overall
    theirs_priority = policies()[name].priority if name in policies() else 0
    assert ours["policy"]["holds"] == (theirs_priority >= policy.priority), (whl.name, overall)


@pytest.mark.parametrize(
    "name", ["numpy-2.2.6", "kiwisolver-1.4.8", "MarkupSafe-3.0.2-cp312-cp312"]
)
def test_agrees_with_auditwheel_on_real_wheels(name: str) -> None:
    wheels = sorted(p for p in REAL.glob(f"{name}*manylinux*x86_64*.whl"))
    if not wheels:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    _agree_with_auditwheel(wheels[0])


def test_agrees_with_auditwheel_on_a_wheel_that_breaks_its_policy(tmp_path: Path) -> None:
    _agree_with_auditwheel(demo_wheel(tmp_path / "out", tmp_path))
