"""What several commands share: target and index options, their checks, the targets
and the HTTP client they make, and how a problem many files share is told."""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError, UserError, printable
from ..index.urls import DEFAULT_INDEX
from ..progress import Progress
from ..target.target import SYSTEMS, Target, default_release, make_target, releases

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from ..index.http import HttpClient

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]


def host_system() -> str:
    """The default --system: this machine's, as ``builtins.currentSystem`` would say."""
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = f"{machine}-{platform.system().lower()}"
    return system if system in SYSTEMS else "x86_64-linux"


def add_target_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("target")
    g.add_argument(
        "--system",
        action="append",
        metavar="SYSTEM",
        help=f"Nix system, repeatable (default: this machine's, {host_system()}); "
        "append -musl or pass --musl for musl",
    )
    g.add_argument(
        "--python",
        action="append",
        metavar="X.Y[t]",
        help="Python version, repeatable; 't' for free-threaded, e.g. 3.13t (default: from "
        "./.python-version or ./pyproject.toml's requires-python, else 3.13)",
    )
    g.add_argument(
        "--nixpkgs",
        metavar="RELEASE",
        choices=sorted(releases()),
        help=f"nixpkgs release whose glibc and gcc the target has (default: {default_release()})",
    )
    g.add_argument("--glibc", metavar="X.Y", help="target glibc version (overrides --nixpkgs)")
    g.add_argument("--musl", action="store_true", help="Linux targets use musl (musllinux wheels)")
    g.add_argument("--macos", metavar="X.Y", help="macOS deployment target for darwin systems")


def add_index_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("index")
    g.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        help=f"Simple API index (default: {DEFAULT_INDEX}); credentials in the URL are "
        "used, never written",
    )
    g.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="more indexes, asked in order when earlier ones lack a project",
    )
    g.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="read timeout per request; a request with its retries gets 4x this (default: 60)",
    )
    g.add_argument(
        "--retries",
        type=_retries,
        default=5,
        help="retries on 429/5xx/connection errors, 0 to 20 (default: 5)",
    )
    g.add_argument(
        "--offline",
        action="store_true",
        default=os.environ.get("MANYLINUX_NIX_OFFLINE", "") not in ("", "0"),
        help="use only the cache, never the network (also MANYLINUX_NIX_OFFLINE=1)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 < value <= 3600):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds from 0.1 to 3600")
    return max(value, 0.1)


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 20:
        raise argparse.ArgumentTypeError(f"{text}: give 0 to 20 retries")
    return value


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        metavar="N",
        help="files worked on at once (default: one per core)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 1 to 1024")
    return value


def targets_of(args: argparse.Namespace) -> list[Target]:
    systems = args.system or [host_system()]
    pythons = args.python or [default_python(Path.cwd(), quiet=args.quiet)]
    return [
        make_target(s, py, nixpkgs=args.nixpkgs, glibc=args.glibc, musl=args.musl, macos=args.macos)
        for s in systems
        for py in pythons
    ]


def default_python(folder: Path, *, quiet: bool = False) -> str:
    """The --python a project in ``folder`` asks for: its .python-version, else the
    newest version its pyproject.toml's requires-python allows (3.13 first), else 3.13."""
    python, why = _project_python(folder)
    if why and not quiet:
        print(f"manylinux-nix: --python {python} (from {why})", file=sys.stderr)
    return python


def _project_python(folder: Path) -> tuple[str, str | None]:
    pinned = folder / ".python-version"
    if pinned.is_file():
        for line in pinned.read_text(errors="replace").splitlines():
            # "3.12", "3.12.4", "cpython-3.12", "3.13t": the minor version (and the t).
            m = re.fullmatch(r"\s*(?:cpython-?)?(3\.\d+)(?:\.\d+)?(t?)\S*\s*", line)
            if m:
                return m[1] + m[2], ".python-version"
    project = folder / "pyproject.toml"
    if project.is_file():
        import tomllib

        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            text = tomllib.loads(project.read_text(errors="replace"))
            spec = SpecifierSet(str(text.get("project", {}).get("requires-python", "")))
        except (tomllib.TOMLDecodeError, InvalidSpecifier, AttributeError):
            return "3.13", None
        if str(spec):
            for candidate in ("3.13", "3.14", "3.12", "3.11", "3.10", "3.9"):
                if spec.contains(candidate + ".0", prereleases=True):
                    return candidate, f"requires-python {spec} in pyproject.toml"
    return "3.13", None


def requirement(text: str) -> Requirement:
    from ..resolve.requirements_txt import parse_requirement

    try:
        return parse_requirement(text, "command line")
    except UserError as exc:
        raise UsageError(str(exc)) from None


def http_client(args: argparse.Namespace, progress: Progress) -> HttpClient:
    from ..index.http import HttpClient

    return HttpClient(
        timeout=(min(10.0, args.timeout), args.timeout),
        retries=args.retries,
        offline=args.offline,
        on_retry=None if args.quiet else lambda line: progress.note(f"manylinux-nix: {line}"),
    )


def grouped(what: str, files: list[str], advice: str) -> str:
    """One line for a problem many files share: the count, the first file, the fix."""
    count = f"{len(files)} files" if len(files) != 1 else "1 file"
    return printable(f"{what}: {count} (first {files[0]}); {advice}")
