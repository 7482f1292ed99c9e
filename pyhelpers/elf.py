"""What one ELF file says about its run-time needs, read with pyelftools.

Only the dynamic section, the version-needs section and read-only data are read: the
cost of ``auditwheel show`` is iterating whole symbol tables, which a Nix build does
not need.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection, DynamicSegment
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import NoteSection
from elftools.elf.segments import InterpSegment

from .errors import UserError, reason

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
_SCAN_CHUNK = 8 << 20
# FDO ELF dlopen metadata (https://systemd.io/ELF_DLOPEN_METADATA/), which nixpkgs'
# autoPatchelf resolves like DT_NEEDED.
_DLOPEN_NOTE = 0x407C0C0A
_NOTE_LIMIT = 1 << 20


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
    """The wheel-tag name of an e_machine; pyelftools gives a number for one it does not
    know, which is no architecture a wheel can be for."""
    if not isinstance(machine, str):
        return f"machine {machine:#x}"
    if machine == "EM_PPC64":
        return "ppc64le" if little_endian else "ppc64"
    return _ARCH.get(machine, machine.removeprefix("EM_").lower())


def _split(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.split(":") if p)


def _dynamic(elf: ELFFile) -> DynamicSection | DynamicSegment | None:
    section = elf.get_section_by_name(".dynamic")
    if isinstance(section, DynamicSection):
        return section
    # Stripped section headers: the loader only needs PT_DYNAMIC, and so do we.
    for segment in elf.iter_segments(type="PT_DYNAMIC"):
        if isinstance(segment, DynamicSegment):
            return segment
    return None


def _section_data(elf: ELFFile, section: Any, size_limit: int) -> bytes:
    if section["sh_size"] > size_limit or section["sh_type"] == "SHT_NOBITS":
        raise ValueError(f"section {section.name} is larger than the file")
    return bytes(section.data())


def _cstring(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset, offset + 4096)
    if offset >= len(table) or end < 0:
        raise ValueError("a version name points outside its string table")
    return table[offset:end].decode("utf-8", "replace")


def _linked_strings(elf: ELFFile, section: Any, size_limit: int) -> bytes:
    link = section["sh_link"]
    if not 0 < link < elf.num_sections():
        raise ValueError(f"section {section.name} links no string table")
    return _section_data(elf, elf.get_section(link), size_limit)


def _version_records(
    data: bytes, fmt: str, count: int, first: int, next_field: int
) -> list[tuple[int, tuple[int, ...]]]:
    """(offset, fields) of a chain of version records. Every loop is bounded by the
    section's size and a visited set: a count near 2**32 or a link back to an earlier
    record (a cycle) ends it instead of spinning."""
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


def version_needs(elf: ELFFile, size_limit: int) -> tuple[VersionNeed, ...]:
    """``.gnu.version_r``: the symbol versions needed from each library."""
    section = elf.get_section_by_name(".gnu.version_r")
    if section is None or section["sh_type"] != "SHT_GNU_verneed":
        return ()
    data = _section_data(elf, section, size_limit)
    strings = _linked_strings(elf, section, size_limit)
    order = "<" if elf.little_endian else ">"
    needs = []
    # Elf_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next (the same in 32 and 64 bit)
    for offset, (_ver, cnt, file, aux, _next) in _version_records(
        data, order + "HHIII", section["sh_info"] or len(data), 0, 4
    ):
        # Elf_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
        names = [
            _cstring(strings, fields[3])
            for _at, fields in _version_records(data, order + "IHHII", cnt, offset + aux, 4)
        ]
        needs.append(VersionNeed(_cstring(strings, file), tuple(sorted(names))))
    return tuple(sorted(needs, key=lambda n: n.library))


def version_definitions(elf: ELFFile, size_limit: int) -> frozenset[str]:
    """``.gnu.version_d``: the symbol versions a library defines."""
    section = elf.get_section_by_name(".gnu.version_d")
    if section is None or section["sh_type"] != "SHT_GNU_verdef":
        return frozenset()
    data = _section_data(elf, section, size_limit)
    strings = _linked_strings(elf, section, size_limit)
    order = "<" if elf.little_endian else ">"
    names: set[str] = set()
    # Elf_Verdef: vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next
    for offset, fields in _version_records(
        data, order + "HHHHIII", section["sh_info"] or len(data), 0, 6
    ):
        # Elf_Verdaux: vda_name, vda_next
        for _at, (name, _next) in _version_records(
            data, order + "II", fields[3], offset + fields[5], 1
        ):
            names.add(_cstring(strings, name))
    return frozenset(names)


def stream_size(stream: IO[bytes]) -> int:
    here = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(here)
    return size


def _rodata_sonames(elf: ELFFile, stream: IO[bytes]) -> set[str]:
    """Library names in ``.rodata``, read in chunks so a huge library stays cheap."""
    section = elf.get_section_by_name(".rodata")
    if section is None or section["sh_type"] == "SHT_NOBITS":
        return set()
    found: set[str] = set()
    start, end = section["sh_offset"], section["sh_offset"] + section["sh_size"]
    overlap = 128
    offset = start
    while offset < end:
        stream.seek(offset)
        chunk = stream.read(min(_SCAN_CHUNK + overlap, end - offset))
        if not chunk:
            break
        for m in _SONAME_STRING.finditer(chunk):
            if m.start() == 0 or chunk[m.start() - 1] == 0:  # a whole C string, not a tail
                found.add(m.group().decode("ascii"))
        offset += _SCAN_CHUNK
    return found


def _dlopen_notes(elf: ELFFile) -> tuple[str, ...]:
    section = elf.get_section_by_name(".note.dlopen")
    if not isinstance(section, NoteSection) or section["sh_size"] > _NOTE_LIMIT:
        return ()
    found: list[str] = []
    for note in section.iter_notes():
        kind: object = note["n_type"]
        if kind != _DLOPEN_NOTE or note["n_name"] != "FDO":
            continue
        try:
            entries = json.loads(bytes(note["n_desc"]).decode("utf-8").rstrip("\0"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ValueError("a .note.dlopen note is not JSON") from None
        for entry in entries if isinstance(entries, list) else []:
            names = entry.get("soname") if isinstance(entry, dict) else None
            found += [n for n in names or [] if isinstance(n, str) and n]
    return tuple(dict.fromkeys(found))


def read_elf(stream: IO[bytes], path: str) -> ElfFacts:
    """Facts of the ELF file in ``stream`` (seekable). A damaged ELF is a UserError."""
    try:
        elf = ELFFile(stream)
        needed: list[str] = []
        rpath: tuple[str, ...] = ()
        runpath: tuple[str, ...] = ()
        soname = None
        dynamic = _dynamic(elf)
        if dynamic is not None:
            for tag in dynamic.iter_tags():
                kind = tag.entry.d_tag
                if kind == "DT_NEEDED":
                    needed.append(_value(tag, "needed"))
                elif kind == "DT_SONAME":
                    soname = _value(tag, "soname")
                elif kind == "DT_RPATH":
                    rpath = _split(_value(tag, "rpath"))
                elif kind == "DT_RUNPATH":
                    runpath = _split(_value(tag, "runpath"))
        interpreter = None
        for segment in elf.iter_segments(type="PT_INTERP"):
            if isinstance(segment, InterpSegment):
                interpreter = segment.get_interp_name()
        hints = _rodata_sonames(elf, stream) - set(needed) - {soname}
        return ElfFacts(
            path=path,
            arch=arch_of(elf["e_machine"], elf.little_endian),
            bits=elf.elfclass,
            soname=soname,
            needed=tuple(needed),
            rpath=rpath,
            runpath=runpath,
            interpreter=interpreter,
            version_needs=version_needs(elf, stream_size(stream)),
            dlopen_strings=tuple(sorted(hints)),
            dlopen_notes=_dlopen_notes(elf),
        )
    except Exception as exc:
        if damaged(exc):
            raise UserError(
                f"{path}: damaged ELF file ({_reason(exc)}); the wheel is corrupt"
            ) from exc
        raise


# What pyelftools raises on damaged or crafted data: its own errors, construct's on
# truncated data, and the plain errors of the values it reads (an offset past the end,
# a count that overflows, a string table index out of range).
_DAMAGE = (
    ELFError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    AssertionError,
    struct.error,
    RecursionError,
    EOFError,
)


def damaged(exc: BaseException) -> bool:
    """Whether ``exc`` says the data is damaged, not that our code is wrong."""
    if isinstance(exc, _DAMAGE) or type(exc).__module__.startswith(("elftools", "construct")):
        return True
    # Older pyelftools (0.30) trips over crafted tables with TypeError and AttributeError
    # (a missing string table read as None); only those raised inside it count.
    return isinstance(exc, (TypeError, AttributeError)) and _raised_in_elftools(exc)


def _raised_in_elftools(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and f"{os.sep}elftools{os.sep}" in tb.tb_frame.f_code.co_filename


def defined_versions(stream: IO[bytes]) -> frozenset[str]:
    """The symbol versions the library in ``stream`` defines; none for a damaged one."""
    try:
        return version_definitions(ELFFile(stream), stream_size(stream))
    except Exception as exc:
        if damaged(exc):
            return frozenset()
        raise


def _value(tag: Any, attribute: str) -> str:
    # pyelftools sets these string attributes per tag kind, out of its type stubs' sight.
    return str(vars(tag)[attribute])


def _reason(exc: Exception) -> str:
    return reason(exc, 120)


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
