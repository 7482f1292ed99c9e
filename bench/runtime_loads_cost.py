"""Benchmark: what reading every ``.py`` member for runtime loads costs, against the
code before it (a git worktree of BASE), in the same run on the same files.

- ``inspect`` of a wheel with thousands of ``.py`` files (torch) as a fresh process with
  an empty scan cache: the goal is within 10% of the code before.
- ``overrides`` of a real lock, cold (every wheel already downloaded, no scan cached)
  and warm (everything cached, ``--offline``): within 20% cold, unchanged warm.

Usage:

    python bench/runtime_loads_cost.py [--base REV] [--wheel WHEEL] [--lock LOCK]

Defaults: BASE 2786bb6 (the last commit before runtime loads), the torch wheel pip
serves this machine (fetched once into bench/.wheels), tests/data/samples/scientific.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".wheels"
BASE = "2786bb6"
RUNS = 3


def torch_wheel() -> Path:
    found = sorted(CACHE.glob("torch-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), "torch"],
            check=True,
        )
        found = sorted(CACHE.glob("torch-*.whl"))
    return found[-1]


def worktree(rev: str, where: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(where), rev], check=True
    )
    return where


def timed(tree: Path, args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pyhelpers.cli", *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - start


def fresh_cache(root: Path, files: Path | None) -> dict[str, str]:
    """An empty cache; with ``files``, its downloads already there (hard links)."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "manylinux-nix").mkdir(parents=True)
    if files is not None and files.is_dir():
        subprocess.run(["cp", "-al", str(files), str(root / "manylinux-nix" / "files")], check=True)
    return {**os.environ, "XDG_CACHE_HOME": str(root)}


def best(tree: Path, args: list[str], cache: Path, files: Path | None, *, warm: bool) -> float:
    times = []
    env = fresh_cache(cache, files)
    if warm:
        timed(tree, args, env)
    for _ in range(RUNS):
        if not warm:
            env = fresh_cache(cache, files)
        times.append(timed(tree, args, env))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--wheel", type=Path)
    parser.add_argument("--lock", type=Path, default=REPO / "tests/data/samples/scientific/uv.lock")
    args = parser.parse_args()
    wheel = args.wheel or torch_wheel()
    with tempfile.TemporaryDirectory() as tmp:
        base = worktree(args.base, Path(tmp) / "base")
        try:
            cache = Path(tmp) / "cache"
            target = ["--system", "x86_64-linux", "--python", "3.12"]
            inspect = ["inspect", str(wheel.resolve()), "--json", "-q"]
            rows: list[tuple[str, Path, Path, list[str], Path | None, bool]] = [
                (f"inspect {wheel.name}", REPO, base, inspect, None, False)
            ]
            # Download the lock's wheels once, into a cache whose files both reuse.
            primed = Path(tmp) / "primed"
            overrides = ["overrides", str(args.lock.resolve()), "-o", os.devnull, "-q", *target]
            timed(REPO, overrides, fresh_cache(primed, None))
            files = primed / "manylinux-nix" / "files"
            rows.append(
                (f"overrides {args.lock.parent.name} cold", REPO, base, overrides, files, False)
            )
            warm = [*overrides, "--offline"]
            rows.append((f"overrides {args.lock.parent.name} warm", REPO, base, warm, files, True))
            print("| what | now | before | now / before |")
            print("|---|---|---|---|")
            for label, now_tree, old_tree, command, downloads, is_warm in rows:
                now = best(now_tree, command, cache, downloads, warm=is_warm)
                before = best(old_tree, command, cache, downloads, warm=is_warm)
                print(f"| {label} | {now:.2f} s | {before:.2f} s | {now / before:.2f}x |")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)])


if __name__ == "__main__":
    main()
