"""Stand-in for nixpkgs' auto-patchelf (pkgs/by-name/au/auto-patchelf/source/
auto-patchelf.py), written for these tests to behave as the real one does:

- the library cache is filled first from the package's own outputs (recursively), then
  from --libs folders (not recursively), and from the RUNPATH entries without $ORIGIN of
  every library found there; it is keyed by file name and architecture, not DT_SONAME;
- a file's needs are its DT_NEEDED entries plus its FDO `.note.dlopen` notes;
- a need is met by an existing absolute path, by a file of that name in glibc's lib/
  (no RUNPATH entry), or by the cache (its folder joins the RUNPATH);
- the new RUNPATH is those folders, then --append-rpaths, deduplicated, set with
  `patchelf --set-rpath`: the old RUNPATH, $ORIGIN entries included, is not kept; a file
  for which nothing was found and nothing is appended is left alone;
- unmet needs fail the run unless a --ignore-missing pattern matches (fnmatch).
"""

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path, PurePath

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import NoteSection

DLOPEN_NOTE = 0x407C0C0A

cache: dict[tuple[str, str], list[tuple[Path, str]]] = defaultdict(list)
scanned: set[Path] = set()


def dynamic_tags(elf: ELFFile, kind: str) -> list[str]:
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            attribute = kind.removeprefix("DT_").lower()
            return [str(getattr(tag, attribute)) for tag in section.iter_tags(kind)]
    return []


def runpath(elf: ELFFile) -> list[str]:
    for kind in ("DT_RUNPATH", "DT_RPATH"):
        values = dynamic_tags(elf, kind)
        if values:
            return values[0].split(":")
    return []


def dlopen_needs(elf: ELFFile) -> list[list[PurePath]]:
    needs = []
    for section in elf.iter_sections():
        if not isinstance(section, NoteSection) or section.name != ".note.dlopen":
            continue
        for note in section.iter_notes():
            kind: object = note["n_type"]  # an int: pyelftools has no name for this type
            if kind != DLOPEN_NOTE or note["n_name"] != "FDO":
                continue
            for entry in json.loads(note["n_desc"].decode("utf-8").rstrip("\0")):
                needs.append([PurePath(name) for name in entry["soname"]])
    return needs


def osabi(elf: ELFFile) -> str:
    return str(elf.header["e_ident"]["EI_OSABI"])


def compatible(wanted: str, got: str) -> bool:
    return not wanted or not got or "ELFOSABI_SYSV" in (wanted, got) or wanted == got


def files_under(path: Path, pattern: str, recursive: bool) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob(pattern) if recursive else path.glob(pattern))
    return [path] if path.match(pattern) else []


def populate(folders: list[Path], recursive: bool = False) -> None:
    queue = list(folders)
    while queue:
        folder = queue.pop(0)
        if folder in scanned:
            continue
        scanned.add(folder)
        for path in files_under(folder, "*.so*", recursive):
            if not path.is_file():
                continue
            resolved = path.resolve()
            if resolved.name != path.name:
                resolved = path
            try:
                with path.open("rb") as handle:
                    elf = ELFFile(handle)
                    text = elf.get_section_by_name(".text")
                    if elf.has_dwarf_info() and text and text["sh_type"] == "SHT_NOBITS":
                        print(f"skipping {path} because it looks like a separate debug object")
                        continue
                    queue += [Path(p) for p in runpath(elf) if p and "$ORIGIN" not in p]
                    cache[(path.name, elf.get_machine_arch())].append((resolved.parent, osabi(elf)))
            except ELFError:
                pass


def found_in_cache(name: str, arch: str, abi: str) -> Path | None:
    for folder, their_abi in cache[(name, arch)]:
        if compatible(abi, their_abi):
            return folder
    return None


class Interpreter:
    path: Path
    arch: str
    abi: str
    libc: Path


