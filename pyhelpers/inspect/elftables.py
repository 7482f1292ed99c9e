"""The fast ELF reader: the header, section and program headers, dynamic entries and
notes read with ``struct`` straight from the file's bytes (an mmap for installed files),
giving the same facts as the pyelftools reader (elfpyelftools.py) in a tenth of the
time. pyelftools builds its parsers per file and parses every header field by field,
which was most of ``inspect``'s time on scipy (see bench/README.md); tests compare the
two readers on real wheels.

What this reader does not handle (no section headers, a dynamic segment without a
``.dynamic`` section, extended program header numbering) raises ``Unsupported`` and is
read with pyelftools instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

from .elffacts import (
    DLOPEN_NOTE,
    NOTE_LIMIT,
    ElfFacts,
    VersionNeed,
    arch_of,
    dlopen_sonames,
    rodata_sonames,
    split_path,
    version_definitions,
    version_needs,
)

SHT_DYNAMIC, SHT_NOTE, SHT_NOBITS, SHT_STRTAB = 6, 7, 8, 3
SHT_GNU_VERDEF, SHT_GNU_VERNEED = 0x6FFFFFFD, 0x6FFFFFFE
PT_DYNAMIC, PT_INTERP = 2, 3
DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH = 1, 14, 15, 29
_STRING_LIMIT = 1 << 20  # no name or RUNPATH is longer


class Unsupported(Exception):
    """A layout this reader leaves to pyelftools; not damage."""


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    offset: int
    size: int
    link: int
    info: int


@dataclass(frozen=True)
class _Layout:
    """struct formats of one ELF class and byte order."""

    header: struct.Struct
    section: struct.Struct
    segment: struct.Struct
    dynamic: struct.Struct
    note: struct.Struct


@cache
def _layout(bits: int, little: bool) -> _Layout:
    order = "<" if little else ">"
    if bits == 64:
        # e_type .. e_shstrndx; sh_name .. sh_entsize; p_type, p_flags, p_offset ...
        return _Layout(
            struct.Struct(order + "HHIQQQIHHHHHH"),
            struct.Struct(order + "IIQQQQIIQQ"),
            struct.Struct(order + "IIQQQQQQ"),
            struct.Struct(order + "qQ"),
            struct.Struct(order + "III"),
        )
    return _Layout(
        struct.Struct(order + "HHIIIIIHHHHHH"),
        struct.Struct(order + "IIIIIIIIII"),
        struct.Struct(order + "IIIIIIII"),
        struct.Struct(order + "iI"),
        struct.Struct(order + "III"),
    )


# The e_machine numbers of the architectures wheels are built for, by pyelftools' name.
_COMMON_MACHINES = {
    3: "EM_386",
    21: "EM_PPC64",
    22: "EM_S390",
    40: "EM_ARM",
    62: "EM_X86_64",
    183: "EM_AARCH64",
    243: "EM_RISCV",
    258: "EM_LOONGARCH",
}


def machine_name(number: int) -> str | int:
    """pyelftools' name of an e_machine, or the number when it has none."""
    if number in _COMMON_MACHINES:
        return _COMMON_MACHINES[number]
    return _all_machines().get(number, number)


@cache
def _all_machines() -> dict[int, str]:
    # Imported only for a rare machine: pyelftools' tables cost 27 ms to import.
    from elftools.elf.enums import ENUM_E_MACHINE

    # As pyelftools decodes e_machine: the last name given to a number.
    return {number: name for name, number in ENUM_E_MACHINE.items() if name != "_default_"}


class ElfTables:
    """The tables of one ELF file in ``buffer`` (bytes or an mmap)."""

    def __init__(self, buffer: Any) -> None:
        self.buffer = buffer
        ident = bytes(buffer[:16])
        if len(ident) < 16 or ident[:4] != b"\x7fELF":
            raise ValueError("not an ELF file")
        if ident[4] not in (1, 2) or ident[5] not in (1, 2):
            raise ValueError(f"invalid ELF class {ident[4]} or byte order {ident[5]}")
        self.bits = 32 if ident[4] == 1 else 64
        self.little = ident[5] == 1
        self.layout = _layout(self.bits, self.little)
        (
            _type,
            self.machine,
            _version,
            _entry,
            self.phoff,
            self.shoff,
            _flags,
            _ehsize,
            self.phentsize,
            self.phnum,
            self.shentsize,
            self.shnum,
            self.shstrndx,
        ) = self.layout.header.unpack_from(buffer, 16)
        self.sections = self._sections()

    def _sections(self) -> list[Section]:
        if self.shoff == 0:
            raise Unsupported("no section headers")
        count, names = self.shnum, self.shstrndx
        if count == 0 or names == 0xFFFF:  # extended numbering: the counts are in section 0
            first = self._section_header(0)
            count = count or first[5]
            names = first[6] if names == 0xFFFF else names
        if count == 0:
            raise Unsupported("no section headers")
        if self.shoff + count * self.shentsize > len(self.buffer):
            raise ValueError("section headers past the end of the file")
        headers = [self._section_header(i) for i in range(count)]
        if not 0 <= names < count:
            raise ValueError(f"section name table {names} of {count}")
        table = headers[names][4]
        return [Section(self.string(table + h[0]), h[1], h[4], h[5], h[6], h[7]) for h in headers]

    def _section_header(self, index: int) -> tuple[int, ...]:
        fields: tuple[int, ...] = self.layout.section.unpack_from(
            self.buffer, self.shoff + index * self.shentsize
        )
        return fields

    def string(self, offset: int, encoding: str = "utf-8") -> str:
        """The C string at a file offset, as pyelftools decodes string tables."""
        if not 0 <= offset < len(self.buffer):
            raise ValueError("a string points outside the file")
        end = self.buffer.find(b"\0", offset, offset + _STRING_LIMIT)
        text = self.buffer[offset : end if end >= 0 else offset + _STRING_LIMIT]
        return bytes(text).decode(encoding, "replace")

    def section(self, name: str) -> Section | None:
        """The last section of that name, as pyelftools' name lookup finds it."""
        found = None
        for section in self.sections:
            if section.name == name:
                found = section
        return found

    def data(self, section: Section) -> bytes:
        if section.size > len(self.buffer) or section.type == SHT_NOBITS:
            raise ValueError(f"section {section.name} is larger than the file")
        return bytes(self.buffer[section.offset : section.offset + section.size])

    def linked_strings(self, section: Section) -> bytes:
        if not 0 < section.link < len(self.sections):
            raise ValueError(f"section {section.name} links no string table")
        return self.data(self.sections[section.link])

    def segments(self) -> list[tuple[int, ...]]:
        if self.phnum == 0xFFFF:
            raise Unsupported("extended program header numbering")
        if self.phoff + self.phnum * self.phentsize > len(self.buffer):
            raise ValueError("program headers past the end of the file")
        return [
            self.layout.segment.unpack_from(self.buffer, self.phoff + i * self.phentsize)
            for i in range(self.phnum)
        ]


