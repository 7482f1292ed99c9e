"""Print pip constraints that pin every dependency of pyproject.toml to its lower bound:
CI runs the suite again against exactly these, the oldest versions the code claims to
support (and that nixpkgs releases may ship)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement


def floors(pyproject: Path) -> list[str]:
    pins = []
    for text in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        requirement = Requirement(text)
        lows = [s.version for s in requirement.specifier if s.operator == ">="]
        if len(lows) != 1:
            raise SystemExit(f"{text}: give exactly one >= lower bound")
        pins.append(f"{requirement.name}=={lows[0]}")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    sys.stdout.write("".join(f"{pin}\n" for pin in floors(root / "pyproject.toml")))
