"""The ``manylinux-nix`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import UsageError, UserError, printable
from .progress import Progress
from .target import SYSTEMS, Target, default_release, make_target, releases
from .urls import DEFAULT_INDEX, index_key, redact_text

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from .http import HttpClient

# Commands import what they need when they run: `inspect` of a local file should not
# pay for requests and resolvelib at start-up.

log = logging.getLogger("manylinux-nix")


def host_system() -> str:
    """The default --system: this machine's, as ``builtins.currentSystem`` would say."""
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = f"{machine}-{platform.system().lower()}"
    return system if system in SYSTEMS else "x86_64-linux"


def _add_target_options(p: argparse.ArgumentParser) -> None:
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


def _add_index_options(p: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manylinux-nix",
        description="Make prebuilt Python wheels work under Nix: lock them for Nix targets, "
        "know what native libraries they need, and check that they load.",
    )
    parser.add_argument("--version", action="version", version=f"manylinux-nix {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lock = sub.add_parser(
        "lock",
        parents=[common],
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
    _add_target_options(lock)
    _add_index_options(lock)

    prefetch = sub.add_parser(
        "prefetch",
        parents=[common],
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
    _add_target_options(prefetch)
    _add_index_options(prefetch)
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
        conv = sub.add_parser(name, parents=[common], help=helptext, description=description)
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
        _add_target_options(conv)
        _add_index_options(conv)

    fix = sub.add_parser(
        "fix-venv",
        parents=[common],
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
        "--include-optional",
        action="append",
        default=[],
        metavar="SONAME",
        help="resolve an optional plugin's library too (left out by default), repeatable",
    )
    _add_jobs_option(fix)
    fix.add_argument(
        "--memory",
        type=_mebibytes,
        default=1024,
        metavar="MIB",
        help="the most memory patchelf runs may hold at once, in MiB (default: 1024)",
    )

    ver = sub.add_parser(
        "verify",
        parents=[common],
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
    _add_jobs_option(ver)

    inspect = sub.add_parser(
        "inspect",
        parents=[common],
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
    _add_target_options(inspect)
    _add_index_options(inspect)

    cache = sub.add_parser(
        "cache",
        parents=[common],
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
    return parser


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of days, 0 or more")
    return value


def cmd_cache(args: argparse.Namespace, progress: Progress) -> int:
    from . import cache
    from .progress import size_text

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


def _targets(args: argparse.Namespace) -> list[Target]:
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


def _requirement(text: str) -> Requirement:
    from .requirements_txt import parse_requirement

    try:
        return parse_requirement(text, "command line")
    except UserError as exc:
        raise UsageError(str(exc)) from None


def _client(args: argparse.Namespace, progress: Progress) -> HttpClient:
    from .http import HttpClient

    return HttpClient(
        timeout=(min(10.0, args.timeout), args.timeout),
        retries=args.retries,
        offline=args.offline,
        on_retry=None if args.quiet else lambda line: progress.note(f"manylinux-nix: {line}"),
    )


def cmd_lock(args: argparse.Namespace, progress: Progress) -> int:
    from . import lockfile, requirements_txt
    from .index import Index
    from .lock import Locker, LockRequest, document

    reqs = [_requirement(r) for r in args.requirements]
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
    client = _client(args, progress)
    index = Index.open(client, index_url, extra)
    request = LockRequest(
        reqs,
        _targets(args),
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
        _tell_unknown(targets)
    return 0


def _tell_unknown(targets: dict[str, dict[str, Any]]) -> None:
    from .lockfile import unknown_sonames

    lines = unknown_sonames(targets)
    if lines:
        print(
            f"{len(lines)} package(s) need libraries the soname map does not know; Nix will ask "
            "for each in sonameOverrides (a package, or null) or ignoreMissing:",
            file=sys.stderr,
        )
        for line in lines:
            print(f"  {printable(line)}", file=sys.stderr)


def cmd_prefetch(args: argparse.Namespace, progress: Progress) -> int:
    from .index import Index
    from .lock import Locker, LockRequest

    req = _requirement(args.requirement)
    client = _client(args, progress)
    index = Index.open(client, args.index_url, args.extra_index_url)
    request = LockRequest([req], _targets(args), no_deps=True, pre=args.pre)
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
                from .download import fetch_file

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


def cmd_inspect(args: argparse.Namespace, progress: Progress) -> int:
    from . import inspect as inspection
    from .classify import classify

    target = _targets(args)[0]
    reports = []
    progress.start(len(args.sources), "wheels inspected")
    for source in args.sources:
        progress(f"inspecting {inspection.describe_source(source)}")
        kind = _source_kind(source)
        if kind == "file":
            path, filename, sha256 = Path(source), Path(source).name, None
        elif kind == "url":
            from .download import fetch_url

            path, filename, sha256 = fetch_url(_client(args, progress), source, progress)
        else:
            from .download import fetch_file
            from .index import Index
            from .lock import Locker, LockRequest

            client = _client(args, progress)
            index = Index.open(client, args.index_url, args.extra_index_url)
            request = LockRequest([_requirement(source)], [target], no_deps=True)
            [pin] = Locker(client, index, progress).pins(request, target)
            path, sha256 = fetch_file(client, pin.file, progress)
            filename = pin.file.filename
        report = classify(inspection.scan_cached(path, filename, sha256))
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


def cmd_convert(args: argparse.Namespace, progress: Progress) -> int:
    from . import lockfile
    from .convert import Converter
    from .index import Index
    from .lock import Locker
    from .lockformats import read_lock
    from .metadata import MetadataSource
    from .wheel import file_sha256

    source = read_lock(Path(args.lockfile))
    client = _client(args, progress)
    default = index_key(args.index_url or (source.indexes[0] if source.indexes else DEFAULT_INDEX))
    urls = {index_key(u) for u in [default, *(p.index for p in source.packages if p.index)]}
    indexes = {u: Index.open(client, u, list(args.extra_index_url)) for u in urls}
    converter = Converter(
        source,
        indexes,
        default,
        MetadataSource(client),
        allow_sdist=args.allow_sdist,
        on_progress=progress,
        override_index=args.index_url is not None,
        refresh_index=args.refresh_index,
    )
    locker = Locker(client, indexes[default], progress)
    inspect = args.command == "overrides" or not args.no_inspect
    targets = {}
    pinned = [(target, converter.pins(target)) for target in sorted(_targets(args))]
    if inspect:
        # Every target's wheels in one pool: downloads overlap across targets too.
        locker.scans([p for target, pins in pinned if target.os == "linux" for p in pins])
    for target, pins in pinned:
        entry = locker.target_entry(target, pins, inspect=inspect, allowed_hashes={})
        if converter.sdist_only[target.key]:
            entry["sdist_only"] = [vars(s) for s in converter.sdist_only[target.key]]
        targets[target.key] = entry
    progress.done()
    source_sha256 = file_sha256(Path(args.lockfile))
    options = {
        "converted_from": source.format,
        "source_sha256": source_sha256,
        "allow_sdist": args.allow_sdist,
        "inspect": inspect,
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
        _tell_unknown(targets)
    return 0


def _add_jobs_option(parser: argparse.ArgumentParser) -> None:
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


def _mebibytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 16 <= value <= 1 << 20:
        raise argparse.ArgumentTypeError(f"{text!r}: give MiB from 16 to 1048576")
    return value


def cmd_fix_venv(args: argparse.Namespace, progress: Progress) -> int:
    from .fixvenv import fix_venv
    from .sonames import soname_map

    venv = Path(args.venv)
    fixes = fix_venv(
        venv,
        [Path(d) for d in args.lib_dir],
        use_nix=args.nix,
        check=args.check,
        patchelf=args.patchelf,
        include_optional=args.include_optional,
        jobs=args.jobs,
        memory_budget=args.memory << 20,
    )
    libraries = soname_map().libraries
    missing = [(f, n) for f in fixes for n in f.missing]
    changed = [f for f in fixes if f.changes]
    optional: dict[str, str] = {}
    for f in fixes:
        for soname, reason in f.optional:
            optional.setdefault(soname, reason)
    if args.json:
        print(
            json.dumps(
                {
                    "files": len(fixes),
                    "changed" if not args.check else "would_change": [str(f.path) for f in changed],
                    "missing": [
                        {"file": str(f.path), "soname": n, "nix": list(libraries.get(n, ()))}
                        for f, n in missing
                    ],
                    "optional_left_out": [
                        {"soname": n, "reason": r} for n, r in sorted(optional.items())
                    ],
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
            hint = libraries.get(soname)
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
                print(_grouped(f"{soname} not found", files, advice), file=sys.stderr)
        if optional and not args.quiet:
            print(
                "manylinux-nix: optional libraries left out: "
                + "; ".join(f"{n} ({r})" for n, r in sorted(optional.items()))
                + "; --include-optional SONAME brings one in",
                file=sys.stderr,
            )
        verb = "would change" if args.check else "changed"
        if not args.quiet:
            print(
                f"{len(fixes)} ELF files, {verb} {len(changed)}, {len(missing)} libraries missing",
                file=sys.stderr,
            )
    return 1 if missing else 0


def _grouped(what: str, files: list[str], advice: str) -> str:
    """One line for a problem many files share: the count, the first file, the fix."""
    count = f"{len(files)} files" if len(files) != 1 else "1 file"
    return printable(f"{what}: {count} (first {files[0]}); {advice}")


def cmd_verify(args: argparse.Namespace, progress: Progress) -> int:
    from .verify import interpreter_glibc_dir, verify

    given = args.glibc_dir or os.environ.get("MANYLINUX_NIX_GLIBC_DIR")
    glibc = Path(given) if given else interpreter_glibc_dir()
    report = verify(Path(args.path), glibc, jobs=args.jobs)
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
                    f"manylinux-nix: verify: {_grouped(group.what, group.files, group.advice)}",
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


COMMANDS = {
    "verify": cmd_verify,
    "fix-venv": cmd_fix_venv,
    "lock": cmd_lock,
    "prefetch": cmd_prefetch,
    "inspect": cmd_inspect,
    "convert": cmd_convert,
    "overrides": cmd_convert,
    "cache": cmd_cache,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The subcommand's usage, not the top level's: that is where the flag was wrong.
        _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    level = (
        logging.WARNING
        if not args.verbose
        else (logging.INFO if args.verbose == 1 else logging.DEBUG)
    )
    if args.quiet:
        level = logging.ERROR
    logging.basicConfig(level=level, format="manylinux-nix: %(message)s", stream=sys.stderr)
    progress = Progress(
        sys.stderr, enabled=not args.quiet, live=None if not args.verbose else False
    )
    try:
        return COMMANDS[args.command](args, progress)
    except UserError as exc:
        progress.done()
        # One line, always: a hostile name with a newline must not forge extra output lines.
        line = redact_message(str(exc)).replace("\r", "\\r").replace("\n", "\\n")
        print(f"manylinux-nix: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        progress.done()
        print("manylinux-nix: interrupted; no file was changed", file=sys.stderr)
        return 130


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    return parser


def redact_message(message: str) -> str:
    """Errors may quote a URL or a line the user wrote; never echo its credentials."""
    return redact_text(message)


if __name__ == "__main__":
    sys.exit(main())
