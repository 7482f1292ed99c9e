"""Work spread over cores gives the results of working alone: files read in worker
processes, patchelf runs side by side within a memory budget, fix-venv and verify with
any --jobs."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from clitools import Run
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64

from pyhelpers.errors import UserError
from pyhelpers.inspect import parallel
from pyhelpers.inspect.elf import ElfFacts


def many_files(root: Path, count: int) -> list[Path]:
    """``count`` real shared objects of three kinds, and one damaged file among them."""
    kinds = [
        compile_so(root / "k/liba.so", PLAIN_LIBRARY, add_needed=("libstdc++.so.6",)),
        compile_so(root / "k/libb.so", PLAIN_LIBRARY, add_needed=("libz.so.1",), rpath="$ORIGIN"),
        compile_so(root / "k/libc.so", PLAIN_LIBRARY, soname="libc-like.so.1"),
    ]
    site = root / "venv/lib/python3.12/site-packages/pkg"
    site.mkdir(parents=True)
    files = []
    for number in range(count):
        target = site / f"lib{number:03d}.so"
        shutil.copy(kinds[number % len(kinds)], target)
        files.append(target)
    files[7].write_bytes(files[7].read_bytes()[:200])  # cut off: damaged
    (root / "venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    return files


@needs_x86_64
def test_files_read_in_processes_match_files_read_alone(tmp_path: Path) -> None:
    files = [(p, p.name) for p in many_files(tmp_path, parallel.MIN_FILES_FOR_PROCESSES + 12)]
    alone = parallel.read_elves(files, 1)
    spread = parallel.read_elves(files, 3)
    assert [type(x) for x in spread] == [type(x) for x in alone]
    assert isinstance(spread[7], UserError) and "lib007.so: damaged ELF file" in str(spread[7])
    assert [x for x in spread if isinstance(x, ElfFacts)] == [
        x for x in alone if isinstance(x, ElfFacts)
    ]


def test_runs_stay_within_the_budget_and_the_job_count() -> None:
    lock = threading.Lock()
    running: list[int] = []
    peaks = {"cost": 0, "count": 0}
    done: list[int] = []

    def task(cost: int) -> tuple[int, object]:
        def action() -> None:
            with lock:
                running.append(cost)
                peaks["cost"] = max(peaks["cost"], sum(running))
                peaks["count"] = max(peaks["count"], len(running))
            time.sleep(0.02)
            with lock:
                running.remove(cost)
                done.append(cost)

        return cost, action

    costs = [300, 300, 300, 200, 200, 100, 100, 100, 2000]
    parallel.run_within_budget([task(c) for c in costs], workers=3, budget=600)  # type: ignore[misc]
    assert sorted(done) == sorted(costs)
    assert peaks["count"] <= 3
    # The 2000-byte task is over the budget: it ran alone, counted as the whole budget.
    assert peaks["cost"] <= 2000 and max(c for c in costs if c <= 600) <= 600


def test_a_failure_is_raised_and_no_new_run_starts() -> None:
    started: list[int] = []

    def task(number: int) -> tuple[int, object]:
        def action() -> None:
            started.append(number)
            if number == 0:
                raise UserError("patchelf could not set its RUNPATH")
            time.sleep(0.05)

        return 1000 - number, action

    with pytest.raises(UserError, match="could not set its RUNPATH"):
        parallel.run_within_budget([task(n) for n in range(20)], workers=2, budget=1 << 30)  # type: ignore[misc]
    assert len(started) < 20


@needs_x86_64
def test_fix_venv_and_verify_give_the_same_with_any_jobs(run: Run, tmp_path: Path) -> None:
    files = many_files(tmp_path, parallel.MIN_FILES_FOR_PROCESSES + 12)
    files[7].unlink()  # fix-venv refuses a damaged file; verify would only skip it
    files = files[:7] + files[8:]
    venv = tmp_path / "venv"
    lib_dir = "/usr/lib/x86_64-linux-gnu"
    outputs = []
    for jobs in ("1", "3"):
        for path in files:
            subprocess.run(["patchelf", "--remove-rpath", str(path)], check=True)
        code, out, err = run("fix-venv", venv, "--lib-dir", lib_dir, "--jobs", jobs, "--json")
        assert code == 0, err
        runpaths = [
            subprocess.run(["patchelf", "--print-rpath", str(p)], capture_output=True, text=True,
                           check=True).stdout
            for p in files
        ]  # fmt: skip
        _, vout, _ = run("verify", venv, "--jobs", jobs, "--glibc-dir", tmp_path, "--json")
        outputs.append((out, runpaths, vout))
    assert outputs[0] == outputs[1]
    assert any(lib_dir in r for r in outputs[0][1])


def test_jobs_and_memory_are_checked(run: Run, tmp_path: Path) -> None:
    for args in (["--jobs", "0"], ["--jobs", "x"], ["--memory", "1"]):
        with pytest.raises(SystemExit):
            run("fix-venv", tmp_path, *args)
