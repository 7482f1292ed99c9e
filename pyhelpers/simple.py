"""Parse Simple Repository API project pages (PEP 691 JSON, PEP 503 HTML) into plain data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin

from .errors import UserError

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
# The header the PEP 691 text recommends: JSON first, HTML as the fallback.
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class IndexFile:
    """One file of a project as the index lists it. ``url`` carries no credentials."""

    filename: str
    url: str
    sha256: str | None
    requires_python: str | None
    yanked: str | None  # None: not yanked; otherwise the reason ("" if none was given)
    size: int | None
    core_metadata: bool
    core_metadata_sha256: str | None


def _sha256(value: Any) -> str | None:
    if isinstance(value, str) and _HEX64.match(value.lower()):
        return value.lower()
    return None


def _metadata_flag(value: Any) -> tuple[bool, str | None]:
    """PEP 658/714: ``true``, ``{"sha256": ...}`` or ``"sha256=..."`` (HTML)."""
    if value is None or value is False:
        return False, None
    if isinstance(value, dict):
        return True, _sha256(value.get("sha256"))
    if isinstance(value, str):
        name, _, digest = value.partition("=")
        return True, _sha256(digest) if name == "sha256" else None
    return bool(value), None


def _yanked(value: Any) -> str | None:
    if value is None or value is False:
        return None
    return value if isinstance(value, str) else ""


def parse_json(text: str, base_url: str, where: str) -> list[IndexFile]:
    """PEP 691 project detail. ``where`` names the page in errors."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UserError(
            f"{where}: the index sent invalid JSON ({exc}); check the index URL"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise UserError(f"{where}: the index's JSON has no 'files' list; is it a PEP 691 index?")
    api = str((doc.get("meta") or {}).get("api-version", "1.0"))
    if not api.startswith("1."):
        raise UserError(f"{where}: Simple API version {api} is not supported (only 1.x)")
    files = []
    for entry in doc["files"]:
        if not isinstance(entry, dict):
            continue
        filename, url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not isinstance(url, str):
            continue
        raw_hashes = entry.get("hashes")
        hashes: dict[str, Any] = raw_hashes if isinstance(raw_hashes, dict) else {}
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata"))
        has_meta, meta_sha = _metadata_flag(metadata)
        size = entry.get("size")
        rp = entry.get("requires-python")
        files.append(
            IndexFile(
                filename=filename,
                url=urldefrag(urljoin(base_url, url)).url,
                sha256=_sha256(hashes.get("sha256")),
                requires_python=rp if isinstance(rp, str) and rp.strip() else None,
                yanked=_yanked(entry.get("yanked")),
                size=size if isinstance(size, int) and size >= 0 else None,
                core_metadata=has_meta,
                core_metadata_sha256=meta_sha,
            )
        )
    return files


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_html(text: str, base_url: str) -> list[IndexFile]:
    """PEP 503 project page, with the PEP 592/658/714 ``data-*`` attributes."""
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    base = urljoin(base_url, parser.base) if parser.base else base_url
    files = []
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        filename = label or url.rsplit("/", 1)[-1]
        algo, _, digest = fragment.partition("=")
        has_meta, meta_sha = False, None
        for key in ("data-core-metadata", "data-dist-info-metadata"):
            if key in attrs:
                # A bare attribute (no value) means "true".
                has_meta, meta_sha = _metadata_flag(attrs[key] or True)
                break
        rp = attrs.get("data-requires-python")
        files.append(
            IndexFile(
                filename=filename,
                url=url,
                sha256=_sha256(digest) if algo == "sha256" else None,
                requires_python=rp if rp and rp.strip() else None,
                yanked=_yanked(attrs["data-yanked"] or True) if "data-yanked" in attrs else None,
                size=None,
                core_metadata=has_meta,
                core_metadata_sha256=meta_sha,
            )
        )
    return files
