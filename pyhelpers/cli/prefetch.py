"""``manylinux-nix prefetch``: one wheel's URL and SRI hash per target, like nix-prefetch-url."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from ..progress import Progress
from .common import add_index_options, add_target_options, http_client, requirement, targets_of

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    prefetch = sub.add_parser(
        "prefetch",
        parents=parents,
        help="URL and SRI hash of one wheel",
        description="Print the URL, file name and SRI hash of the wheel "
        "each target would use, like nix-prefetch-url.",
    )
    prefetch.add_argument(
        "requirement",
        metavar="REQUIREMENT",
        help="numpy==2.1.0, or a range (numpy>=2, numpy): the newest matching release",
    )
    prefetch.add_argument("--pre", action="store_true", help="allow pre-releases")
    prefetch.add_argument(
        "--hash-only", action="store_true", help="print only the SRI hash, one line per target"
    )
    prefetch.add_argument(
        "--add",
        action="store_true",
        help="also add the wheel to the Nix store (nix-store --add-fixed), as "
        "nix-prefetch-url does",
    )
    add_target_options(prefetch)
    add_index_options(prefetch)
    prefetch.set_defaults(run=run)


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..index.indexes import Index
    from ..lock.locker import Locker, LockRequest

    req = requirement(args.requirement)
    client = http_client(args, progress)
    index = Index.open(client, args.index_url, args.extra_index_url)
    request = LockRequest([req], targets_of(args), no_deps=True, pre=args.pre)
    locker = Locker(client, index, progress)
    results: list[dict[str, Any]] = []
    for target in request.targets:
        for pin in locker.pins(request, target):
            entry = locker.entry(pin, None)
            results.append(
                {
                    "target": target.key,
                    **{
                        k: entry[k]
                        for k in ("name", "version", "filename", "url", "hash", "sha256", "size")
                    },
                }
            )
            if args.add:
                from ..index.download import fetch_file

                # With the entry's sha256, a file the entry had to download (an index
                # without hashes) is taken from the cache, not fetched again.
                known = dataclasses.replace(pin.file, sha256=entry["sha256"])
                path, _ = fetch_file(client, known, progress)
                results[-1]["store_path"] = _add_to_store(path)
    progress.done()
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    elif args.hash_only:
        for r in results:
            print(r["hash"])
    else:
        for r in results:
            print(f"{r['target']}: {r['filename']}\n  url:  {r['url']}\n  hash: {r['hash']}")
            if "store_path" in r:
                print(f"  path: {r['store_path']}")
    return 0


def _add_to_store(path: Path) -> str:
    """The wheel as a fixed-output store path: the one fetchurl/fetchPypiWheel of the
    same name and hash produce, so a later build finds it without downloading."""
    import shutil
    import subprocess

    nix_store = shutil.which("nix-store")
    if nix_store is None:
        raise UserError("--add: nix-store is not on PATH; install Nix, or leave --add out")
    done = subprocess.run(
        [nix_store, "--add-fixed", "sha256", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise UserError(f"nix-store --add-fixed {path.name} failed: {last}")
    return done.stdout.strip()
