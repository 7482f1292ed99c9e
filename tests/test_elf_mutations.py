"""Mutation fuzzing of real shared objects (from real wheels, x86_64, aarch64, i686 and
big-endian s390x, and one built here): every damaged file ends in facts or a one-line
"damaged ELF file" error, in bounded time, in the reader, in verify's version lookup, in
classify and in the verify command. A fixed budget of cases, the same every run."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from clitools import Run
from elfbuild import compile_so
from elfmutate import cases
from hostpython import CP

from pyhelpers.errors import UserError
from pyhelpers.inspect.elf import defined_versions, read_elf

REAL = Path(__file__).resolve().parent / ".real-wheels"
CASES_PER_FILE = 600  # five files: 3,000 cases
SLOWEST = 2.0  # seconds for one case; a loop driven by a count near 2^32 would not end

SOURCES = {  # label -> the real wheel, as a glob in tests/.real-wheels
    "kiwisolver (x86_64, C++)": f"kiwisolver-*-{CP}-*x86_64*.whl",
    "MarkupSafe (aarch64)": "MarkupSafe-*-cp312-cp312-*aarch64*.whl",
    "MarkupSafe (i686)": "MarkupSafe-*-cp312-cp312-*i686*.whl",
    "charset_normalizer (s390x)": "charset_normalizer-*s390x*.whl",
}

VERSIONED = r"""
#include <stdio.h>
#include <pthread.h>
static void *work(void *arg) { return arg; }
int f(void) { pthread_t t; puts("x"); return pthread_create(&t, 0, work, 0); }
"""


def _members() -> dict[str, bytes]:
    found = {}
    for label, pattern in SOURCES.items():
        paths = sorted(REAL.glob(pattern))
        if not paths:
            pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
        path = paths[0]
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".so"))
            found[label] = archive.read(name)
    return found


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    built = compile_so(
        tmp_path_factory.mktemp("so") / "libv.so",
        VERSIONED,
        add_needed=("libstdc++.so.6",),
        rpath="$ORIGIN/../lib",
    )
    return {**_members(), "built here (x86_64, RPATH, version needs)": built.read_bytes()}


def test_every_mutation_ends_in_facts_or_one_clear_error(samples: dict[str, bytes]) -> None:
    failures = []
    outcomes = {"facts": 0, "damaged": 0}
    for label, data in samples.items():
        for case, what, blob in cases(data, CASES_PER_FILE):
            start = time.monotonic()
            try:
                read_elf(io.BytesIO(blob), "fuzz.so")
                outcomes["facts"] += 1
            except UserError as exc:
                outcomes["damaged"] += 1
                if "fuzz.so: damaged ELF file" not in str(exc) or "\n" in str(exc):
                    failures.append(f"{label} case {case} ({what}): {exc}")
            except Exception as exc:  # the point: nothing else may escape
                failures.append(f"{label} case {case} ({what}): {type(exc).__name__}: {exc}")
            try:
                defined_versions(io.BytesIO(blob))
            except Exception as exc:
                failures.append(f"{label} case {case} ({what}) versions: {type(exc).__name__}")
            elapsed = time.monotonic() - start
            if elapsed > SLOWEST:
                failures.append(f"{label} case {case} ({what}) took {elapsed:.1f} s")
    assert not failures, "\n".join(failures[:20])
    # The mutations reach past the header: both outcomes are common.
    assert min(outcomes.values()) > len(samples) * CASES_PER_FILE // 20, outcomes


def test_the_commands_take_damaged_files_without_a_traceback(
    samples: dict[str, bytes], run: Run, tmp_path: Path
) -> None:
    """A venv of damaged libraries: verify reports, never crashes; inspect of a wheel
    holding one gives facts or the one-line error."""
    from wheelfactory import build_wheel

    site = tmp_path / "site"
    site.mkdir()
    data = samples["built here (x86_64, RPATH, version needs)"]
    for case, _what, blob in cases(data, 120, start=10_000):
        (site / f"lib{case}.so").write_bytes(blob)
    code, _, err = run("verify", site, "--glibc-dir", tmp_path)
    assert code in (0, 1) and "Traceback" not in err
    for case, _what, blob in cases(data, 40, start=20_000):
        tag = "cp312-cp312-manylinux_2_17_x86_64"
        wheel = build_wheel(
            tmp_path / f"w{case}", "demo", "1.0", tag, extra_files={"demo/_x.so": blob}
        )
        code, _, err = run("inspect", wheel)
        assert code in (0, 1), err
        assert "Traceback" not in err
        if code == 1:
            assert err.startswith("manylinux-nix: error: ") and err.count("\n") == 1, err
