"""Benchmark: ``fix-venv --check``, ``fix-venv`` and ``verify`` on a venv of real binary
wheels, against ``readelf -d -V`` over the same ELF files (one process per core) as the
floor, with the peak memory of our process and of its whole process tree.

    python bench/venv_fix_verify.py [--venv DIR]

Without ``--venv`` it builds one (once, with pip) from PACKAGES below, torch without its
CUDA dependencies. ``fix-venv`` runs on a fresh copy each time, so it really patches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = HERE / ".venv-bench"
PACKAGES = [
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "opencv-python-headless",
    "onnxruntime",
    "PyQt6",
    "grpcio",
    "pillow",
    "matplotlib",
    "kiwisolver",
    "contourpy",
    "lxml",
    "cryptography",
    "orjson",
    "pydantic-core",
    "psutil",
    "regex",
    "tokenizers",
    "safetensors",
    "scikit-learn",
    "h5py",
    "numba",
    "zstandard",
    "msgpack",
    "ujson",
    "pyyaml",
    "markupsafe",
    "charset-normalizer",
    "aiohttp",
    "psycopg2-binary",
    "shapely",
    "pyzmq",
    "greenlet",
    "sqlalchemy",
    "rpds-py",
    "jiter",
    "xxhash",
    "lz4",
    "bcrypt",
    "duckdb",
    "polars",
    "pymupdf",
    "scikit-image",
    "soundfile",
]


def build_venv(venv: Path) -> None:
    if (venv / "pyvenv.cfg").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
    ]
    subprocess.run([*pip, *PACKAGES], check=True)
    subprocess.run([*pip, "--no-deps", "torch"], check=True)


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return found


class TreeMemory:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.own_peak = 0
        self.tree_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = _rss_by_pid()
            children: dict[int, list[int]] = {}
            for pid, (ppid, _) in rss.items():
                children.setdefault(ppid, []).append(pid)
            total, todo = 0, [self.pid]
            while todo:
                pid = todo.pop()
                total += rss.get(pid, (0, 0))[1]
                todo.extend(children.get(pid, []))
            self.own_peak = max(self.own_peak, rss.get(self.pid, (0, 0))[1])
            self.tree_peak = max(self.tree_peak, total)
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _rss_by_pid() -> dict[int, tuple[int, int]]:
    page = os.sysconf("SC_PAGE_SIZE")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry)] = (int(stat[1]), int(stat[21]) * page)
    return found


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, int, int]:
    """Seconds, our process's peak RSS and the whole tree's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    memory = TreeMemory(proc.pid)
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    memory.stop()
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[3:5]} exited {proc.returncode}: {err.decode()[-2000:]}")
    return elapsed, memory.own_peak, memory.tree_peak


def readelf_floor(files: list[Path], cores: int) -> float:
    start = time.perf_counter()
    listing = "\0".join(str(f) for f in files).encode()
    subprocess.run(
        ["xargs", "-0", "-n", "16", "-P", str(cores), "readelf", "-d", "-V", "-W"],
        input=listing,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()
    build_venv(args.venv)
    cores = len(os.sched_getaffinity(0))
    files = elf_files(args.venv)
    size = sum(f.stat().st_size for f in files)
    packages = len(list(args.venv.glob("lib/python3*/site-packages/*.dist-info")))
    print(
        f"venv: {packages} distributions, {len(files)} ELF files, {size / 2**30:.2f} GiB; "
        f"{cores} cores"
    )
    ours = [sys.executable, "-m", "pyhelpers"]
    readelf_floor(files, cores)  # warm the page cache for everyone
    floor = readelf_floor(files, cores)
    rows = []
    # fix-venv --check exits 1 when a library is missing (torch's CUDA siblings are).
    rows.append(
        ("fix-venv --check", *run([*ours, "fix-venv", "--check", "-q", str(args.venv)], ok=(0, 1)))
    )
    rows.append(("verify", *run([*ours, "verify", "-q", str(args.venv)], ok=(0, 1))))
    with tempfile.TemporaryDirectory(dir=args.venv.parent) as scratch:
        copy = Path(scratch) / "venv"
        shutil.copytree(args.venv, copy, symlinks=True)
        readelf_floor(elf_files(copy), cores)  # the copy into the page cache too
        rows.append(("fix-venv", *run([*ours, "fix-venv", "-q", str(copy)], ok=(0, 1))))
    print(f"{'':<18} {'seconds':>8} {'/ floor':>8} {'own peak':>9} {'tree peak':>10}")
    print(f"{'readelf -d -V':<18} {floor:8.2f} {1:7.2f}x")
    for name, seconds, own, tree in rows:
        print(
            f"{name:<18} {seconds:8.2f} {seconds / floor:7.2f}x {own / 2**20:7.0f} MB "
            f"{tree / 2**20:8.0f} MB"
        )


if __name__ == "__main__":
    main()
