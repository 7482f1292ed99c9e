"""The fast reader (struct over the file's bytes) gives exactly the facts pyelftools
gives, on every ELF member of the real wheels and on files built here with RPATH,
RUNPATH, version needs and FDO dlopen notes; the layouts it leaves alone reach
pyelftools and are still read."""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from elfbuild import PLAIN_LIBRARY, compile_so
from hostmarks import needs_x86_64

from pyhelpers.inspect import elfpyelftools, elftables
from pyhelpers.inspect.elf import MAGIC, defined_versions, read_elf, read_elf_data

REAL = Path(__file__).resolve().parent / ".real-wheels"

DLOPEN_NOTE = r"""
#include <stdio.h>
__attribute__((section(".note.dlopen"), aligned(4), used))
static const struct { unsigned n, d, t; char name[4]; char desc[48]; } note = {
    4, 48, 0x407c0c0a, "FDO",
    "[{\"soname\":[\"libzstd.so.1\"],\"priority\":\"a\"}]"
};
int f(void) { puts("libfoo.so.2"); return 0; }
"""


def real_members() -> list[tuple[str, bytes]]:
    found = []
    for wheel in sorted(REAL.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                if data[:4] == MAGIC:
                    found.append((f"{wheel.name}!{info.filename}", data))
    if not found:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    return found


def test_both_readers_agree_on_every_real_member() -> None:
    members = real_members()
    assert len(members) > 30
    for label, data in members:
        fast = elftables.read(data, label)
        slow = elfpyelftools.read(io.BytesIO(data), data, label)
        assert fast == slow, label
        assert elftables.definitions(data) == elfpyelftools.definitions(
            io.BytesIO(data), len(data)
        ), label
    # Not a toy set: big- and little-endian, 32- and 64-bit, several architectures.
    kinds = {(f.arch, f.bits) for f in (elftables.read(d, lb) for lb, d in members)}
    assert {("x86_64", 64), ("aarch64", 64), ("i686", 32), ("s390x", 64)} <= kinds


@needs_x86_64
def test_both_readers_agree_on_rpath_runpath_versions_and_dlopen_notes(tmp_path: Path) -> None:
    files = [
        compile_so(tmp_path / "a/liba.so", PLAIN_LIBRARY, soname="liba.so.1",
                   add_needed=("libstdc++.so.6", "libz.so.1"), rpath="$ORIGIN/../lib:/opt/x"),
        compile_so(tmp_path / "b/libb.so", DLOPEN_NOTE, link_args=("-Wl,--enable-new-dtags",),
                   rpath="$ORIGIN"),
    ]  # fmt: skip
    for path in files:
        data = path.read_bytes()
        fast = elftables.read(data, path.name)
        assert fast == elfpyelftools.read(io.BytesIO(data), data, path.name)
        with path.open("rb") as handle:  # mapped, not read
            assert read_elf(handle, path.name) == fast
    a, b = (elftables.read(p.read_bytes(), p.name) for p in files)
    assert a.soname == "liba.so.1" and a.rpath == ("$ORIGIN/../lib", "/opt/x")
    assert b.dlopen_notes == ("libzstd.so.1",) and "libfoo.so.2" in b.dlopen_strings


@needs_x86_64
def test_a_file_without_section_headers_is_read_by_pyelftools(tmp_path: Path) -> None:
    path = compile_so(tmp_path / "libc.so", PLAIN_LIBRARY, add_needed=("libz.so.1",))
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff: the loader needs only PT_DYNAMIC
    struct.pack_into("<HHH", data, 0x3C, 0, 0, 0)  # e_shnum, e_shstrndx
    with pytest.raises(elftables.Unsupported):
        elftables.read(bytes(data), "libc.so")
    facts = read_elf_data(bytes(data), "libc.so")
    assert "libz.so.1" in facts.needed
    stripped = tmp_path / "stripped.so"
    stripped.write_bytes(bytes(data))
    with stripped.open("rb") as handle:
        assert read_elf(handle, "libc.so") == facts
        assert defined_versions(handle) == frozenset()


@needs_x86_64
def test_installed_files_are_mapped_not_read(tmp_path: Path) -> None:
    """A 200 MB library whose needs sit in its first pages: reading it touches those."""
    path = compile_so(tmp_path / "libbig.so", PLAIN_LIBRARY, add_needed=("libz.so.1",))
    with path.open("ab") as handle:
        handle.truncate(path.stat().st_size + (200 << 20))  # a sparse tail: no pages at all
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss keeps the parent's peak.
    code = (
        "import re; from pyhelpers.inspect.elf import read_elf; "
        f"f = read_elf(open({str(path)!r}, 'rb'), 'libbig.so'); "
        "print(f.needed, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    )
    done = subprocess.run(
        [__import__("sys").executable, "-c", code], capture_output=True, text=True, check=True
    )
    needed, peak = done.stdout.rsplit(" ", 1)
    assert "libz.so.1" in needed
    assert int(peak) < 100 * 1024, peak  # KiB: far below the file's 200 MB
