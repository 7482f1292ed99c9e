"""``manylinux-nix lock``: requirements in, a lock for every target out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError, printable
from ..progress import Progress
from .common import add_index_options, add_target_options, http_client, requirement, targets_of

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    lock = sub.add_parser(
        "lock",
        parents=parents,
        help="resolve and lock wheels for targets",
        description="Resolve requirements per target and write a lock file.",
    )
    lock.add_argument(
        "requirements",
        nargs="*",
        metavar="REQUIREMENT",
        help="PEP 508 requirements, e.g. 'numpy==2.4.6' scipy",
    )
    lock.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="pip requirements file (hashes, -r includes, index options honoured)",
    )
    lock.add_argument(
        "-o",
        "--output",
        default="wheels.lock.json",
        metavar="FILE",
        help="lock file to write atomically, - for stdout (default: wheels.lock.json)",
    )
    lock.add_argument("--no-deps", action="store_true", help="lock only the named packages")
    lock.add_argument("--pre", action="store_true", help="allow pre-releases")
    lock.add_argument(
        "--no-inspect",
        action="store_true",
        help="do not download and inspect Linux wheels (no 'facts' in the lock)",
    )
    lock.add_argument(
        "--allow-sdist",
        action="store_true",
        help="list a package that has only a source distribution for a target under "
        "'sdist_only' (without its dependencies) instead of failing",
    )
    add_target_options(lock)
    add_index_options(lock)
    lock.set_defaults(run=run)


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..index.indexes import Index
    from ..lock import lockfile
    from ..lock.locker import Locker, LockRequest, document
    from ..resolve import requirements_txt

    reqs = [requirement(r) for r in args.requirements]
    index_url, extra = args.index_url, list(args.extra_index_url)
    hashes: dict[str, frozenset[str]] = {}
    pre = args.pre
    for path in args.requirement:
        parsed = requirements_txt.parse(Path(path))
        reqs += parsed.requirements
        index_url = index_url or parsed.index_url
        extra += parsed.extra_index_urls
        pre = pre or parsed.pre
        hashes.update({k: frozenset(v) for k, v in parsed.hashes.items()})
    if not reqs:
        raise UsageError("nothing to lock: name requirements or pass -r requirements.txt")
    client = http_client(args, progress)
    index = Index.open(client, index_url, extra)
    request = LockRequest(
        reqs,
        targets_of(args),
        no_deps=args.no_deps,
        pre=pre,
        allowed_hashes=hashes,
        inspect=not args.no_inspect,
        allow_sdist=args.allow_sdist,
    )
    targets = Locker(client, index, progress).lock(request)
    progress.done()
    doc = document(request, targets, index.urls)
    lockfile.write(doc, args.output)
    summary = {
        "output": args.output,
        "targets": {
            k: {n: p["version"] for n, p in t["packages"].items()} for k, t in targets.items()
        },
        "sdist_only": {
            k: {s["name"]: s["version"] for s in t["sdist_only"]}
            for k, t in targets.items()
            if "sdist_only" in t
        },
    }
    if args.json and args.output != "-":
        print(json.dumps(summary, indent=2, sort_keys=True))
    elif not args.quiet:
        for key, t in targets.items():
            names = ", ".join(f"{n} {p['version']}" for n, p in t["packages"].items())
            print(f"{key}: {names}", file=sys.stderr)
            for s in t.get("sdist_only", ()):
                print(
                    f"  {s['name']} {s['version']}: no wheel, only {s['filename']}; build it "
                    "in Nix and add what it depends on yourself",
                    file=sys.stderr,
                )
        where = "stdout" if args.output == "-" else args.output
        print(f"locked {len(targets)} target(s) into {where}", file=sys.stderr)
        tell_unknown(targets)
    return 0


def tell_unknown(targets: dict[str, dict[str, Any]]) -> None:
    from ..lock.lockfile import unknown_sonames

    lines = unknown_sonames(targets)
    if lines:
        print(
            f"{len(lines)} package(s) need libraries the soname map does not know; Nix will ask "
            "for each in sonameOverrides (a package, or null) or ignoreMissing:",
            file=sys.stderr,
        )
        for line in lines:
            print(f"  {printable(line)}", file=sys.stderr)
