"""Structure-aware mutations of real ELF files: the fields a damaged or crafted file gets
wrong (header, section and program tables, dynamic entries, version sections), set to
the values that break readers (0, all ones, near 2^32, pointing back at themselves), plus
byte flips and truncation. Deterministic: a case number gives the same file every run."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from elftools.elf.elffile import ELFFile

HOSTILE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0, 0x10000]


@dataclass(frozen=True)
class Region:
    """A table or section of the file: where it is, how long an entry is."""

    name: str
    offset: int
    size: int
    entry: int  # bytes per entry, or 1 for a byte blob


def regions(data: bytes) -> list[Region]:
    import io

    elf = ELFFile(io.BytesIO(data))
    header = elf.structs.Elf_Ehdr.sizeof()
    found = [Region("ehdr", 0, header, header)]
    if elf["e_phoff"] and elf["e_phnum"]:
        found.append(
            Region("phdrs", elf["e_phoff"], elf["e_phnum"] * elf["e_phentsize"], elf["e_phentsize"])
        )
    if elf["e_shoff"] and elf["e_shnum"]:
        found.append(
            Region("shdrs", elf["e_shoff"], elf["e_shnum"] * elf["e_shentsize"], elf["e_shentsize"])
        )
    wanted = {".dynamic", ".gnu.version_r", ".gnu.version_d", ".dynstr", ".note.dlopen", ".rodata"}
    for section in elf.iter_sections():
        if section.name in wanted and section["sh_type"] != "SHT_NOBITS" and section["sh_size"]:
            entry = section["sh_entsize"] or (16 if section.name.startswith(".gnu.version") else 1)
            found.append(Region(section.name, section["sh_offset"], section["sh_size"], entry))
    return found


def mutate(data: bytes, case: int) -> tuple[str, bytes]:
    """Case ``case`` of the mutations of ``data``: (what was done, the damaged file)."""
    rng = random.Random(case)
    table = regions(data)
    out = bytearray(data)
    little = data[5] == 1
    kind = rng.choice(["field", "field", "field", "flip", "truncate", "self"])
    if kind == "truncate":
        cut = rng.randrange(0, len(data))
        return f"truncate at {cut}", bytes(data[:cut])
    region = rng.choice(table)
    if region.size <= 0 or region.offset >= len(data):
        return "unchanged", bytes(data)
    at = region.offset + rng.randrange(0, max(region.size, 1))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            spot = region.offset + rng.randrange(0, region.size)
            if spot < len(out):
                out[spot] ^= 1 << rng.randrange(8)
        return f"flip bits in {region.name}", bytes(out)
    width = rng.choice([1, 2, 4, 4, 8])
    fmt = ("<" if little else ">") + {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
    at -= (at - region.offset) % width  # fields are aligned to their width
    if at + width > len(out):
        return "unchanged", bytes(data)
    if kind == "self":
        # An offset or link that points back into its own entry: walks that follow it loop.
        value = max(0, at - region.offset - rng.choice([0, width, region.entry]))
    else:
        value = rng.choice(HOSTILE) if rng.random() < 0.7 else rng.getrandbits(8 * width)
    struct.pack_into(fmt, out, at, value % (1 << (8 * width)))
    return f"{kind} {region.name}+{at - region.offset} = {value:#x} ({width} bytes)", bytes(out)


def cases(data: bytes, count: int, start: int = 0) -> Iterator[tuple[int, str, bytes]]:
    for case in range(start, start + count):
        what, blob = mutate(data, case)
        yield case, what, blob