def patch_file(
    path: Path, it: Interpreter, args: argparse.Namespace
) -> list[tuple[Path, object, bool]]:
    try:
        with path.open("rb") as handle:
            elf = ELFFile(handle)
            if elf.header["e_type"] == "ET_EXEC" and not elf.get_section_by_name(".interp"):
                print(f"skipping {path} because it is statically linked")
                return []
            if elf.num_segments() == 0:
                print(f"skipping {path} because it contains no segment")
                return []
            arch = elf.get_machine_arch()
            if arch != it.arch:
                print(f"skipping {path} because its architecture ({arch}) differs from target")
                return []
            abi = osabi(elf)
            if not compatible(it.abi, abi):
                print(f"skipping {path} because its OS ABI ({abi}) is not compatible")
                return []
            executable = bool(elf.get_section_by_name(".interp"))
            needs = [[PurePath(n)] for n in dynamic_tags(elf, "DT_NEEDED")] + dlopen_needs(elf)
    except ELFError:
        return []
    rpath: list[Path] = []
    if executable:
        print("setting interpreter of", path)
        subprocess.run(
            ["patchelf", "--set-interpreter", str(it.path), str(path), *args.extra_args], check=True
        )
        rpath += args.runtime_dependencies
    print("searching for dependencies of", path)
    results: list[tuple[Path, object, bool]] = []
    for candidates in needs:
        met = False
        for candidate in candidates:
            in_libc = (it.libc / candidate).is_file()
            absolute = candidate.is_absolute() and Path(candidate).is_file()
            if absolute or (in_libc and not args.keep_libc):
                met = True
            elif (folder := found_in_cache(candidate.name, arch, abi)) is not None:
                rpath.append(folder)
                results.append((path, candidate, True))
                print(f"    {candidate} -> found: {folder}")
                met = True
            elif in_libc:
                met = True
            if met:
                break
        if not met:
            # As the real one: a single name stays a path, several become one string.
            name: object = (
                candidates[0] if len(candidates) == 1 else f"any({', '.join(map(str, candidates))})"
            )
            results.append((path, name, False))
            print(f"    {name} -> not found!")
    rpath += args.append_rpaths
    joined = ":".join(dict.fromkeys(p.as_posix() for p in rpath))
    if rpath:
        print("setting RPATH to:", joined)
        subprocess.run(["patchelf", "--set-rpath", joined, str(path), *args.extra_args], check=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="auto-patchelf")
    parser.add_argument("--ignore-missing", nargs="*", type=str, default=[])
    parser.add_argument("--no-recurse", dest="recursive", action="store_false")
    parser.add_argument("--paths", nargs="*", type=Path, required=True)
    parser.add_argument("--libs", nargs="*", type=Path, default=[])
    parser.add_argument("--runtime-dependencies", nargs="*", type=Path, default=[])
    parser.add_argument("--append-rpaths", nargs="*", type=Path, default=[])
    parser.add_argument("--keep-libc", action="store_true")
    parser.add_argument("--ignore-existing", dest="add_existing", action="store_false")
    parser.add_argument("--extra-args", nargs="...", type=str, default=[])
    args = parser.parse_args()

    support = Path(os.environ.get("NIX_BINTOOLS", "@defaultBintools@")) / "nix-support"
    it = Interpreter()
    it.path = Path((support / "dynamic-linker").read_text().strip())
    it.libc = Path((support / "orig-libc").read_text().strip()) / "lib"
    with it.path.open("rb") as handle:
        elf = ELFFile(handle)
        it.arch, it.abi = elf.get_machine_arch(), osabi(elf)

    if not args.paths:
        sys.exit("No paths to patch, stopping.")
    if args.add_existing:
        populate(args.paths, args.recursive)
    populate(args.libs)
    results = []
    for root in args.paths:
        for path in files_under(root, "*", args.recursive):
            if not path.is_symlink() and path.is_file():
                results += patch_file(path, it, args)
    missing = [(file, name) for file, name, found in results if not found]
    print(f"auto-patchelf: {len(missing)} dependencies could not be satisfied")
    failure = False
    for file, name in missing:
        # As the real one: `.name` of an any(...) string raises here.
        if any(fnmatch.fnmatch(name.name, pattern) for pattern in args.ignore_missing):  # type: ignore[attr-defined]
            print(f"warn: auto-patchelf ignoring missing {name} wanted by {file}")
        else:
            print(f"error: auto-patchelf could not satisfy dependency {name} wanted by {file}")
            failure = True
    if failure:
        sys.exit(
            "auto-patchelf failed to find all the required dependencies.\n"
            "Add the missing dependencies to --libs or use "
            '`--ignore-missing="foo.so.1 bar.so etc.so"`.'
        )


if __name__ == "__main__":
    main()
