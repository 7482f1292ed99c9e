"""Run the CLI in-process for tests: exit code, stdout and stderr."""

from __future__ import annotations

from collections.abc import Callable

Run = Callable[..., tuple[int, str, str]]
