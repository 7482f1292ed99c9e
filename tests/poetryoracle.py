"""poetry as the oracle for which packages a poetry.lock installs: poetry's own `install
--dry-run --no-root`, run in this process with poetry's MockEnv standing for the target
(its marker environment is the target's), so one machine asks for every target. It
reads only the lock and the project: no network."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from packaging.utils import canonicalize_name

_INSTALLING = re.compile(r"Installing (\S+) \(([^)]+)\)")
_TAG = re.compile(r"</?[a-z0-9_]*>")


def poetry_available() -> bool:
    try:
        import poetry.console.application  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _inside(project: Path) -> Iterator[None]:
    """poetry finds its project by the working directory and keeps its cache and config
    under HOME; both are put back afterwards."""
    keys = ("HOME", "POETRY_CACHE_DIR", "POETRY_INSTALLER_RE_RESOLVE")
    saved = os.getcwd(), {k: os.environ.get(k) for k in keys}
    os.chdir(project)
    os.environ["HOME"] = str(project)
    os.environ["POETRY_CACHE_DIR"] = str(project / ".poetry-cache")
    # poetry's default since 2.3: a 2.1 lock is installed by its groups and markers, not
    # resolved again (what we do); said here so a user's setting cannot change it.
    os.environ["POETRY_INSTALLER_RE_RESOLVE"] = "false"
    try:
        yield
    finally:
        os.chdir(saved[0])
        for key, value in saved[1].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def adopt(project: Path, python: str, main: list[str]) -> None:
    """Give a lock committed without its project (the demo sample) a pyproject.toml that
    depends on its ``main`` packages, and the lock the content hash poetry computes for
    it, so poetry takes it as fresh. A 2.1 lock is installed by its groups and markers:
    the project's own dependencies only make the main group exist."""
    from poetry.factory import Factory

    (project / "pyproject.toml").write_text(
        '[project]\nname = "adopted"\nversion = "0"\n'
        f"requires-python = {json.dumps(python)}\ndependencies = {json.dumps(main)}\n\n"
        "[tool.poetry]\npackage-mode = false\n"
    )
    with _inside(project):
        content_hash = Factory().create_poetry(project).locker._get_content_hash()
    lock = project / "poetry.lock"
    fresh = f'content-hash = "{content_hash}"'
    lock.write_text(re.sub(r'(?m)^content-hash = ".*"$', fresh, lock.read_text()))


def install(project: Path, flags: list[str], env: dict[str, str]) -> set[tuple[str, str]]:
    """(name, version) of every package `poetry install --dry-run --no-root <flags>`
    installs for the target whose marker environment is ``env``."""
    from cleo.testers.command_tester import CommandTester
    from poetry.console.application import Application
    from poetry.utils.env import MockEnv

    version = tuple(int(part) for part in env["python_full_version"].split(".")[:3])
    empty = project / ".no-site-packages"
    empty.mkdir(exist_ok=True)
    with _inside(project):
        app = Application()
        command = app.find("install")
        command.set_env(  # type: ignore[attr-defined]
            MockEnv(
                (version[0], version[1], version[2]),
                platform=env["sys_platform"],
                platform_machine=env["platform_machine"],
                os_name=env["os_name"],
                marker_env=env,
                # Nothing installed yet: else what this test process has counts as done.
                sys_path=[str(empty)],
            )
        )
        tester = CommandTester(command)
        Application.configure_installer_for_command(command, tester.io)  # type: ignore[arg-type]
        code = tester.execute(" ".join(["--dry-run", "--no-root", *flags]))
        out, err = tester.io.fetch_output(), tester.io.fetch_error()
    if code != 0:
        lines = _TAG.sub("", err).strip().splitlines()
        raise OracleError(lines[-1] if lines else f"exit {code}")
    installed: set[tuple[str, str]] = set()
    for line in _TAG.sub("", out).splitlines():
        found = _INSTALLING.search(line)
        if found and "Skipped" not in line:
            installed.add((canonicalize_name(found.group(1)), found.group(2)))
    return installed


class OracleError(Exception):
    pass
