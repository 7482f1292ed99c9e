"""``manylinux-nix verify``: will every ELF file under a path load, as the loader sees it?"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import printable
from ..progress import Progress
from .common import add_jobs_option, grouped

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    ver = sub.add_parser(
        "verify",
        parents=parents,
        help="check that every ELF file under a path will load",
        description="Resolve every DT_NEEDED the way the loader will (RUNPATH/RPATH with $ORIGIN, "
        "then the interpreter's glibc, never the machine's default folders) and check every "
        "versioned symbol need against the library found. Exit 1 with one line per problem.",
    )
    ver.add_argument(
        "path", metavar="PATH", help="site-packages, a venv, an installed wheel folder"
    )
    ver.add_argument(
        "--glibc-dir",
        metavar="DIR",
        help="the glibc folder of the interpreter that will load the files "
        "(default: $MANYLINUX_NIX_GLIBC_DIR, else the one this Python runs on)",
    )
    add_jobs_option(ver)
    ver.set_defaults(run=run)


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..runtime.verify import interpreter_glibc_dir, verify

    given = args.glibc_dir or os.environ.get("MANYLINUX_NIX_GLIBC_DIR")
    glibc = Path(given) if given else interpreter_glibc_dir()
    report = verify(Path(args.path), glibc, jobs=args.jobs)
    if (Path(args.path) / "pyvenv.cfg").is_file():
        from ..inspect.sonames import soname_map
        from ..runtime.venvloads import failing

        for said in failing(Path(args.path), soname_map()):
            report.problem(
                Path(args.path),
                "a library loaded by name from Python resolves nowhere",
                "run fix-venv",
                detail=f"runtime load {said} would fail",
            )
    if args.json:
        print(
            json.dumps(
                {
                    "files": report.files,
                    "glibc_dir": str(glibc),
                    "problems": report.problems,
                    "grouped": [
                        {"problem": g.what, "files": g.files, "advice": g.advice}
                        for g in report.groups.values()
                    ],
                    "warnings": report.warnings,
                    "deferred": report.deferred,
                    "not_glibc": report.not_glibc,
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        if report.not_glibc and not args.quiet:
            shown = ", ".join(report.not_glibc[:3])
            print(
                f"manylinux-nix: verify: note: {printable(str(glibc))} also holds "
                f"{len(report.not_glibc)} libraries that are not glibc's ({printable(shown)}, "
                "...): a distribution's folder, not Nix's glibc; only glibc's own libraries "
                "were taken from it, as on NixOS",
                file=sys.stderr,
            )
        if args.verbose:
            for line in report.problems:
                print(f"manylinux-nix: verify: {printable(line)}", file=sys.stderr)
        else:
            for group in report.groups.values():
                print(
                    f"manylinux-nix: verify: {grouped(group.what, group.files, group.advice)}",
                    file=sys.stderr,
                )
        if args.verbose:
            for line in report.warnings + report.deferred:
                print(f"manylinux-nix: verify: note: {printable(line)}", file=sys.stderr)
        if not args.quiet:
            state = "ok" if not report.problems else f"{len(report.problems)} problems"
            more = " (-v lists every file)" if report.problems and not args.verbose else ""
            print(
                f"verified {report.files} ELF files against {glibc}: {state}{more}"
                + (f", {len(report.warnings)} dlopen warnings" if report.warnings else ""),
                file=sys.stderr,
            )
    return 1 if report.problems else 0
