"""Download the real wheels some tests serve from a local index, once, with pip.

The list, with each file's sha256, is pinned in ``real-wheels.json``; a file whose bytes
differ is refused. Tests then run offline. Usage: ``python tests/fetch_real_wheels.py``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / ".real-wheels"
LIST = HERE / "real-wheels.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def missing() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = json.loads(LIST.read_text())
    return [
        e
        for e in entries
        if not (TARGET / e["filename"]).is_file() or sha256(TARGET / e["filename"]) != e["sha256"]
    ]


def fetch(entry: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            tmp,
            "--python-version",
            entry["python"],
            "--implementation",
            "cp",
            entry["requirement"],
        ]
        if entry["platform"] != "any":
            cmd += ["--platform", entry["platform"], "--abi", entry["abi"]]
        subprocess.run(cmd, check=True)
        got = Path(tmp) / entry["filename"]
        if not got.is_file():
            raise SystemExit(
                f"pip did not fetch {entry['filename']}: got {sorted(Path(tmp).iterdir())}"
            )
        if sha256(got) != entry["sha256"]:
            raise SystemExit(
                f"{entry['filename']}: sha256 differs from real-wheels.json; refusing it"
            )
        TARGET.mkdir(exist_ok=True)
        got.replace(TARGET / entry["filename"])


def main() -> None:
    todo = missing()
    for entry in todo:
        fetch(entry)
    print(f"real wheels: {len(todo)} fetched, all in {TARGET.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
