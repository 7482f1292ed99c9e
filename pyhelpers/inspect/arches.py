"""Which architectures a wheel's tags claim, and its ELF files for another machine:
a GPU code object or a test file for no machine is never loaded by the host's loader
(a note); a file for another CPU, or one a host file needs, is a broken wheel."""

from __future__ import annotations

import dataclasses
import posixpath
import re

from packaging.utils import parse_wheel_filename

from ..errors import UserError
from .wheel import WheelScan

# The CPUs wheels are built for; an ELF file for anything else (EM_NONE, EM_AMDGPU) is
# never loaded by the host's loader.
_CPU_ARCHES = frozenset(
    {"x86_64", "aarch64", "i686", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64"}
)


def wheel_arches(filename: str) -> set[str]:
    """Architectures the file name claims (empty for pure wheels)."""
    arches = set()
    for tag in parse_wheel_filename(filename)[3]:
        m = re.match(
            r"^(?:manylinux|musllinux)\w*?_\d+_\d+_(.+)$|^manylinux\d+_(.+)$|^linux_(.+)$",
            tag.platform,
        )
        if m:
            arches.add(next(g for g in m.groups() if g))
    return arches


def host_files(scan: WheelScan) -> tuple[WheelScan, list[str]]:
    """The scan without ELF files for another machine than the wheel's tag (a GPU code
    object, a test file for no machine), which the host loader never loads: each is a
    note. One that a host file needs is a broken wheel."""
    claimed = wheel_arches(scan.filename)
    foreign = [e for e in scan.elves if claimed and e.arch not in claimed]
    if not foreign:
        return scan, []
    host = [e for e in scan.elves if e not in foreign]
    needed = {n for e in host for n in (*e.needed, *e.dlopen_notes)}
    for elf in foreign:
        # A file for another CPU is a wheel tagged wrong: an import would load it.
        cpu = elf.arch in _CPU_ARCHES
        if cpu or posixpath.basename(elf.path) in needed or (elf.soname and elf.soname in needed):
            raise UserError(
                f"{scan.filename}: {elf.path} is built for {elf.arch} ({elf.bits}-bit), but the "
                f"wheel claims {', '.join(sorted(claimed))}; the wheel is broken"
            )
    notes = [
        f"{e.path} is an ELF file for {e.arch}, not {', '.join(sorted(claimed))}: "
        "nothing here loads it, so it is not inspected"
        for e in foreign
    ]
    return dataclasses.replace(scan, elves=tuple(host)), notes
