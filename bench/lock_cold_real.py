"""Benchmark: a cold ``manylinux-nix lock`` of real, large wheels against a local index,
beside the time to merely download the same files with ``pip download`` from that index
plus the best-inflater floor (every member of every Linux wheel inflated, one process per
core) in the same run.

    python bench/lock_cold_real.py

The first run locks REQUIREMENTS for TARGETS against PyPI without inspecting, and keeps
every file it names in ``bench/.lock-index`` (about 8 GB for the default set); later runs
reuse them. The local index is ``tests/indexserver.py`` on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from packaging.utils import parse_wheel_filename

HERE = Path(__file__).resolve().parent
ROOT = HERE / ".lock-index"
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from indexserver import IndexServer  # noqa: E402
from inspect_vs_auditwheel import inflate, inflaters  # noqa: E402

REQUIREMENTS = ["torch", "scipy", "pandas", "pyarrow", "opencv-python-headless"]
TARGETS = [
    "--system",
    "x86_64-linux",
    "--system",
    "aarch64-linux",
    "--python",
    "3.12",
    "--python",
    "3.13",
]
OURS = [sys.executable, "-m", "pyhelpers"]


def populate() -> list[str]:
    listing = ROOT / "files.json"
    if listing.exists():
        return list(json.loads(listing.read_text()))
    ROOT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        lock = Path(scratch) / "lock.json"
        subprocess.run(
            [*OURS, "lock", "-q", "--no-inspect", *TARGETS, "-o", str(lock), *REQUIREMENTS],
            check=True,
        )
        files = {
            p["filename"]: (p["url"], p["sha256"])
            for target in json.loads(lock.read_text())["targets"].values()
            for p in target["packages"].values()
        }

    def download(item: tuple[str, tuple[str, str]]) -> None:
        name, (url, sha256) = item
        target = ROOT / name
        if target.exists():
            return
        digest = hashlib.sha256()
        with (
            requests.get(url, stream=True, timeout=60) as response,
            open(target.with_suffix(".part"), "wb") as out,
        ):
            response.raise_for_status()
            for chunk in response.iter_content(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise SystemExit(f"{name}: sha256 mismatch")
        target.with_suffix(".part").rename(target)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(download, files.items()))
    listing.write_text(json.dumps(sorted(files)))
    return sorted(files)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:5])} ...: {done.stderr.decode()[-1500:]}")
    return time.perf_counter() - start


def pip_download(lock: dict[str, Any], index: str, dest: Path) -> float:
    """pip download of each target's pins, one pip per target into one folder (a file
    already there is not fetched again), as a user fetching the same files would."""
    total = 0.0
    for key, target in lock["targets"].items():
        python = key.split("/")[1]
        pins = [f"{p['name']}=={p['version']}" for p in target["packages"].values()]
        # pip does not widen manylinux_2_40 to older tags: name each one the files carry.
        platforms = sorted(
            {
                tag.platform
                for p in target["packages"].values()
                for tag in parse_wheel_filename(p["filename"])[3]
            }
            - {"any"}
        )
        total += timed(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-cache-dir",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                *(f"--platform={p}" for p in platforms),
                "--python-version",
                python,
                "--implementation",
                "cp",
                "-i",
                index,
                "-d",
                str(dest),
                *pins,
            ],
            # This machine's pip.conf may add find-links; the peer asks our index only.
            {**os.environ, "PIP_CONFIG_FILE": os.devnull},
        )
    return total


def main() -> None:
    files = populate()
    cores = len(os.sched_getaffinity(0))
    size = sum((ROOT / f).stat().st_size for f in files)
    print(f"{len(files)} files, {size / 1e9:.2f} GB, {cores} cores")
    with IndexServer(ROOT) as server, tempfile.TemporaryDirectory(dir=HERE) as scratch:
        server.dists()  # hash every file once, before anything is timed
        cache = Path(scratch) / "cache"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        lock = Path(scratch) / "lock.json"
        t_ours = timed(
            [*OURS, "lock", "-q", "-i", server.url, *TARGETS, "-o", str(lock), *REQUIREMENTS], env
        )
        print(f"ours cold lock {t_ours:.1f} s", flush=True)
        shutil.rmtree(cache)
        t_pip = pip_download(json.loads(lock.read_text()), server.url, Path(scratch) / "pip")
        engines = inflaters()
        best = "isal" if "isal" in engines else next(iter(engines))
        linux = [ROOT / f for f in files if "linux" in f]
        start = time.perf_counter()
        with ThreadPoolExecutor(cores) as pool:
            list(pool.map(lambda w: inflate(engines[best], w), linux))
        t_floor = time.perf_counter() - start
    peer = t_pip + t_floor
    print(
        f"ours cold lock {t_ours:.1f} s; pip download {t_pip:.1f} s; {best} floor "
        f"{t_floor:.1f} s; ours / (pip + floor) = {t_ours / peer:.2f}x; "
        f"ours / pip = {t_ours / t_pip:.2f}x"
    )


if __name__ == "__main__":
    main()
