"""Read projects from one or more Simple API indexes.

The first index that knows a project answers for it, as uv does by default: merging
all indexes lets a public upload shadow a private package (dependency confusion).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from packaging.utils import NormalizedName, canonicalize_name

from ..errors import UserError
from . import pages, simple
from .http import HttpClient, fetched_status_error
from .urls import DEFAULT_INDEX, index_key, redact

log = logging.getLogger(__name__)

# Decoded bytes of one project page; PyPI's largest are a few tens of megabytes.
PAGE_LIMIT = 64 << 20


@dataclass(frozen=True)
class Project:
    name: NormalizedName
    index_url: str  # credential-free
    files: tuple[simple.IndexFile, ...]


@dataclass
class Index:
    client: HttpClient
    urls: list[str]
    # Asked for what another tool's lock names (convert): a project missing there was
    # deleted, not misspelled.
    for_lock: bool = False
    # One fetch per project and run, started early by prefetch() where it can overlap.
    _projects: dict[NormalizedName, Future[Project]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="index")
    )

    @classmethod
    def open(cls, client: HttpClient, index_url: str | None, extra: list[str]) -> Index:
        urls = [client.add_url_credentials(u) for u in [index_url or DEFAULT_INDEX, *extra]]
        return cls(client, [index_key(u) for u in urls])

    def project(self, name: str) -> Project:
        """All files of ``name``, from the first index that has it (cached per run)."""
        return self._future(canonicalize_name(name), background=False).result()

    def prefetch(self, names: Iterable[str]) -> None:
        """Start fetching these projects in the background: the resolver will want them."""
        for name in names:
            self._future(canonicalize_name(name), background=True)

    def _future(self, key: NormalizedName, *, background: bool) -> Future[Project]:
        with self._lock:
            future = self._projects.get(key)
            new = future is None
            if future is None:
                future = self._pool.submit(self._fetch, key) if background else Future()
                self._projects[key] = future
        if new and not background:
            # Fetched in this thread, outside the lock; a failure is kept like a result.
            future.set_running_or_notify_cancel()
            try:
                future.set_result(self._fetch(key))
            except BaseException as exc:
                future.set_exception(exc)
        return future

    def _fetch(self, name: NormalizedName) -> Project:
        if self.client.offline:
            return self._cached_only(name)
        for base in self.urls:
            page = f"{base}{name}/"
            cached = pages.load(page)
            if cached is not None and cached.fresh():
                log.debug("%s: page cached until %s", name, cached.expires)
                return self._project(name, base, cached)
            headers = {"Accept": simple.ACCEPT, **(cached.validators() if cached else {})}
            fetched = self.client.fetch(
                page, headers=headers, limit=PAGE_LIMIT, what=f"the project page of {name!r}"
            )
            if fetched.status == 304 and cached is not None:
                return self._project(name, base, pages.revalidated(cached, fetched))
            if fetched.status == 404:
                log.debug("%s: not on %s", name, base)
                continue
            if fetched.status != 200:
                raise fetched_status_error(fetched, f"project {name!r}")
            return self._project(name, base, pages.store(page, fetched))
        where = ", ".join(redact(u) for u in self.urls)
        if self.for_lock:
            raise UserError(
                f"{name!r} is not on {where} any more (the lock names it); it was removed "
                "from the index: lock again without it, or give the index that still has it"
            )
        raise UserError(f"unknown package {name!r}: no such project on {where}; check the name")

    def _cached_only(self, name: NormalizedName) -> Project:
        """Offline: the kept page of the first index that has one, however old."""
        for base in self.urls:
            cached = pages.load(f"{base}{name}/")
            if cached is not None:
                return self._project(name, base, cached)
        where = ", ".join(redact(u) for u in self.urls)
        raise UserError(
            f"offline: the cache has no index page of {name!r} from {where}; run once "
            "without --offline (and MANYLINUX_NIX_OFFLINE unset) to fetch it"
        )

    def _project(self, name: NormalizedName, base: str, page: pages.Page) -> Project:
        # Only a URL with an "@" can carry credentials (the rest, nearly all, are kept).
        files = [
            replace(f, url=self.client.add_url_credentials(f.url)) if "@" in f.url else f
            for f in _parse(page.body, page.content_type, page.final_url)
        ]
        log.info("%s: %d files on %s", name, len(files), redact(base))
        return Project(name, base, tuple(files))


def _parse(text: str, content_type: str, url: str) -> list[simple.IndexFile]:
    ctype = content_type.split(";")[0].strip().lower()
    where = redact(url)
    if ctype == simple.JSON_TYPE:
        return simple.parse_json(text, url, where)
    if ctype in simple.HTML_TYPES or ctype == "":
        return simple.parse_html(text, url)
    raise UserError(f"{where}: the index answered with {ctype!r}, not a Simple API page")
