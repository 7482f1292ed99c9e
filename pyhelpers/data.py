"""Access to the JSON data files shared with the Nix side (``pyhelpers/data/``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """Parse ``pyhelpers/data/<name>.json``; cached because the files never change at run time."""
    text = resources.files("pyhelpers").joinpath("data", f"{name}.json").read_text("utf-8")
    return json.loads(text)
