"""Read projects from one or more Simple API indexes.

The first index that knows a project answers for it, as uv does by default: merging
all indexes lets a public upload shadow a private package (dependency confusion).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from packaging.utils import NormalizedName, canonicalize_name

from . import pages, simple
from .errors import UserError
from .http import HttpClient, status_error
from .urls import DEFAULT_INDEX, index_key, redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Project:
    name: NormalizedName
    index_url: str  # credential-free
    files: tuple[simple.IndexFile, ...]


@dataclass
class Index:
    client: HttpClient
    urls: list[str]
    _projects: dict[NormalizedName, Project] = field(default_factory=dict)

    @classmethod
    def open(cls, client: HttpClient, index_url: str | None, extra: list[str]) -> Index:
        urls = [client.add_url_credentials(u) for u in [index_url or DEFAULT_INDEX, *extra]]
        return cls(client, [index_key(u) for u in urls])

    def project(self, name: str) -> Project:
        """All files of ``name``, from the first index that has it (cached per run)."""
        key = canonicalize_name(name)
        if key not in self._projects:
            self._projects[key] = self._fetch(key)
        return self._projects[key]

    def _fetch(self, name: NormalizedName) -> Project:
        for base in self.urls:
            page = f"{base}{name}/"
            cached = pages.load(page)
            if cached is not None and cached.fresh():
                log.debug("%s: page cached until %s", name, cached.expires)
                return self._project(name, base, cached)
            headers = {"Accept": simple.ACCEPT, **(cached.validators() if cached else {})}
            response = self.client.get(page, headers=headers)
            if response.status_code == 304 and cached is not None:
                return self._project(name, base, pages.revalidated(cached, response))
            if response.status_code == 404:
                log.debug("%s: not on %s", name, base)
                continue
            if response.status_code != 200:
                raise status_error(response, f"project {name!r}")
            return self._project(name, base, pages.store(page, response))
        where = ", ".join(redact(u) for u in self.urls)
        raise UserError(f"unknown package {name!r}: no such project on {where}; check the name")

    def _project(self, name: NormalizedName, base: str, page: pages.Page) -> Project:
        files = _parse(page.body, page.content_type, page.final_url)
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
