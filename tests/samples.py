"""Real lock files from real projects (copied from the team's shared samples, so that a
clone runs its tests alone)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
