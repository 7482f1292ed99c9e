"""``manylinux-nix fix-venv``: make a pip/uv venv's native code load on NixOS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import printable
from ..progress import Progress
from .common import add_jobs_option, grouped

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    fix = sub.add_parser(
        "fix-venv",
        parents=parents,
        help="make a pip/uv venv's native code load on NixOS",
        description="Set the RPATH of every ELF file in a venv to the folders holding what it "
        "needs: its own $ORIGIN entries, other wheels in the venv, --lib-dir folders, or the "
        "nixpkgs attributes of the soname map (--nix). Running it again changes nothing.",
    )
    fix.add_argument("venv", metavar="VENV", help="the venv's folder (it has pyvenv.cfg)")
    fix.add_argument(
        "--lib-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of libraries to use, repeatable (e.g. /nix/store/...-zlib/lib)",
    )
    fix.add_argument(
        "--nix",
        action="store_true",
        help="realise the mapped nixpkgs attributes with nix-build '<nixpkgs>' -A ...",
    )
    fix.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if something would not load"
    )
    fix.add_argument("--patchelf", metavar="PATH", help="patchelf to use (default: on PATH)")
    fix.add_argument(
        "--no-runtime-loads",
        action="store_true",
        help="leave out the module that makes libraries the venv's Python code loads by name "
        "(ctypes, cffi, ldconfig) resolve to the files found",
    )
    fix.add_argument(
        "--include-optional",
        action="append",
        default=[],
        metavar="SONAME",
        help="resolve an optional plugin's library too (left out by default), repeatable",
    )
    add_jobs_option(fix)
    fix.add_argument(
        "--memory",
        type=_mebibytes,
        default=1024,
        metavar="MIB",
        help="the most memory patchelf runs may hold at once, in MiB (default: 1024)",
    )
    fix.set_defaults(run=run)


def _mebibytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 16 <= value <= 1 << 20:
        raise argparse.ArgumentTypeError(f"{text!r}: give MiB from 16 to 1048576")
    return value


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..inspect.sonames import soname_map
    from ..runtime.fixvenv import fix_venv

    venv = Path(args.venv)
    result = fix_venv(
        venv,
        [Path(d) for d in args.lib_dir],
        use_nix=args.nix,
        check=args.check,
        patchelf=args.patchelf,
        include_optional=args.include_optional,
        jobs=args.jobs,
        memory_budget=args.memory << 20,
        runtime_loads=not args.no_runtime_loads,
    )
    fixes, loads = result.files, result.loads
    # With --check: what loaded by name would fail now; else: what no file was found for.
    failing = loads.lacking if args.check else []
    smap = soname_map()
    missing = [(f, n) for f in fixes for n in f.missing]
    changed = [f for f in fixes if f.changes]
    # A library some other file needs (and gets, or is told is missing) is not left out:
    # only what nothing but optional plugins needs is named.
    required = {soname for f in fixes for soname in f.required}
    optional: dict[str, str] = {}
    for f in fixes:
        for soname, reason in f.optional:
            if soname not in required:
                optional.setdefault(soname, reason)
    if args.json:
        print(
            json.dumps(
                {
                    "files": len(fixes),
                    "changed" if not args.check else "would_change": [str(f.path) for f in changed],
                    "missing": [
                        {"file": str(f.path), "soname": n, "nix": list(smap.attributes_for(n))}
                        for f, n in missing
                    ],
                    "optional_left_out": [
                        {"soname": n, "reason": r} for n, r in sorted(optional.items())
                    ],
                    "runtime_loads": loads.entries,
                    "runtime_loads_unsupplied": loads.unsupplied,
                    "runtime_loads_failing": failing,
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        by_soname: dict[str, list[str]] = {}
        for f, soname in missing:
            by_soname.setdefault(soname, []).append(str(f.path.relative_to(venv)))
        for soname, files in by_soname.items():
            hint = smap.attributes_for(soname)
            advice = (
                f"nixpkgs {hint[0]}: pass --nix, or --lib-dir with its lib folder"
                if hint
                else "no nixpkgs attribute is known: pass --lib-dir with a folder that has it"
            )
            if args.verbose:
                for shown in files:
                    # A file name may hold a newline: printed escaped, it cannot forge a line.
                    print(
                        f"{printable(shown)}: {printable(soname)} not found ({advice})",
                        file=sys.stderr,
                    )
            else:
                print(grouped(f"{soname} not found", files, advice), file=sys.stderr)
        if optional and not args.quiet:
            print(
                "manylinux-nix: optional libraries left out: "
                + "; ".join(f"{n} ({r})" for n, r in sorted(optional.items()))
                + "; --include-optional SONAME brings one in",
                file=sys.stderr,
            )
        for said in failing:
            print(f"manylinux-nix: runtime load {printable(said)} would fail", file=sys.stderr)
        for said in loads.unsupplied:
            print(
                f"manylinux-nix: loaded by name, no file found: {printable(said)}; pass --lib-dir "
                "with a folder that has it (or --nix)",
                file=sys.stderr,
            )
        if loads.written and not args.quiet:
            print(
                f"manylinux-nix: {len(loads.table.find_library) + len(loads.table.dlopen)} "
                f"names loaded by name now resolve ({loads.written[0].name})",
                file=sys.stderr,
            )
        verb = "would change" if args.check else "changed"
        if not args.quiet:
            print(
                f"{len(fixes)} ELF files, {verb} {len(changed)}, {len(missing)} libraries missing",
                file=sys.stderr,
            )
    return 1 if missing or failing or loads.unsupplied else 0
