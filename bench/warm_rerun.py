"""Benchmark: a warm re-run (every fact cached, ``--offline``) of ``convert`` and
``overrides``, against the code before one tag ranking per target (BASE), in the same run
on the same locks. The goal is under a second, whatever the lock's size.

- ``overrides`` and ``convert`` (inspecting; the scans cached) of
  tests/data/samples/scientific/uv.lock;
- ``convert --no-inspect`` of the largest real locks we have (../shared/samples/wild:
  livekit's 80-member uv.lock with --all-packages, giskard's 640 KB pdm.lock, which BASE
  cannot read: its row has no ratio).

Usage:

    python bench/warm_rerun.py [--base REV]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from runtime_loads_cost import REPO, RUNS, fresh_cache, timed, worktree

BASE = "5f4183f~1"
WILD = REPO.parent / "shared" / "samples" / "wild"
TARGET = ["--system", "x86_64-linux", "--python", "3.12"]


def warm(tree: Path, args: list[str], cache: Path, seed: Path) -> float:
    """The best of RUNS re-runs on a copy of the primed cache, after one to settle."""
    env = fresh_cache(cache, None)
    subprocess.run(["cp", "-a", f"{seed}/.", str(cache / "manylinux-nix")], check=True)
    timed(tree, args, env)
    return min(timed(tree, args, env) for _ in range(RUNS))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=BASE)
    args = parser.parse_args()
    scientific = REPO / "tests/data/samples/scientific/uv.lock"
    livekit = WILD / "livekit-agents-workspace-80-members" / "uv.lock"
    giskard = WILD / "giskard-pdm-ml-groups" / "pdm.lock"
    with tempfile.TemporaryDirectory() as tmp:
        base = worktree(args.base, Path(tmp) / "base")
        try:
            cache = Path(tmp) / "cache"
            primed = Path(tmp) / "primed"
            env = fresh_cache(primed, None)
            rows: list[tuple[str, list[str], bool]] = []
            for verb in ("overrides", "convert"):
                argv = [verb, str(scientific), "-o", os.devnull, "-q", *TARGET]
                timed(REPO, argv, env)  # downloads and scans once
                rows.append((f"{verb} scientific", [*argv, "--offline"], True))
            for lock, extra, both in (
                (livekit, ["--all-packages"], True),
                (giskard, ["--allow-sdist"], False),
            ):
                if lock.is_file():
                    argv = ["convert", str(lock), "-o", os.devnull, "-q", "--no-inspect"]
                    argv += [*TARGET, *extra]
                    timed(REPO, argv, env)  # the index pages a pdm.lock needs, once
                    label = f"convert --no-inspect {lock.parent.name}"
                    rows.append((label, [*argv, "--offline"], both))
            files = primed / "manylinux-nix"
            print("| warm, --offline | now | before | now / before |")
            print("|---|---|---|---|")
            for label, command, compare in rows:
                now = warm(REPO, command, cache, files)
                if not compare:
                    print(f"| {label} | {now:.2f} s | (cannot read it) | |")
                    continue
                before = warm(base, command, cache, files)
                print(f"| {label} | {now:.2f} s | {before:.2f} s | {now / before:.2f}x |")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)])


if __name__ == "__main__":
    main()
