"""Benchmark: ``manylinux-nix inspect`` against ``auditwheel show`` and the inflate floor.

All three run on the same wheel files in the same run; results are ratios, so they
carry over between machines. Usage:

    python bench/inspect_vs_auditwheel.py [WHEEL ...]

Without arguments it fetches (once, with pip) the wheels named in WHEELS below.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".wheels"
WHEELS = [
    ("scipy==1.18.1", "3.12", "cp312", "manylinux_2_27_x86_64"),
    ("numpy==2.2.6", "3.11", "cp311", "manylinux2014_x86_64"),
]


def fetch(requirement: str, python: str, abi: str, platform: str) -> Path:
    name = requirement.split("==")[0]
    found = sorted(CACHE.glob(f"{name}-{requirement.split('==')[1]}-{abi}-*.whl"))
    if found:
        return found[0]
    CACHE.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
                    "--abi", abi, "--platform", platform, "--dest", str(CACHE), requirement],
                   check=True)
    return sorted(CACHE.glob(f"{name}-*-{abi}-*.whl"))[0]


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
        subprocess.run([sys.executable, "-m", "pyhelpers.cli", "inspect", "--json", str(wheel)],
                       check=True, capture_output=True, env={"XDG_CACHE_HOME": cache, "PATH": "/usr/bin:/bin"})


def auditwheel(wheel: Path) -> None:
    subprocess.run([sys.executable, "-m", "auditwheel", "show", str(wheel)], check=True,
                   capture_output=True)


def inflate_floor(wheel: Path) -> None:
    if shutil.which("unzip"):
        subprocess.run(["sh", "-c", f"unzip -p '{wheel}' > /dev/null"], check=True)
    else:
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                with zf.open(info) as member:
                    while member.read(1 << 20):
                        pass


def main() -> None:
    wheels = [Path(a) for a in sys.argv[1:]] or [fetch(*w) for w in WHEELS]
    print(f"{'wheel':<60} {'ours s':>7} {'auditwheel s':>12} {'floor s':>7} {'aw/ours':>8} {'ours/floor':>10}")
    for wheel in wheels:
        t_ours = best_of(3, lambda: ours(wheel))
        t_aw = best_of(1, lambda: auditwheel(wheel))
        t_floor = best_of(3, lambda: inflate_floor(wheel))
        print(f"{wheel.name[:60]:<60} {t_ours:7.2f} {t_aw:12.2f} {t_floor:7.2f} "
              f"{t_aw / t_ours:7.1f}x {t_ours / t_floor:9.2f}x")


if __name__ == "__main__":
    main()