def read(buffer: Any, path: str) -> ElfFacts:
    """Facts of the ELF file in ``buffer``. Raises ValueError or struct.error on damaged
    data and Unsupported on layouts left to pyelftools."""
    elf = ElfTables(buffer)
    segments = elf.segments()
    needed, soname, rpath, runpath = _dynamic(elf, segments)
    interpreter = None
    for segment in segments:
        if segment[0] == PT_INTERP:
            interpreter = elf.string(segment[2 if elf.bits == 64 else 1], "latin-1")
    rodata = elf.section(".rodata")
    hints: set[str] = set()
    if rodata is not None and rodata.type != SHT_NOBITS:
        hints = rodata_sonames(buffer, rodata.offset, rodata.offset + rodata.size)
    return ElfFacts(
        path=path,
        arch=arch_of(machine_name(elf.machine), elf.little),
        bits=elf.bits,
        soname=soname,
        needed=tuple(needed),
        rpath=rpath,
        runpath=runpath,
        interpreter=interpreter,
        version_needs=_needs(elf),
        dlopen_strings=tuple(sorted(hints - set(needed) - {soname})),
        dlopen_notes=_dlopen_notes(elf),
    )


def definitions(buffer: Any) -> frozenset[str]:
    elf = ElfTables(buffer)
    section = elf.section(".gnu.version_d")
    if section is None or section.type != SHT_GNU_VERDEF:
        return frozenset()
    return version_definitions(
        elf.data(section), elf.linked_strings(section), section.info, elf.little
    )


def _dynamic(
    elf: ElfTables, segments: list[tuple[int, ...]]
) -> tuple[list[str], str | None, tuple[str, ...], tuple[str, ...]]:
    section = elf.section(".dynamic")
    if section is None or section.type != SHT_DYNAMIC:
        if any(s[0] == PT_DYNAMIC for s in segments):
            raise Unsupported("a dynamic segment without a .dynamic section")
        return [], None, (), ()
    if not 0 <= section.link < len(elf.sections):
        raise ValueError("the dynamic section links no string table")
    strings = elf.sections[section.link]
    if strings.type != SHT_STRTAB:
        raise ValueError("the dynamic section's string table is not one")
    needed: list[str] = []
    soname: str | None = None
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    entry = elf.layout.dynamic
    end = min(section.offset + section.size, len(elf.buffer))
    for offset in range(section.offset, end - entry.size + 1, entry.size):
        tag, value = entry.unpack_from(elf.buffer, offset)
        if tag == 0:  # DT_NULL
            break
        if tag in (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH):
            text = elf.string(strings.offset + value)
            if tag == DT_NEEDED:
                needed.append(text)
            elif tag == DT_SONAME:
                soname = text
            elif tag == DT_RPATH:
                rpath = split_path(text)
            else:
                runpath = split_path(text)
    return needed, soname, rpath, runpath


def _needs(elf: ElfTables) -> tuple[VersionNeed, ...]:
    section = elf.section(".gnu.version_r")
    if section is None or section.type != SHT_GNU_VERNEED:
        return ()
    return version_needs(elf.data(section), elf.linked_strings(section), section.info, elf.little)


def _dlopen_notes(elf: ElfTables) -> tuple[str, ...]:
    section = elf.section(".note.dlopen")
    if section is None or section.type != SHT_NOTE or section.size > NOTE_LIMIT:
        return ()
    data = elf.data(section)
    header = elf.layout.note
    found: list[str] = []
    offset = 0
    while offset + header.size < len(data):
        name_size, desc_size, kind = header.unpack_from(data, offset)
        offset += header.size
        name = data[offset : offset + name_size].split(b"\0", 1)[0].decode("latin-1")
        offset += (name_size + 3) & ~3
        description = data[offset : offset + desc_size]
        offset += (desc_size + 3) & ~3
        if kind == DLOPEN_NOTE and name == "FDO":
            found += dlopen_sonames(description)
    return tuple(dict.fromkeys(found))
