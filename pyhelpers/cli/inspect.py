"""``manylinux-nix inspect``: what native libraries a wheel needs, and from where."""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..progress import Progress
from .common import add_index_options, add_target_options, http_client, requirement, targets_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..index.http import HttpClient
    from ..index.indexes import Index
    from ..inspect.classify import Provider
    from ..target.target import Target
    from .common import Subcommands


def add_parser(sub: Subcommands, parents: list[argparse.ArgumentParser]) -> None:
    inspect = sub.add_parser(
        "inspect",
        parents=parents,
        help="what native libraries a wheel needs",
        description="Read every ELF file in a wheel and classify each needed library: vendored, "
        "glibc, GPU driver, sibling wheel, nixpkgs attribute, or unknown.",
    )
    inspect.add_argument(
        "sources",
        nargs="+",
        metavar="WHEEL",
        help="a wheel file, an http(s) URL of one, or a requirement such as "
        "'torch==2.9.1' (resolved for the first --system/--python)",
    )
    add_target_options(inspect)
    add_index_options(inspect)
    inspect.set_defaults(run=run)


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..inspect import report as inspection
    from ..inspect.classify import classify

    target = targets_of(args)[0]

    @functools.cache
    def connection() -> tuple[HttpClient, Index]:
        """One client and index for the whole run, made when first needed."""
        from ..index.indexes import Index

        client = http_client(args, progress)
        return client, Index.open(client, args.index_url, args.extra_index_url)

    reports = []
    progress.start(len(args.sources), "wheels inspected")
    for source in args.sources:
        progress(f"inspecting {inspection.describe_source(source)}")
        kind = _source_kind(source)
        if kind == "file":
            path, filename, sha256 = Path(source), Path(source).name, None
        elif kind == "url":
            from ..index.download import fetch_url

            path, filename, sha256 = fetch_url(connection()[0], source, progress)
        else:
            from ..index.download import fetch_file
            from ..lock.locker import Locker, LockRequest

            client, index = connection()
            request = LockRequest([requirement(source)], [target], no_deps=True)
            [pin] = Locker(client, index, progress).pins(request, target)
            path, sha256 = fetch_file(client, pin.file, progress)
            filename = pin.file.filename
        scan = inspection.scan_cached(path, filename, sha256)
        report = classify(scan)
        unknown = [e["soname"] for e in report["external"] if e["kind"] == "unknown"]
        if unknown:
            found = _in_dependencies(connection, progress, target, path, filename, unknown)
            if found:
                report = classify(scan, dependencies=found)
        progress.step(
            f"{filename}: {report['elf_files']} ELF files, {len(report['external'])} external"
        )
        if args.system or args.python or args.nixpkgs or args.glibc:
            problems = inspection.target_problems(report, target)
            report["target"] = {"key": target.key, "fits": not problems, "problems": problems}
        reports.append(report)
    progress.done()
    if args.json:
        # JSON Lines: one object per wheel, whatever their number (`jq -s` makes a list).
        for report in reports:
            print(json.dumps(report, sort_keys=True))
    else:
        for report in reports:
            print(inspection.render(report))
            if "target" in report:
                t = report["target"]
                verdict = "fits" if t["fits"] else "does NOT fit: " + "; ".join(t["problems"])
                print(f"  target {t['key']}: {verdict}")
    return 0


def _in_dependencies(
    connection: Callable[[], tuple[HttpClient, Index]],
    progress: Progress,
    target: Target,
    path: Path,
    filename: str,
    sonames: list[str],
) -> dict[str, Provider]:
    """What the wheel's own dependencies ship of the libraries nothing else names."""
    from ..index.metadata import metadata_from_wheel, parse_metadata
    from ..lock.dependency_libs import dependency_libraries

    meta = parse_metadata(metadata_from_wheel(str(path), filename), filename)
    if not meta.requires_dist:
        return {}
    client, index = connection()
    return dependency_libraries(client, index, target, meta.requires_dist, sonames, progress)


def _source_kind(source: str) -> str:
    """What ``inspect`` was given: a wheel file, a URL or a requirement; anything that
    reads as a path but is no wheel file is a clear error, not a project lookup."""
    path = Path(source)
    if "://" in source:
        return "url"
    if path.is_file():
        return "file"
    if path.is_dir():
        raise UsageError(
            f"{source}: a folder; inspect takes a wheel file, a URL or a requirement "
            f"(to check installed files: manylinux-nix verify {source})"
        )
    if path.exists():
        raise UsageError(f"{source}: not a regular file; give a wheel file")
    if source.endswith(".whl") or "/" in source or source.startswith("."):
        raise UsageError(
            f"{source}: no such file; give an existing wheel file, a URL or a requirement "
            "such as 'numpy==2.1.0'"
        )
    return "requirement"
