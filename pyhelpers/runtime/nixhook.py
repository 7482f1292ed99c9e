"""What a Nix build of a wheel runs (nixlib/manylinux-hook.sh): record RUNPATHs before
autoPatchelf, restore the wheel's own entries after it, and verify that everything
loads. Standard library and pyelftools only, so no nixpkgs bump of the resolver's or
the HTTP client's dependencies can break a wheel build: ``python -S -m
pyhelpers.nixhook`` with just this package and pyelftools on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError, printable
from . import loadshim
from .runpaths import Change, record, restore
from .verify import verify


def runtime_loads(site: Path, distribution: str, spec: Path) -> int:
    """Write the runtime-loads module of a package from nixlib's runtimeLoadsOf: the
    facts' entries and the path Nix found for each."""
    try:
        given = json.loads(spec.read_text(encoding="utf-8"))
        entries, paths = given["entries"], given["paths"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{spec}: not the runtime loads nixlib writes ({exc})") from None
    table, unsupplied = loadshim.table_for(
        entries, lambda e: paths.get(e.get("soname") or e["name"])
    )
    written = loadshim.write(site, loadshim.module_name(distribution), table)
    for path in written:
        print(f"manylinux-nix: wrote {path.relative_to(site)} ({len(paths)} names loaded by name)")
    for said in unsupplied:
        print(f"manylinux-nix: note: loaded by name, not supplied: {printable(said)}")
    return 0


def _report(changes: list[Change], root: Path, what: str) -> None:
    for change in changes:
        where = change.path.relative_to(root)
        dropped = f" (dropped {':'.join(change.dropped)})" if change.dropped else ""
        print(f"manylinux-nix: {what} {where}: {':'.join(change.new) or '(none)'}{dropped}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyhelpers.nixhook")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="save RUNPATHs, drop entries outside the store")
    rec.add_argument("root", type=Path)
    rec.add_argument("state", type=Path)
    res = sub.add_parser("restore", help="after autoPatchelf: give the wheel's entries back")
    res.add_argument("root", type=Path)
    res.add_argument("state", type=Path)
    res.add_argument("--site-packages", help="site-packages, relative to root")
    res.add_argument("--sibling-site", action="append", default=[], metavar="DIR")
    shim = sub.add_parser("runtime-loads", help="write the module for names loaded by name")
    shim.add_argument("site", type=Path)
    shim.add_argument("--distribution", required=True)
    shim.add_argument("spec", type=Path)
    ver = sub.add_parser("verify", help="every ELF file loads, as the loader will load it")
    ver.add_argument("root", type=Path)
    ver.add_argument("--glibc-dir", type=Path, required=True)
    ver.add_argument("--ignore-missing", action="append", default=[], metavar="GLOB")
    args = parser.parse_args(argv)
    try:
        if args.command == "record":
            _report(record(args.root, args.state), args.root, "RUNPATH before autoPatchelf of")
        elif args.command == "restore":
            changes = restore(
                args.root,
                args.state,
                site_packages=args.site_packages,
                sibling_sites=args.sibling_site,
            )
            _report(changes, args.root, "RUNPATH of")
        elif args.command == "runtime-loads":
            return runtime_loads(args.site, args.distribution, args.spec)
        else:
            report = verify(args.root, args.glibc_dir, ignore_missing=args.ignore_missing)
            for line in report.problems:
                print(f"manylinux-nix: verify: {printable(line)}", file=sys.stderr)
            for line in report.warnings + report.deferred:
                print(f"manylinux-nix: verify: note: {printable(line)}", file=sys.stderr)
            state = "ok" if not report.problems else f"{len(report.problems)} problems"
            print(f"verified {report.files} ELF files against {args.glibc_dir}: {state}")
            return 1 if report.problems else 0
    except UserError as exc:
        print(f"manylinux-nix: error: {printable(str(exc))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
