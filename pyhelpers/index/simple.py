"""Parse Simple Repository API project pages (PEP 691 JSON, PEP 503 HTML) into plain data."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from ..errors import UserError, reason

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


# A name that could be a distribution file: no path parts, no control characters (a NUL
# in a name ends the string in Nix's fromJSON, a newline forges output lines).
_NAME = re.compile(r"[A-Za-z0-9._+!~%\-]{1,255}")


def _plausible(filename: str) -> bool:
    return _NAME.fullmatch(filename) is not None


# An absolute URL with a plain host, no port, no fragment: as it is (PyPI's file URLs;
# urljoin, urlsplit and urldefrag were most of a warm re-run's time on big pages).
_PLAIN_ABSOLUTE = re.compile(r"(?!.*/\.)https?://[A-Za-z0-9.-]{1,253}/[^#\s\\]*")


def _join(base: str, href: str) -> str | None:
    """An absolute URL, or None for one that does not parse (a bad IPv6 literal or port)."""
    if _PLAIN_ABSOLUTE.fullmatch(href):
        return href
    try:
        joined = urljoin(base, href)
        if "//" in href:  # a host of its own: check it (a relative link shares the page's)
            urlsplit(joined).port  # noqa: B018 - raises on a bad port or IPv6 literal
    except ValueError:
        return None
    return joined


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
    except (ValueError, RecursionError) as exc:
        raise UserError(
            f"{where}: the index sent invalid JSON ({reason(exc, 120)}); check the index URL"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise UserError(f"{where}: the index's JSON has no 'files' list; is it a PEP 691 index?")
    meta = doc.get("meta")
    api = str(meta.get("api-version", "1.0") if isinstance(meta, dict) else "1.0")
    if not api.startswith("1."):
        raise UserError(f"{where}: Simple API version {api} is not supported (only 1.x)")
    files = []
    for entry in doc["files"]:
        if not isinstance(entry, dict):
            continue
        filename, url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not isinstance(url, str) or not _plausible(filename):
            continue
        joined = _join(base_url, url)
        if joined is None:
            continue
        if "#" in joined:
            joined = urldefrag(joined).url
        raw_hashes = entry.get("hashes")
        hashes: dict[str, Any] = raw_hashes if isinstance(raw_hashes, dict) else {}
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata"))
        has_meta, meta_sha = _metadata_flag(metadata)
        size = entry.get("size")
        rp = entry.get("requires-python")
        files.append(
            IndexFile(
                filename=filename,
                url=joined,
                sha256=_sha256(hashes.get("sha256")),
                requires_python=rp if isinstance(rp, str) and rp.strip() else None,
                yanked=_yanked(entry.get("yanked")),
                size=size if isinstance(size, int) and size >= 0 else None,
                core_metadata=has_meta,
                core_metadata_sha256=meta_sha,
            )
        )
    return files


# A linear scan for <a ...>label and <base href>: html.parser backtracks on hostile
# pages (an unclosed tag or quote re-scans the rest of the page at every position).
_TAG = re.compile(r"<(a|base)(?=[\s/>])", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"""\s*([^\s"'>/=]{1,256})(?:\s*=\s*(?:"([^"]{0,65536})"|'([^']{0,65536})'|([^\s"'=<>`]{1,65536})))?"""
)
_LABEL_LIMIT = 4096


def _anchors(text: str) -> tuple[str | None, list[tuple[dict[str, str | None], str]]]:
    base: str | None = None
    anchors: list[tuple[dict[str, str | None], str]] = []
    pos = 0
    while (match := _TAG.search(text, pos)) is not None:
        attrs: dict[str, str | None] = {}
        pos = match.end()
        while (attr := _ATTRIBUTE.match(text, pos)) is not None:
            name = attr.group(1).lower()
            raw = next((g for g in attr.group(2, 3, 4) if g is not None), None)
            attrs.setdefault(name, None if raw is None else html.unescape(raw))
            pos = attr.end()
        end = text.find(">", pos)
        if end < 0:
            break
        pos = end + 1
        if match.group(1).lower() == "base":
            base = base or attrs.get("href")
            continue
        stop = text.find("<", pos, pos + _LABEL_LIMIT)
        label = text[pos : stop if stop >= 0 else pos + _LABEL_LIMIT]
        anchors.append((attrs, html.unescape(label).strip()))
    return base, anchors


def parse_html(text: str, base_url: str) -> list[IndexFile]:
    """PEP 503 project page, with the PEP 592/658/714 ``data-*`` attributes."""
    found_base, anchors = _anchors(text)
    base = (_join(base_url, found_base) if found_base else None) or base_url
    files = []
    for attrs, label in anchors:
        href = attrs.get("href")
        if not href:
            continue
        joined = _join(base, href)
        if joined is None:
            continue
        url, fragment = urldefrag(joined)
        filename = label or url.rsplit("/", 1)[-1]
        if not _plausible(filename):
            continue
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
