"""Run real nix-instantiate and nix-build for tests (Debian's Nix 2.8, no nixpkgs)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

NIX = Path(__file__).resolve().parent / "nix"
REPO = NIX.parents[1]
# No binary cache can be reached here; builds run as root, outside the sandbox, so they
# can use host tools under /root (the stand-in's Python and patchelf). Debian 13's Nix
# turns the sandbox on in /etc/nix/nix.conf; Debian 12's turns it off.
OPTIONS = [
    "--option", "substituters", "",
    "--option", "build-users-group", "",
    "--option", "sandbox", "false",
]  # fmt: skip


def _real_lib() -> str | None:
    """MANYLINUX_NIX_TEST_NIXPKGS_LIB as an absolute lib folder (a nixpkgs.lib or nixpkgs
    checkout's root is taken for its lib/), or None for the stand-in."""
    given = os.environ.get("MANYLINUX_NIX_TEST_NIXPKGS_LIB", "")
    if not given:
        return None
    folder = Path(given).resolve()
    if not (folder / "default.nix").is_file() and (folder / "lib" / "default.nix").is_file():
        folder = folder / "lib"
    if not (folder / "fixed-points.nix").is_file():
        raise RuntimeError(
            f"MANYLINUX_NIX_TEST_NIXPKGS_LIB={given}: not a nixpkgs lib folder "
            "(no fixed-points.nix); give nixpkgs.lib's lib/ or nixpkgs' lib/"
        )
    # tests/nix/lib.nix reads the variable; Nix wants an absolute path.
    os.environ["MANYLINUX_NIX_TEST_NIXPKGS_LIB"] = str(folder)
    return str(folder)


REAL_LIB = _real_lib()


def _nix_has(builtin: str) -> bool:
    if shutil.which("nix-instantiate") is None:
        return False
    done = subprocess.run(
        ["nix-instantiate", "--eval", "--expr", f"builtins ? {builtin}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() == "true"


# The real lib.fileset reads file types with builtins.readFileType (Nix 2.14); Debian's
# Nix 2.8 lacks it, so with the real lib those evaluations are skipped, and say why.
needs_real_fileset = pytest.mark.skipif(
    REAL_LIB is not None and not _nix_has("readFileType"),
    reason="the real nixpkgs lib.fileset needs builtins.readFileType (Nix 2.14+), "
    "which this Nix lacks",
)

needs_nix = pytest.mark.skipif(
    shutil.which("nix-build") is None, reason="needs nix-build (apt-get install nix-bin)"
)


def nix_version() -> tuple[int, ...]:
    """The Nix on PATH (2.8 on Debian 12, 2.26 on Debian 13), or () without one."""
    if shutil.which("nix") is None:
        return ()
    done = subprocess.run(["nix", "--version"], capture_output=True, text=True, check=False)
    words = done.stdout.split()
    parts = words[-1].split(".") if words else []
    return tuple(int(p) for p in parts[:2] if p.isdigit())


# Flakes as users run them: nixpkgs itself needs Nix 2.18 or newer. Debian 12's Nix 2.8
# skips these; .ci/run's Debian 13 stage (Nix 2.26) runs them.
needs_modern_nix = pytest.mark.skipif(
    nix_version() < (2, 18),
    reason="needs Nix 2.18 or newer, as nixpkgs does (Debian 13's nix-bin; .ci/run's "
    "Debian 13 stage runs these)",
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
        # Build logs may cut a progress bar's UTF-8 in two (uv's, in pyproject.nix's hooks).
        errors="replace",
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


@functools.cache
def unique_version(tmp_path: Path) -> str:
    """A version no earlier run used, the same for one test's ``tmp_path``, so the Nix
    store cannot answer a build from a previous run's output (a tmp folder's inode, used
    before, repeats across runs)."""
    return f"1.0.post{time.time_ns()}"
