"""``manylinux-nix convert`` and ``overrides``: another tool's lock in, our lock or
the facts its Nix overrides need out."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..index.urls import DEFAULT_INDEX, index_key
from ..progress import Progress
from .common import add_index_options, add_target_options, http_client, targets_of
from .lock import tell_unknown

if TYPE_CHECKING:
    from ..lock.lockformats.selection import Selection
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    for name, helptext, description in (
        (
            "convert",
            "our lock from uv.lock, pylock.toml, poetry.lock, Pipfile.lock, requirements",
            "Pick each locked package's wheel for every target and write a manylinux-nix lock.",
        ),
        (
            "overrides",
            "native-dependency facts for uv2nix / poetry2nix overrides",
            "Inspect every locked Linux wheel and write the facts that uv2nixOverrides and "
            "poetry2nixOverrides turn into buildInputs, ignored driver libraries and search paths.",
        ),
    ):
        conv = sub.add_parser(name, parents=parents, help=helptext, description=description)
        conv.add_argument(
            "lockfile",
            metavar="LOCKFILE",
            help="uv.lock, pylock.toml, poetry.lock, Pipfile.lock or requirements.txt",
        )
        conv.add_argument(
            "-o",
            "--output",
            default="wheels.lock.json" if name == "convert" else "native-deps.json",
            metavar="FILE",
            help="file to write atomically, - for stdout",
        )
        conv.add_argument(
            "--allow-sdist",
            action="store_true",
            help="list packages without a wheel for a target instead of failing",
        )
        if name == "convert":
            conv.add_argument(
                "--no-inspect", action="store_true", help="do not download and inspect Linux wheels"
            )
        conv.add_argument(
            "--refresh-index",
            action="store_true",
            help="check the lock's URLs and hashes against the index too (by default a lock "
            "that has them needs no index)",
        )
        add_selection_options(conv)
        add_target_options(conv)
        add_index_options(conv)
        conv.add_argument(
            "--default-index",
            metavar="URL",
            help="the index for packages the lock names none for, in place of PyPI (as uv's "
            "--default-index); --index-url instead asks one index for every package",
        )
        conv.set_defaults(run=run)


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "what is installed (uv.lock, poetry.lock, pdm.lock)",
        "uv's flags with uv's meaning, and poetry's and pdm's names for the same. Without "
        "them: the runtime dependencies of the (root) project only, as `uv export "
        "--no-default-groups` (and uv2nix's deps.default), `poetry install --only main` or "
        "`pdm sync --prod`; no dependency group, not even dev. A poetry.lock is read with the "
        "project's pyproject.toml beside it (a pdm.lock too, where it has one).",
    )

    def names(flags: list[str], dest: str, helptext: str) -> None:
        group.add_argument(
            *flags, dest=dest, action="append", default=[], metavar="NAME", help=helptext
        )

    names(
        ["--extra", "--extras", "-E"],
        "extras",
        "include this extra (again, or comma- or space-separated, for more)",
    )
    group.add_argument("--all-extras", action="store_true", help="include every extra")
    names(["--no-extra"], "no_extras", "leave this extra out of --all-extras")
    names(
        ["--group", "--with", "-G"],
        "groups",
        "include this dependency group (pdm: or extra; `-G :all` every one of both)",
    )
    group.add_argument("--all-groups", action="store_true", help="include every group")
    names(
        ["--only-group", "--only"],
        "only_groups",
        "only this group, not the project's own "
        "dependencies (poetry's `--only main` is the default)",
    )
    names(
        ["--without", "--no-group"],
        "without",
        "leave this group out, whatever else names it (poetry's and pdm's --without, uv's "
        "--no-group)",
    )
    group.add_argument(
        "--no-default",
        action="store_true",
        help="pdm's: leave out the project's own dependencies (its default group)",
    )
    group.add_argument(
        "--prod",
        action="store_true",
        help="pdm's: no dependency group unless named; the default here already",
    )
    names(["--package"], "packages", "this workspace member instead of the root project")
    group.add_argument("--all-packages", action="store_true", help="every workspace member")


def selection_of(args: argparse.Namespace) -> Selection:
    from ..lock.lockformats.selection import Selection

    def split(values: list[str]) -> list[str]:
        # poetry's `--with docs,test` and `--extras "a b"`
        return [name for value in values for name in re.split(r"[\s,]+", value) if name]

    only = split(args.only_groups)
    return Selection.of(
        extras=split(args.extras),
        all_extras=args.all_extras,
        no_extras=split(args.no_extras),
        groups=split(args.groups),
        all_groups=args.all_groups,
        # `--only main` is poetry's name for the default
        only_groups=[] if only == ["main"] else only,
        packages=split(args.packages),
        all_packages=args.all_packages,
        without=split(args.without),
        no_default=args.no_default,
    )


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..index.indexes import Index
    from ..index.metadata import MetadataSource
    from ..lock import lockfile
    from ..lock.convert import Converter
    from ..lock.locker import Locker
    from ..lock.lockformats import read_lock
    from ..wheelfile import file_sha256

    source = read_lock(Path(args.lockfile))
    selection = selection_of(args)
    client = http_client(args, progress)
    default = index_key(
        args.index_url
        or args.default_index
        or source.default_index
        or (source.indexes[0] if source.indexes else DEFAULT_INDEX)
    )
    urls = {index_key(u) for u in [default, *(p.index for p in source.packages if p.index)]}
    if not args.index_url and source.searches_every_index:
        # Packages that name no index (a requirements file's, a pdm.lock's) are looked
        # for on each index the lock names (--index-url and every --extra-index-url; each
        # [[tool.pdm.source]]).
        urls |= {index_key(u) for u in source.indexes}
    indexes = {u: Index.open(client, u, list(args.extra_index_url)) for u in urls}
    for index in indexes.values():
        index.for_lock = True
    converter = Converter(
        source,
        indexes,
        default,
        MetadataSource(client),
        allow_sdist=args.allow_sdist,
        on_progress=progress,
        override_index=args.index_url is not None,
        refresh_index=args.refresh_index,
        selection=selection,
    )
    locker = Locker(client, indexes[default], progress)
    inspect = args.command == "overrides" or not args.no_inspect
    targets = {}
    pinned = [(target, converter.pins(target)) for target in sorted(targets_of(args))]
    if inspect:
        # Every target's wheels in one pool: downloads overlap across targets too.
        locker.scans([p for target, pins in pinned if target.os == "linux" for p in pins])
    for target, pins in pinned:
        entry = locker.target_entry(target, pins, inspect=inspect, allowed_hashes={})
        if converter.sdist_only[target.key]:
            entry["sdist_only"] = [s.as_dict() for s in converter.sdist_only[target.key]]
        targets[target.key] = entry
    progress.done()
    source_sha256 = file_sha256(Path(args.lockfile))
    options = {
        "converted_from": source.format,
        "source_sha256": source_sha256,
        "allow_sdist": args.allow_sdist,
        "inspect": inspect,
        "selection": selection.as_dict(),
    }
    indexes_used = sorted(i.urls[0] for i in indexes.values())
    if args.command == "overrides":
        doc = lockfile.facts_document(source.format, source_sha256, indexes_used, targets)
    else:
        doc = lockfile.lock_document([], indexes_used, options, targets)
    lockfile.write(doc, args.output)
    if not args.quiet:
        for key, t in targets.items():
            print(
                f"{key}: {len(t['packages'])} wheels"
                + (f", {len(t['sdist_only'])} without a wheel" if "sdist_only" in t else ""),
                file=sys.stderr,
            )
        where = "stdout" if args.output == "-" else args.output
        print(
            f"converted {source.format} for {len(targets)} target(s) into {where}", file=sys.stderr
        )
        tell_unknown(targets)
    return 0
