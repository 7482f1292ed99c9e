"""Every inflater gives the same scans as zipfile itself on the real wheels, members in
memory or streamed; a damaged member is refused by each of them alike."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from wheelfactory import build_wheel

from pyhelpers.errors import UserError
from pyhelpers.inspect import inflate
from pyhelpers.inspect.elf import MAGIC, as_dict, read_elf
from pyhelpers.inspect.wheel import scan_as_dict, scan_wheel

REAL = Path(__file__).resolve().parent / ".real-wheels"
ENGINES = [name for name in ("zlib", "isal", "zlib-ng") if inflate._load(name) is not None]


def zipfile_scan(path: Path) -> list[dict[str, object]]:
    """The ELF facts of a wheel read with zipfile alone, as before inflate.py."""
    with zipfile.ZipFile(path) as archive:
        found = []
        for info in archive.infolist():
            data = archive.read(info)
            if data[:4] == MAGIC:
                found.append(as_dict(read_elf(io.BytesIO(data), info.filename)))
    return sorted(found, key=lambda e: str(e["path"]))


@pytest.fixture
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MANYLINUX_NIX_INFLATER", request.param)
    inflate.inflater.cache_clear()
    yield request.param
    inflate.inflater.cache_clear()


def test_the_fast_inflaters_are_installed_for_the_tests() -> None:
    assert ENGINES == ["zlib", "isal", "zlib-ng"], "pip install -e '.[test]'"


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("spool", [32 << 20, 1024], ids=["in-memory", "streamed"])
def test_scans_are_the_same_with_every_inflater(
    engine: str, spool: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = sorted(p for p in REAL.glob("*.whl") if "linux" in p.name)
    if not wheels:
        pytest.fail("real wheels missing: run python tests/fetch_real_wheels.py")
    monkeypatch.setattr("pyhelpers.inspect.wheel.SPOOL_BYTES", spool)
    assert inflate.inflater().name == engine
    for wheel in wheels:
        scan = scan_as_dict(scan_wheel(wheel))
        assert scan["elves"] == zipfile_scan(wheel), (engine, wheel.name)


def _damage(wheel: Path, how: str) -> Path:
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(".so"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    # The member's entry in the central directory, which zipfile (and we) trust.
    central = data.find(info.filename.encode(), data.find(b"PK\x01\x02")) - 46
    if how == "crc":  # the bytes inflate, to something else than was written
        struct.pack_into("<I", data, central + 16, info.CRC ^ 0xFFFF)
    elif how == "size":
        struct.pack_into("<I", data, central + 24, info.file_size - 1)
    else:  # the second half of the compressed bytes lost
        half = info.compress_size // 2
        data[start + half : start + info.compress_size] = bytes(info.compress_size - half)
    out = wheel.parent / how / wheel.name
    out.parent.mkdir()
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("how", ["crc", "size", "cut"])
@pytest.mark.parametrize("spool", [32 << 20, 1024], ids=["in-memory", "streamed"])
def test_a_damaged_member_is_refused_by_every_inflater(
    engine: str, how: str, spool: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pyhelpers.inspect.wheel.SPOOL_BYTES", spool)
    wheel = build_wheel(
        tmp_path, "dep", "1.0", "cp312-cp312-manylinux_2_17_x86_64", c_extension=True
    )
    with pytest.raises(UserError, match="the wheel is corrupt"):
        scan_wheel(_damage(wheel, how))
