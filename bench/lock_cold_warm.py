"""Benchmark: ``manylinux-nix lock`` of 50 packages against a local index, cold (empty
cache) and warm (same cache), beside ``pip install --dry-run`` resolving the same
requirement against the same index in the same run.

    python bench/lock_cold_warm.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from indexserver import IndexServer  # noqa: E402
from wheelfactory import build_wheel  # noqa: E402

COUNT = 50


def build(root: Path) -> None:
    # A chain with some fan-out: top -> p00 .. p48, each pNN -> pNN+1 where it exists.
    for i in range(COUNT - 1):
        deps = [f"p{i + 1:02d}>=1"] if i + 1 < COUNT - 1 else []
        for version in ("1.0", "1.1", "2.0"):
            build_wheel(root, f"p{i:02d}", version, requires_dist=deps)
    build_wheel(root, "top", "1.0", requires_dist=[f"p{i:02d}" for i in range(0, COUNT - 1, 7)])


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "wheels")
        build(root)
        with IndexServer(root) as index:
            env = {
                **os.environ,
                "XDG_CACHE_HOME": str(Path(tmp, "cache")),
                "PIP_CONFIG_FILE": os.devnull,
            }
            ours = [
                sys.executable,
                "-m",
                "pyhelpers.cli",
                "lock",
                "top",
                "-i",
                index.url,
                "-o",
                str(Path(tmp, "l.json")),
                "-q",
                "--python",
                "3.12",
                "--system",
                "x86_64-linux",
            ]
            pip = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-cache-dir",
                "--quiet",
                "--index-url",
                index.url,
                "top",
            ]
            cold = timed(ours, env)
            warm = min(timed(ours, env) for _ in range(3))
            pip_time = min(timed(pip, env) for _ in range(2))
    print(
        f"lock of {COUNT} packages: cold {cold:.2f} s, warm {warm:.2f} s; "
        f"pip install --dry-run {pip_time:.2f} s; pip/ours-cold {pip_time / cold:.1f}x, "
        f"pip/ours-warm {pip_time / warm:.1f}x"
    )


if __name__ == "__main__":
    main()
