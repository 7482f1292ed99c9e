"""Stand-in for nixpkgs' auto-patchelf: every ELF's RUNPATH becomes the folders that
hold its DT_NEEDED libraries, found in the package itself (by file name, recursively)
or in the --libs folders (not recursively); libc's libraries need no entry.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile


def needed(path: Path) -> list[str] | None:
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                return None
            handle.seek(0)
            dynamic = ELFFile(handle).get_section_by_name(".dynamic")
            if not isinstance(dynamic, DynamicSection):
                return []
            return [
                str(vars(t)["needed"]) for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"
            ]
    except ELFError:
        return None


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--patchelf", required=True)
    p.add_argument("--paths", nargs="*", default=[])
    p.add_argument("--libs", nargs="*", default=[])
    p.add_argument("--ignore-missing", nargs="*", default=[])
    p.add_argument("--append-rpaths", nargs="*", default=[])
    p.add_argument("--libc", nargs="*", default=[])
    args = p.parse_args()
    cache: dict[str, str] = {}
    elves = []
    for root in args.paths:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.is_symlink():
                deps = needed(path)
                if deps is not None:
                    elves.append((path, deps))
                if ".so" in path.name:
                    cache.setdefault(path.name, str(path.parent))
    for lib_dir in args.libs:
        if os.path.isdir(lib_dir):
            for entry in sorted(os.listdir(lib_dir)):
                cache.setdefault(entry, lib_dir)
    failed = False
    for path, deps in elves:
        print(f"searching for dependencies of {path}")
        rpath: list[str] = []
        for dep in deps:
            if dep in args.libc:
                continue
            if dep in cache:
                print(f"    {dep} -> found: {cache[dep]}")
                if cache[dep] not in rpath:
                    rpath.append(cache[dep])
            elif any(fnmatch.fnmatch(dep, g) for g in args.ignore_missing):
                print(f"warn: auto-patchelf ignoring missing {dep} wanted by {path}")
            else:
                print(f"error: auto-patchelf could not satisfy dependency {dep} wanted by {path}")
                failed = True
        rpath += [r for r in args.append_rpaths if r not in rpath]
        if rpath:
            print(f"setting RPATH to: {':'.join(rpath)}")
            subprocess.run([args.patchelf, "--set-rpath", ":".join(rpath), str(path)], check=True)
    if failed:
        print("auto-patchelf failed to find all the required dependencies.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
