"""The ELF reader built on pyelftools: the reference the fast reader (elftables.py) is
tested against, and what reads the files it leaves to others (no section headers, only
a PT_DYNAMIC segment, as a stripped or crafted file may have)."""

from __future__ import annotations

from typing import IO, Any

from elftools.elf.dynamic import DynamicSection, DynamicSegment
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import NoteSection
from elftools.elf.segments import InterpSegment

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


def read(stream: IO[bytes], buffer: Any, path: str) -> ElfFacts:
    """Facts of the ELF file in ``stream``; ``buffer`` holds the same bytes, for the
    scan of read-only data. Raises what pyelftools raises on damaged data."""
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
                rpath = split_path(_value(tag, "rpath"))
            elif kind == "DT_RUNPATH":
                runpath = split_path(_value(tag, "runpath"))
    interpreter = None
    for segment in elf.iter_segments(type="PT_INTERP"):
        if isinstance(segment, InterpSegment):
            interpreter = segment.get_interp_name()
    rodata = elf.get_section_by_name(".rodata")
    hints: set[str] = set()
    if rodata is not None and rodata["sh_type"] != "SHT_NOBITS":
        start = rodata["sh_offset"]
        hints = rodata_sonames(buffer, start, start + rodata["sh_size"])
    return ElfFacts(
        path=path,
        arch=arch_of(elf["e_machine"], elf.little_endian),
        bits=elf.elfclass,
        soname=soname,
        needed=tuple(needed),
        rpath=rpath,
        runpath=runpath,
        interpreter=interpreter,
        version_needs=_needs(elf, len(buffer)),
        dlopen_strings=tuple(sorted(hints - set(needed) - {soname})),
        dlopen_notes=_dlopen_notes(elf),
    )


def definitions(stream: IO[bytes], size: int) -> frozenset[str]:
    """The symbol versions the library in ``stream`` defines (``.gnu.version_d``)."""
    elf = ELFFile(stream)
    section = elf.get_section_by_name(".gnu.version_d")
    if section is None or section["sh_type"] != "SHT_GNU_verdef":
        return frozenset()
    data, strings = _with_strings(elf, section, size)
    return version_definitions(data, strings, section["sh_info"], elf.little_endian)


def _needs(elf: ELFFile, size: int) -> tuple[VersionNeed, ...]:
    section = elf.get_section_by_name(".gnu.version_r")
    if section is None or section["sh_type"] != "SHT_GNU_verneed":
        return ()
    data, strings = _with_strings(elf, section, size)
    return version_needs(data, strings, section["sh_info"], elf.little_endian)


def _with_strings(elf: ELFFile, section: Any, size: int) -> tuple[bytes, bytes]:
    link = section["sh_link"]
    if not 0 < link < elf.num_sections():
        raise ValueError(f"section {section.name} links no string table")
    return _data(section, size), _data(elf.get_section(link), size)


def _data(section: Any, size: int) -> bytes:
    if section["sh_size"] > size or section["sh_type"] == "SHT_NOBITS":
        raise ValueError(f"section {section.name} is larger than the file")
    return bytes(section.data())


def _dynamic(elf: ELFFile) -> DynamicSection | DynamicSegment | None:
    section = elf.get_section_by_name(".dynamic")
    if isinstance(section, DynamicSection):
        return section
    # Stripped section headers: the loader only needs PT_DYNAMIC, and so do we.
    for segment in elf.iter_segments(type="PT_DYNAMIC"):
        if isinstance(segment, DynamicSegment):
            return segment
    return None


def _dlopen_notes(elf: ELFFile) -> tuple[str, ...]:
    section = elf.get_section_by_name(".note.dlopen")
    if not isinstance(section, NoteSection) or section["sh_size"] > NOTE_LIMIT:
        return ()
    found: list[str] = []
    for note in section.iter_notes():
        kind: object = note["n_type"]
        if kind == DLOPEN_NOTE and note["n_name"] == "FDO":
            found += dlopen_sonames(note["n_desc"])
    return tuple(dict.fromkeys(found))


def _value(tag: Any, attribute: str) -> str:
    # pyelftools sets these string attributes per tag kind, out of its type stubs' sight.
    return str(vars(tag)[attribute])
