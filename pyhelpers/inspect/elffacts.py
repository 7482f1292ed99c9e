"""What one ELF file says about its run-time needs, and the pure decoders both readers
share: version records, library names in read-only data, FDO dlopen notes.

Every decoder takes bytes and bounds every loop by them: a count near 2**32 or a link
back to an earlier record ends a walk instead of spinning.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

MAGIC = b"\x7fELF"

# e_machine -> the architecture name used in wheel platform tags.
_ARCH = {
    "EM_X86_64": "x86_64",
    "EM_AARCH64": "aarch64",
    "EM_386": "i686",
    "EM_ARM": "armv7l",
    "EM_S390": "s390x",
    "EM_RISCV": "riscv64",
    "EM_LOONGARCH": "loongarch64",
}

# A C string in read-only data that names a shared library: how dlopen() targets look.
_SONAME_STRING = re.compile(rb"lib[A-Za-z0-9_+\-.]{0,120}?\.so(?:\.[0-9]+)*(?=\x00)")
# FDO ELF dlopen metadata (https://systemd.io/ELF_DLOPEN_METADATA/), which nixpkgs'
# autoPatchelf resolves like DT_NEEDED.
DLOPEN_NOTE = 0x407C0C0A
NOTE_LIMIT = 1 << 20


@dataclass(frozen=True)
class VersionNeed:
    """Symbol versions an ELF needs from one library (``.gnu.version_r``)."""

    library: str
    versions: tuple[str, ...]


@dataclass(frozen=True)
class ElfFacts:
    path: str  # the member's path inside the wheel
    arch: str  # wheel-tag architecture, e.g. x86_64, ppc64le
    bits: int
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    interpreter: str | None
    version_needs: tuple[VersionNeed, ...]
    dlopen_strings: tuple[str, ...]
    # Sonames in FDO `.note.dlopen` notes: libraries the file dlopen()s, declared.
    dlopen_notes: tuple[str, ...] = ()

    @property
    def search_path(self) -> tuple[str, ...]:
        # The loader ignores DT_RPATH when DT_RUNPATH is present.
        return self.runpath or self.rpath


def arch_of(machine: str | int, little_endian: bool) -> str:
    """The wheel-tag name of an e_machine (pyelftools' ``EM_*`` name); a number stands
    for a machine pyelftools does not know, which is no architecture a wheel can be for."""
    if not isinstance(machine, str):
        return f"machine {machine:#x}"
    if machine == "EM_PPC64":
        return "ppc64le" if little_endian else "ppc64"
    return _ARCH.get(machine, machine.removeprefix("EM_").lower())


def split_path(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.split(":") if p)


def cstring(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset, offset + 4096)
    if offset >= len(table) or end < 0:
        raise ValueError("a version name points outside its string table")
    return table[offset:end].decode("utf-8", "replace")


def _version_records(
    data: bytes, fmt: str, count: int, first: int, next_field: int
) -> list[tuple[int, tuple[int, ...]]]:
    """(offset, fields) of a chain of version records, bounded by the data's size and a
    visited set."""
    size = struct.calcsize(fmt)
    records, seen, offset = [], set(), first
    for _ in range(min(count, len(data) // size)):
        if offset in seen or offset < 0 or offset + size > len(data):
            break
        seen.add(offset)
        fields = struct.unpack_from(fmt, data, offset)
        records.append((offset, fields))
        if fields[next_field] == 0:
            break
        offset += fields[next_field]
    return records


def version_needs(data: bytes, strings: bytes, count: int, little: bool) -> tuple[VersionNeed, ...]:
    """``.gnu.version_r`` (its bytes, its string table's, its sh_info): the symbol
    versions needed from each library."""
    order = "<" if little else ">"
    needs = []
    # Elf_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next (the same in 32 and 64 bit)
    for offset, (_ver, cnt, file, aux, _next) in _version_records(
        data, order + "HHIII", count or len(data), 0, 4
    ):
        # Elf_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
        names = [
            cstring(strings, fields[3])
            for _at, fields in _version_records(data, order + "IHHII", cnt, offset + aux, 4)
        ]
        needs.append(VersionNeed(cstring(strings, file), tuple(sorted(names))))
    return tuple(sorted(needs, key=lambda n: n.library))


def version_definitions(data: bytes, strings: bytes, count: int, little: bool) -> frozenset[str]:
    """``.gnu.version_d``: the symbol versions a library defines."""
    order = "<" if little else ">"
    names: set[str] = set()
    # Elf_Verdef: vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next
    for offset, fields in _version_records(data, order + "HHHHIII", count or len(data), 0, 6):
        # Elf_Verdaux: vda_name, vda_next
        for _at, (name, _next) in _version_records(
            data, order + "II", fields[3], offset + fields[5], 1
        ):
            names.add(cstring(strings, name))
    return frozenset(names)


def rodata_sonames(buffer: Any, start: int, end: int) -> set[str]:
    """Library names among the C strings of ``buffer[start:end]`` (bytes or an mmap:
    nothing is copied, only the pages read are touched)."""
    found: set[str] = set()
    end = min(end, len(buffer))
    for m in _SONAME_STRING.finditer(buffer, start, end):
        if m.start() == start or buffer[m.start() - 1] == 0:  # a whole string, not a tail
            found.add(m.group().decode("ascii"))
    return found


def dlopen_sonames(description: bytes) -> list[str]:
    """The sonames of one FDO dlopen note's JSON description."""
    try:
        entries = json.loads(bytes(description).decode("utf-8").rstrip("\0"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("a .note.dlopen note is not JSON") from None
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        names = entry.get("soname") if isinstance(entry, dict) else None
        found += [n for n in names or [] if isinstance(n, str) and n]
    return found


def as_dict(facts: ElfFacts) -> dict[str, Any]:
    return {
        "path": facts.path,
        "arch": facts.arch,
        "bits": facts.bits,
        "soname": facts.soname,
        "needed": list(facts.needed),
        "rpath": list(facts.rpath),
        "runpath": list(facts.runpath),
        "interpreter": facts.interpreter,
        "version_needs": {n.library: list(n.versions) for n in facts.version_needs},
        "dlopen_strings": list(facts.dlopen_strings),
        "dlopen_notes": list(facts.dlopen_notes),
    }


def from_dict(data: dict[str, Any]) -> ElfFacts:
    return ElfFacts(
        path=data["path"],
        arch=data["arch"],
        bits=data["bits"],
        soname=data["soname"],
        needed=tuple(data["needed"]),
        rpath=tuple(data["rpath"]),
        runpath=tuple(data["runpath"]),
        interpreter=data["interpreter"],
        version_needs=tuple(
            VersionNeed(k, tuple(v)) for k, v in sorted(data["version_needs"].items())
        ),
        dlopen_strings=tuple(data["dlopen_strings"]),
        dlopen_notes=tuple(data.get("dlopen_notes", ())),
    )
