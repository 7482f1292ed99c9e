"""A lock's URL and SRI hash drive a real fixed-output fetch in Nix (nix-build, builtin fetcher)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from indexserver import IndexServer
from nixtools import NIX, needs_nix, nix_build, unique_version
from wheelfactory import build_wheel

from pyhelpers.cli import main

pytestmark = [pytest.mark.nix, needs_nix]


def fetch(lock: Path, target: str, attr: str, out_link: Path) -> subprocess.CompletedProcess[str]:
    args = ["--arg", "lockFile", str(lock), "--argstr", "target", target]
    return nix_build(NIX / "fetch-lock.nix", args, attr, out_link)


def test_lock_entry_is_a_working_fixed_output_fetch(
    wheel_dir: Path, index_factory: Callable[..., IndexServer], tmp_path: Path
) -> None:
    # A unique version per run keeps an earlier run's store path from answering for this one.
    version = unique_version(tmp_path)
    whl = build_wheel(
        wheel_dir, "fetchme", version, "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    index = index_factory(wheel_dir)
    lock = tmp_path / "wheels.lock.json"
    assert (
        main(
            [
                "lock",
                "fetchme",
                "-i",
                index.url,
                "-o",
                str(lock),
                "-q",
                "--system",
                "x86_64-linux",
                "--python",
                "3.12",
            ]
        )
        == 0
    )
    entry = json.loads(lock.read_text())["targets"]["x86_64-linux/3.12"]["packages"]["fetchme"]

    # Tamper first: the index now serves other bytes under the locked URL.
    original = whl.read_bytes()
    whl.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    bad = fetch(lock, "x86_64-linux/3.12", "fetchme", tmp_path / "bad")
    assert bad.returncode != 0
    assert "hash mismatch" in bad.stderr and entry["hash"] in bad.stderr

    whl.write_bytes(original)
    good = fetch(lock, "x86_64-linux/3.12", "fetchme", tmp_path / "result")
    assert good.returncode == 0, good.stderr
    store_path = Path(good.stdout.strip())
    assert store_path.name.endswith("-" + whl.name)  # the wheel unpack hook needs this name
    assert store_path.read_bytes() == original
