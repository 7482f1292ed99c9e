"""``manylinux-nix cache info|prune``: what the download cache holds, and emptying it."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING

from ..progress import Progress

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    cache = sub.add_parser(
        "cache",
        parents=parents,
        help="show or prune the download cache",
        description="The cache under $XDG_CACHE_HOME/manylinux-nix: what it holds, and "
        "removing the downloaded wheels and index pages (what can be fetched again).",
    )
    cache.add_argument("action", choices=["info", "prune"], help="info, or prune")
    cache.add_argument(
        "--older-than",
        type=_days,
        default=0.0,
        metavar="DAYS",
        help="prune only entries unchanged for this many days (default: 0, all)",
    )
    cache.add_argument(
        "--all",
        action="store_true",
        help="prune inspection results and metadata too, not only wheels and pages",
    )
    cache.set_defaults(run=run)


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of days, 0 or more")
    return value


def run(args: argparse.Namespace, progress: Progress) -> int:
    from .. import cache
    from ..progress import size_text

    if args.action == "info":
        used = cache.usage()
        if args.json:
            print(
                json.dumps(
                    {
                        "root": str(cache.cache_root()),
                        "kinds": {k: {"entries": n, "bytes": b} for k, (n, b) in used.items()},
                    },
                    indent=2,
                )
            )
            return 0
        print(f"{cache.cache_root()}")
        for kind, (count, size) in used.items():
            print(f"  {kind:<9} {count:>6} entries {size_text(size):>10}  {cache.KINDS[kind]}")
        total = sum(b for _, b in used.values())
        print(f"  total {size_text(total)}; `manylinux-nix cache prune` removes wheels and pages")
        return 0
    kinds = tuple(cache.KINDS) if args.all else cache.PRUNED_BY_DEFAULT
    count, size = cache.prune(kinds, args.older_than)
    if args.json:
        print(json.dumps({"removed": count, "bytes": size, "kinds": list(kinds)}))
    elif not args.quiet:
        print(
            f"removed {count} entries ({size_text(size)}) from {', '.join(kinds)}", file=sys.stderr
        )
    return 0
