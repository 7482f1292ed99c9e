"""Benchmark: ``manylinux-nix inspect`` against ``auditwheel show`` and two floors.

All run on the same wheel files in the same run; results are ratios, so they carry over
between machines. The floors only inflate: ``unzip -p`` (Info-ZIP, zlib), and each
inflater library that is installed (ISA-L ``isal``, ``zlib-ng``, CPython's ``zlib``,
libdeflate ``deflate``) inflating every member in one call, as a fresh process. The best
of those is "the best-inflater floor". Usage:

    python bench/inspect_vs_auditwheel.py [WHEEL ...]

Without arguments it fetches (once, with pip) the wheels named in WHEELS below.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".wheels"
# (requirement, python version, abi, platform) as pip download takes them.
WHEELS = [
    ("scipy==1.18.1", "3.12", "cp312", "manylinux_2_27_x86_64"),
    ("torch==2.9.1", "3.12", "cp312", "manylinux_2_28_aarch64"),  # PyPI's CPU build
    ("PyQt6-Qt6==6.11.2", "3.12", "none", "manylinux_2_34_x86_64"),
    ("opencv-python-headless==4.14.0.94", "3.12", "abi3", "manylinux_2_28_x86_64"),
]
# One call per member on the member's raw bytes: the fastest any inflater can go.
INFLATERS = {
    "isal": "from isal.isal_zlib import decompress as d; f = lambda b, n: d(b, -15)",
    "zlib-ng": "from zlib_ng.zlib_ng import decompress as d; f = lambda b, n: d(b, -15)",
    "zlib": "from zlib import decompress as d; f = lambda b, n: d(b, -15)",
    "libdeflate": "from deflate import deflate_decompress as d; f = lambda b, n: d(b, n)",
}
FLOOR = """
import struct, sys, zipfile
{setup}
path = sys.argv[1]
with zipfile.ZipFile(path) as zf, open(path, "rb") as raw:
    for info in zf.infolist():
        raw.seek(info.header_offset)
        head = raw.read(30)
        start = info.header_offset + 30 + sum(struct.unpack("<HH", head[26:30]))
        raw.seek(start)
        data = raw.read(info.compress_size)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            f(data, info.file_size)
"""


def fetch(requirement: str, python: str, abi: str, platform: str) -> Path:
    name, version = requirement.split("==")
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    arch = platform.split("_", 3)[-1]
    found = sorted(
        p
        for p in CACHE.glob("*.whl")
        if p.name.lower().startswith(prefix) and p.name.endswith(f"{arch}.whl")
    )
    if found:
        return found[0]
    CACHE.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--abi",
            abi,
            "--platform",
            platform,
            "--dest",
            str(CACHE),
            requirement,
        ],
        check=True,
    )
    return fetch(requirement, python, abi, platform)


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(wheel: Path) -> None:
    # Cold: a fresh cache directory each time, so the scan is really done.
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run(
            [sys.executable, "-m", "pyhelpers", "inspect", "--json", str(wheel)],
            check=True,
            capture_output=True,
            env={**os.environ, "XDG_CACHE_HOME": cache},
        )


def auditwheel(wheel: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)], check=True, capture_output=True
    )


def unzip(wheel: Path) -> None:
    with open(os.devnull, "wb") as null:
        subprocess.run(["unzip", "-p", str(wheel)], check=True, stdout=null)


def inflaters() -> dict[str, str]:
    usable = {}
    for name, setup in INFLATERS.items():
        probe = subprocess.run([sys.executable, "-c", setup], capture_output=True)
        if probe.returncode == 0:
            usable[name] = setup
    return usable


def inflate(setup: str, wheel: Path) -> None:
    subprocess.run([sys.executable, "-c", FLOOR.format(setup=setup), str(wheel)], check=True)


def main() -> None:
    wheels = [Path(a) for a in sys.argv[1:]] or [fetch(*w) for w in WHEELS]
    engines = inflaters()
    floors = ["unzip", *engines] if shutil.which("unzip") else list(engines)
    print(f"{os.cpu_count()} cores; floors: {', '.join(floors)}")
    header = (
        f"{'wheel':<44} {'MB':>5} {'ours':>6} {'auditw.':>8} "
        + " ".join(f"{f:>10}" for f in floors)
        + f" {'aw/ours':>8} {'ours/best':>9}"
    )
    print(header)
    for wheel in wheels:
        t_ours = best_of(3, partial(ours, wheel))
        t_aw = best_of(1, partial(auditwheel, wheel))
        t_floor = {}
        if "unzip" in floors:
            t_floor["unzip"] = best_of(3, partial(unzip, wheel))
        for name, setup in engines.items():
            t_floor[name] = best_of(3, partial(inflate, setup, wheel))
        best = min(t for name, t in t_floor.items() if name != "unzip")
        print(
            f"{wheel.name[:44]:<44} {wheel.stat().st_size / 1e6:5.0f} {t_ours:6.2f} "
            f"{t_aw:8.2f} "
            + " ".join(f"{t_floor[f]:10.2f}" for f in floors)
            + f" {t_aw / t_ours:7.1f}x {t_ours / best:8.2f}x"
        )


if __name__ == "__main__":
    main()
