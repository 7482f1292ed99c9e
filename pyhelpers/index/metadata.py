"""Core metadata (Requires-Dist, Requires-Python) of a wheel, as cheaply as the index allows.

Order: the PEP 658 ``.metadata`` file when the index advertises it; the same URL when
the index serves it without advertising it (seen on PyPI mirrors; a host that never
does stops being asked after a few misses); else the wheel's METADATA member read with
HTTP Range requests (three small requests, even for a 500 MB wheel); else the whole
wheel, downloaded into the cache where ``inspect`` will want it anyway.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from packaging.metadata import parse_email
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..cache import cache_dir, read_entry, write_entry
from ..errors import UserError, printable, quoted
from ..target import pep508
from ..wheelfile import ZIP_ERRORS, zip_reason
from . import rangezip
from .download import fetch_file
from .http import HttpClient
from .simple import IndexFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoreMetadata:
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    # Provides-Extra, and extras that markers name without declaring them (old metadata).
    extras: tuple[str, ...] = ()


_EXTRA_IN_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


METADATA_LIMIT = 8 << 20  # decoded bytes; real METADATA files are a few kilobytes


def parse_metadata(data: bytes, filename: str) -> CoreMetadata:
    raw, _unparsed = parse_email(data)
    requirements = []
    for text in raw.get("requires_dist", []):
        try:
            requirements.append(pep508.requirement(text))
        except pep508.Invalid as exc:
            raise UserError(
                f"{printable(filename)}: Requires-Dist {quoted(text, 200)} {exc}; "
                "the package's metadata is broken: pin another version"
            ) from None
    extras = {canonicalize_name(e) for e in raw.get("provides_extra", [])}
    for req in requirements:
        extras.update(canonicalize_name(e) for e in _EXTRA_IN_MARKER.findall(str(req.marker)))
    return CoreMetadata(tuple(requirements), raw.get("requires_python"), tuple(sorted(extras)))


def metadata_from_wheel(path: str, filename: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [
                n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise UserError(f"{filename}: expected one .dist-info/METADATA, found {len(names)}")
            return zf.read(names[0])
    except (*ZIP_ERRORS, OSError) as exc:
        raise UserError(
            f"{filename}: not a readable zip file ({zip_reason(exc)}); the wheel is corrupt"
        ) from exc


PROBE_MISSES = 3  # unadvertised .metadata misses before a host is no longer asked


@dataclass
class MetadataSource:
    client: HttpClient
    _hits: set[str] = field(default_factory=set)
    _misses: dict[str, int] = field(default_factory=dict)

    def get(self, file: IndexFile) -> CoreMetadata:
        cached = cache_dir("metadata") / f"{file.sha256}.METADATA" if file.sha256 else None
        kept = read_entry(cached) if cached is not None else None
        if kept is not None:
            return parse_metadata(kept, file.filename)
        data = self._from_index(file)
        sha256 = file.sha256
        if data is None:
            data = rangezip.read_member(self.client, file.url, ".dist-info/METADATA")
        if data is None:
            path, sha256 = fetch_file(self.client, file)
            data = metadata_from_wheel(str(path), file.filename)
        if sha256:
            write_entry(cache_dir("metadata") / f"{sha256}.METADATA", data)
        return parse_metadata(data, file.filename)

    def _from_index(self, file: IndexFile) -> bytes | None:
        host = urlsplit(file.url).netloc
        if (
            not file.core_metadata
            and host not in self._hits
            and self._misses.get(host, 0) >= PROBE_MISSES
        ):
            return None
        fetched = self.client.fetch(
            file.url + ".metadata", limit=METADATA_LIMIT, what=f"{file.filename}.metadata"
        )
        data = fetched.content if fetched.status == 200 else b""
        # Some servers answer 200 with an HTML page for any path they do not have.
        if not data or (not file.core_metadata and not data.startswith(b"Metadata-Version:")):
            if not file.core_metadata:
                self._misses[host] = self._misses.get(host, 0) + 1
            log.debug("%s.metadata: HTTP %d", file.filename, fetched.status)
            return None
        expected = file.core_metadata_sha256
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise UserError(
                f"{file.filename}.metadata does not match the sha256 the index gave; refusing it"
            )
        self._hits.add(host)
        return data
