"""Index project pages kept between runs, as HTTP caching allows.

A page is reused without asking while its ``Cache-Control: max-age`` lasts (PyPI gives
600 s); after that it is revalidated with its ``ETag``/``Last-Modified``, and a 304
answer reuses it again. Entries are keyed by the page URL, which carries no credentials.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from .. import cache
from .http import Fetched

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(no-store|no-cache|private)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    url: str
    final_url: str
    content_type: str
    body: str
    etag: str | None
    last_modified: str | None
    expires: float

    def fresh(self) -> bool:
        return time.time() < self.expires

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def _path(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest() + ".json"


_MAX_AGE_CAP = 24 * 3600
# A link with user info (a scheme, "//", then a name and password before "@", as some
# private indexes echo the credentials they were asked with) must never reach the disk:
# such a page is not kept, and is fetched again next time. User info may hold quotes and
# angle brackets, so anything up to "@" that is not a path, query or fragment delimiter
# counts.
_USERINFO = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@]*@")
_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "final_url": (str,),
    "content_type": (str,),
    "body": (str,),
    "etag": (str, type(None)),
    "last_modified": (str, type(None)),
    "expires": (int, float),
}


def _expires(headers: Mapping[str, str]) -> float:
    control = headers.get("Cache-Control", "")
    if _NO_STORE.search(control):
        return 0.0
    m = _MAX_AGE.search(control)
    if not m:
        return 0.0
    age = headers.get("Age", "0")
    seconds = min(int(m.group(1)[:8]), _MAX_AGE_CAP)
    return time.time() + seconds - (int(age[:8]) if age.isdigit() else 0)


def load(url: str) -> Page | None:
    """The cached page of ``url``: None when absent, damaged or of another shape (an
    entry that is no page is never trusted; it is fetched again)."""
    raw = cache.read_entry(cache.cache_dir("pages") / _path(url))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) != {f.name for f in fields(Page)}:
        return None
    if not all(isinstance(data[k], t) for k, t in _TYPES.items()):
        return None
    page = Page(**data)
    return page if page.url == url else None


def _keep(page: Page) -> None:
    data = json.dumps(asdict(page)).encode()
    if _USERINFO.search(page.body.encode()) or _USERINFO.search(page.final_url.encode()):
        return
    cache.write_entry(cache.cache_dir("pages") / _path(page.url), data)


def _text(fetched: Fetched) -> str:
    # Simple API pages are UTF-8 unless the response says otherwise.
    match = re.search(r"charset=([\w.-]+)", fetched.headers.get("Content-Type", ""), re.I)
    try:
        return fetched.content.decode(match.group(1) if match else "utf-8", "replace")
    except LookupError:
        return fetched.content.decode("utf-8", "replace")


def store(url: str, fetched: Fetched) -> Page:
    page = Page(
        url=url,
        final_url=fetched.url,
        content_type=fetched.headers.get("Content-Type", ""),
        body=_text(fetched),
        etag=fetched.headers.get("ETag"),
        last_modified=fetched.headers.get("Last-Modified"),
        expires=_expires(fetched.headers),
    )
    # Kept even without validators: --offline answers from it, and online it is only
    # used when fresh or confirmed by a 304.
    _keep(page)
    return page


def revalidated(page: Page, fetched: Fetched) -> Page:
    """The cached page after a 304: same body, new validators and freshness."""
    renewed = Page(
        url=page.url,
        final_url=page.final_url,
        content_type=page.content_type,
        body=page.body,
        etag=fetched.headers.get("ETag", page.etag),
        last_modified=fetched.headers.get("Last-Modified", page.last_modified),
        expires=_expires(fetched.headers),
    )
    _keep(renewed)
    return renewed
