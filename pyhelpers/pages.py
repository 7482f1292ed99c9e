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
from dataclasses import asdict, dataclass

import requests

from .cache import cache_dir, write_bytes_atomic

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


def _expires(response: requests.Response) -> float:
    control = response.headers.get("Cache-Control", "")
    if _NO_STORE.search(control):
        return 0.0
    m = _MAX_AGE.search(control)
    if not m:
        return 0.0
    age = response.headers.get("Age", "0")
    return time.time() + int(m.group(1)) - (int(age) if age.isdigit() else 0)


def load(url: str) -> Page | None:
    path = cache_dir("pages") / _path(url)
    try:
        page = Page(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # absent, or written by another version: fetch again
    return page if page.url == url else None


def store(url: str, response: requests.Response) -> Page:
    if "charset" not in response.headers.get("Content-Type", "").lower():
        # Simple API pages are UTF-8; without this, requests guesses from the bytes.
        response.encoding = "utf-8"
    page = Page(
        url=url,
        final_url=response.url,
        content_type=response.headers.get("Content-Type", ""),
        body=response.text,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        expires=_expires(response),
    )
    if page.etag or page.last_modified or page.expires:
        write_bytes_atomic(cache_dir("pages") / _path(url), json.dumps(asdict(page)).encode())
    return page


def revalidated(page: Page, response: requests.Response) -> Page:
    """The cached page after a 304: same body, new validators and freshness."""
    renewed = Page(
        url=page.url,
        final_url=page.final_url,
        content_type=page.content_type,
        body=page.body,
        etag=response.headers.get("ETag", page.etag),
        last_modified=response.headers.get("Last-Modified", page.last_modified),
        expires=_expires(response),
    )
    write_bytes_atomic(cache_dir("pages") / _path(page.url), json.dumps(asdict(renewed)).encode())
    return renewed
