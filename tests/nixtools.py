"""Run real nix-instantiate and nix-build for tests (Debian's Nix 2.8, no nixpkgs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NIX = Path(__file__).resolve().parent / "nix"
REPO = NIX.parents[1]
# No binary cache can be reached here; builds run as root so they can use host tools
# under /root (the stand-in's Python and patchelf).
OPTIONS = ["--option", "substituters", "", "--option", "build-users-group", ""]

needs_nix = pytest.mark.skipif(
    shutil.which("nix-build") is None, reason="needs nix-build (apt-get install nix-bin)"
)


def standin_args() -> list[str]:
    patchelf = shutil.which("patchelf")
    assert patchelf, "patchelf is missing"
    return ["--argstr", "hostPython", sys.executable, "--argstr", "patchelf", patchelf]


def nix_build(
    expression: Path, args: list[str], attr: str, out_link: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nix-build", str(expression), *args, "-A", attr, "--out-link", str(out_link), *OPTIONS],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def nix_eval(expression: str, args: list[str] | None = None) -> Any:
    """Evaluate an expression (strictly) and return it as JSON data."""
    done = subprocess.run(
        [
            "nix-instantiate",
            "--eval",
            "--strict",
            "--json",
            "--expr",
            expression,
            *(args or []),
            *OPTIONS,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=REPO,
    )
    if done.returncode != 0:
        raise NixError(done.stderr)
    return json.loads(done.stdout)


class NixError(Exception):
    pass
