"""Benchmark: ``manylinux-nix convert --no-inspect --offline`` of the largest sample
uv.lock against ``uv export --frozen`` of the same file, in the same run, each as a fresh
process with an empty cache (ours) and no network (both).

    python bench/convert_vs_uv_export.py [UV_LOCK]

uv comes from the test extras (``pip install -e .[test]``); the lock from
``../shared/samples/wild/lerobot-uv-cu128-robotics`` (333 packages) unless given. uv needs
the lock's pyproject.toml beside it; ours reads only the lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "samples" / "wild" / "lerobot-uv-cu128-robotics" / "uv.lock"
RUNS = 5


def uv_binary() -> str:
    here = Path(sysconfig.get_path("scripts")) / "uv"
    found = str(here) if here.exists() else shutil.which("uv")
    if found is None:
        sys.exit("uv is not installed: pip install -e .[test]")
    return found


def best(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    subprocess.run(command, check=True, capture_output=True, cwd=cwd, env=env)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    lock = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not lock.exists():
        sys.exit(f"{lock} is absent: give a uv.lock")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp, "project")
        work.mkdir()
        shutil.copy(lock, work / "uv.lock")
        shutil.copy(lock.with_name("pyproject.toml"), work / "pyproject.toml")
        # Bytecode as an installed package has it (Nix compiles it at build time): the
        # first run writes it, and best-of-N leaves that run out.
        env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_CACHE": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        uv = best([uv_binary(), "export", "--frozen", "--no-hashes", "-q"], work, env)
        ours_cmd = [
            sys.executable,
            "-m",
            "pyhelpers",
            "convert",
            str(work / "uv.lock"),
            "--no-inspect",
            "--offline",
            "--system",
            "x86_64-linux",
            "--python",
            "3.12",
            "-o",
            str(Path(tmp, "out.json")),
        ]
        ours_env = {**env, "XDG_CACHE_HOME": str(Path(tmp, "cache"))}
        ours = best(ours_cmd, REPO, ours_env)
        packages = lock.read_text().count("[[package]]")
        floor_cmd = [sys.executable, "-c", _FLOOR, str(work / "uv.lock")]
        floor = best(floor_cmd, REPO, env)
    print("| lock | packages | ours | uv export | tomllib floor | ours / uv | ours / floor |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {lock.parent.name} | {packages} | {ours:.3f} s | {uv:.3f} s | {floor:.3f} s"
        f" | {ours / uv:.2f}x | {ours / floor:.2f}x |"
    )


# The least a Python reader of uv.lock does: start, parse the TOML with the standard library.
_FLOOR = "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))"


if __name__ == "__main__":
    main()
