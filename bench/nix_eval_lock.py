"""Benchmark: Nix evaluation of a 300-package lock through mkWheelSet (over the stand-in
package set), against the floor of merely reading the same lock with builtins.fromJSON,
in the same run.

    python bench/nix_eval_lock.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COUNT = 300
HASH = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def lock() -> dict[str, object]:
    packages = {}
    for i in range(COUNT):
        name = f"p{i:03d}"
        packages[name] = {
            "name": name,
            "version": "1.0",
            "filename": f"{name}-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "url": f"https://example.invalid/{name}-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "hash": HASH,
            "dependencies": [f"p{i + 1:03d}"] if i + 1 < COUNT else [],
            "facts": {
                "external": [
                    {"soname": "libstdc++.so.6", "kind": "library", "wanted_by": [f"{name}/x.so"]},
                    {"soname": "libz.so.1", "kind": "library", "wanted_by": [f"{name}/x.so"]},
                    {"soname": "libcuda.so.1", "kind": "driver", "wanted_by": [f"{name}/x.so"]},
                ],
                "modules": [name],
            },
        }
    return {"version": 1, "targets": {"x86_64-linux/3.11": {"packages": packages}}}


def timed(expr: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--expr", expr],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "wheels.lock.json")
        path.write_text(json.dumps(lock()))
        wheelset = (
            f"import ./tests/nix/wheelset.nix {{ lockFile = {path}; "
            f'hostPython = "{sys.executable}"; patchelf = "/bin/true"; }}'
        )
        full = min(
            timed(
                f"let s = {wheelset}; in map (n: s.${{n}}.drvPath) "
                f'(builtins.filter (n: builtins.match "p[0-9]+" n != null) '
                f"(builtins.attrNames s))"
            )
            for _ in range(3)
        )
        floor = min(
            timed(
                f"builtins.length (builtins.attrNames (builtins.fromJSON "
                f'(builtins.readFile {path})).targets."x86_64-linux/3.11".packages)'
            )
            for _ in range(3)
        )
    print(
        f"{COUNT}-package lock: every drvPath of mkWheelSet {full:.2f} s, fromJSON floor "
        f"{floor:.2f} s, ratio {full / floor:.1f}x"
    )


if __name__ == "__main__":
    main()
