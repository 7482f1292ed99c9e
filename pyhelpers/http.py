"""One HTTP client for every index and file request: retries, timeouts, credentials.

Credentials given in an index URL (``https://user:password@host/simple``) are split off the
URL before anything else sees it, kept here by host, and sent only to that host. netrc
is honoured by requests itself for hosts we hold nothing for. URLs that leave this
module are always credential-free, so nothing downstream can write a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import __version__
from .errors import UserError
from .urls import redact, split_credentials

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _host_key(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


@dataclass
class HttpClient:
    timeout: tuple[float, float] = (10.0, 60.0)
    retries: int = 5
    backoff: float = 0.5
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            backoff_factor=self.backoff,
            backoff_max=30,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            # Give us the last response, so the error names the status the index kept sending.
            raise_on_status=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = f"manylinux-nix/{__version__}"

    def add_url_credentials(self, url: str) -> str:
        """Remember the credentials inside ``url`` for its host; return the clean URL."""
        clean, creds = split_credentials(url)
        if creds is not None:
            self.credentials[_host_key(urlsplit(clean))] = creds
        return clean

    def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, stream: bool = False
    ) -> requests.Response:
        """GET with retries. Transport failures become a UserError; HTTP statuses do not."""
        url = self.add_url_credentials(url)
        auth = self.credentials.get(_host_key(urlsplit(url)))
        log.debug("GET %s", url)
        try:
            return self.session.get(
                url, headers=dict(headers or {}), auth=auth, timeout=self.timeout, stream=stream
            )
        except requests.exceptions.Timeout as exc:
            raise UserError(
                f"{url}: no answer within {self.timeout[1]:.0f} s; check the index or try again"
            ) from exc
        except requests.exceptions.RequestException as exc:
            reason = _short_reason(exc)
            raise UserError(f"cannot fetch {url}: {reason}; check the URL and the network") from exc


def _short_reason(exc: Exception) -> str:
    text = str(exc.__context__ or exc) if isinstance(exc, requests.ConnectionError) else str(exc)
    text = text.splitlines()[0] if text else type(exc).__name__
    return text[:200]


def status_error(response: requests.Response, what: str) -> UserError:
    """A one-line error for an HTTP status we cannot use."""
    hint = {
        401: "the index wants credentials: put them in the URL or ~/.netrc",
        403: "the index refused access: check the credentials",
        404: "not found",
        429: "the index kept rate-limiting; try again later",
    }.get(response.status_code, "the index kept failing; try again later")
    return UserError(f"{what}: HTTP {response.status_code} from {redact(response.url)} ({hint})")
