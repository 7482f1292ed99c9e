"""Peak memory of ``inspect`` on a wheel with an ELF member over 1 GB stays under 200 MB:
members above 32 MiB are inflated once into a temporary file, not into memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64

pytestmark = needs_x86_64
GIB = 1 << 30


def test_inspect_of_a_1gb_member_stays_under_200_mb(tmp_path: Path) -> None:
    so = compile_so(
        tmp_path / "libbig.so", PLAIN_LIBRARY, soname="libbig.so", add_needed=("libstdc++.so.6",)
    )
    whl = tmp_path / "big-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("big/libbig.so", "w", force_zip64=True) as member:
            member.write(so.read_bytes())
            # Padding after the section headers: a valid ELF file of 1 GiB and more.
            block = b"\0" * (16 << 20)
            for _ in range(GIB // len(block) + 1):
                member.write(block)
        zf.writestr("big/__init__.py", "")
    probe = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(done.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "print(done.stdout)"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            sys.executable,
            "-m",
            "pyhelpers.cli",
            "inspect",
            "--json",
            str(whl),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    code, peak_kib, report = done.stdout.split("\n", 2)
    assert code == "0", done.stdout
    assert json.loads(report)["external"][0]["soname"] == "libstdc++.so.6"
    assert int(peak_kib) < 200 * 1024, f"peak RSS {int(peak_kib) // 1024} MiB"
