"""One HTTP client for every index and file request: retries, deadlines, credentials.

Credentials given in an index URL (``https://user:password@host/simple``) are split off the
URL before anything else sees it, kept here by host, and sent only to that host. netrc
is honoured by requests itself for hosts we hold nothing for. URLs that leave this
module are always credential-free, so nothing downstream can write a secret.

A hostile or broken server cannot hold a run: every request has a deadline over all its
retries (a server's ``Retry-After`` is honoured up to a cap, and said), bodies of pages
and metadata are read within a deadline and a size limit on the decoded bytes (a small
gzip response can inflate to gigabytes), and a download that stalls is cut off.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import requests
import urllib3
import urllib3.connection
import urllib3.response

from .. import __version__
from ..errors import UserError
from .urls import redact, split_credentials
from .watchdog import Watchdog

log = logging.getLogger(__name__)
_R = TypeVar("_R")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 60.0  # seconds: a server asking for an hour gets a minute, and we say so
BACKOFF_CAP = 30.0
CHUNK = 16 << 10
# A body that brings less than this per read-timeout period is stalled (a server that
# drips a byte a second never trips a socket timeout).


def _host_key(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


@dataclass(frozen=True)
class Fetched:
    """A response whose body was read within the limits."""

    status: int
    url: str  # after redirects, credential-free
    headers: Mapping[str, str]
    content: bytes


@dataclass
class HttpClient:
    timeout: tuple[float, float] = (10.0, 60.0)
    retries: int = 5
    backoff: float = 0.5
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Called with one line per retry ("retrying host (2/5): connection refused").
    on_retry: Callable[[str], None] | None = None
    # --offline: nothing leaves the machine; what the cache lacks is an error naming it.
    offline: bool = False
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.timeout[1]) and self.timeout[1] > 0):
            raise UserError(f"timeout {self.timeout[1]} is not a positive number of seconds")
        self.session = requests.Session()
        # Retries are ours (below): one line each, a deadline over all of them.
        adapter = _GuardedAdapter(max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = f"manylinux-nix/{__version__}"

    @property
    def deadline(self) -> float:
        """Seconds one request may take over all its retries."""
        return max(30.0, 4 * self.timeout[1])

    def add_url_credentials(self, url: str) -> str:
        """Remember the credentials inside ``url`` for its host; return the clean URL."""
        clean, creds = split_credentials(url)
        if creds is not None:
            self.credentials[_host_key(urlsplit(clean))] = creds
        return clean

    def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, stream: bool = False
    ) -> requests.Response:
        """GET with retries on connection errors and 429/5xx, within :attr:`deadline`.
        Transport failures become a UserError; other HTTP statuses are returned."""
        url = self.add_url_credentials(url)
        if self.offline:
            raise UserError(
                f"offline: {redact(url)} is not in the cache; run once without --offline "
                "(and MANYLINUX_NIX_OFFLINE unset) to fetch it"
            )
        parts = urlsplit(url)
        auth = self.credentials.get(_host_key(parts))
        host = parts.hostname or redact(url)
        start = time.monotonic()
        for attempt in range(self.retries + 1):
            remaining = self.deadline - (time.monotonic() - start)
            timeout = (min(self.timeout[0], remaining), min(self.timeout[1], remaining))
            log.debug("GET %s", url)
            _REQUEST.read, _REQUEST.until = timeout[1], start + self.deadline
            try:
                response = self.session.get(
                    url, headers=dict(headers or {}), auth=auth, timeout=timeout, stream=True
                )
            except requests.exceptions.Timeout as exc:
                failure: UserError = UserError(
                    f"{url}: {self._timed_out(exc, timeout)}; check the index or try again"
                )
                reason, wait = "no answer (timed out)", self._backoff(attempt)
                error: Exception = exc
            except requests.exceptions.RequestException as exc:
                reason = _short_reason(exc)
                failure = UserError(f"cannot fetch {url}: {reason}; check the URL and the network")
                wait, error = self._backoff(attempt), exc
                if reason == HOST_NOT_FOUND and attempt >= 1:
                    # A name that does not resolve twice will not resolve a third time:
                    # one retry covers a resolver's hiccup, more only make the user wait.
                    raise failure from error
            else:
                if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                    if not stream:
                        response.content  # noqa: B018 - read now, as requests does
                    return response
                wait, reason = self._retry_after(response, attempt)
                failure = status_error(response, f"GET {url}", asked=reason)
                error = RuntimeError()
                response.close()
            spent = time.monotonic() - start
            if attempt == self.retries or spent + wait >= self.deadline:
                raise failure from error
            self._tell(f"retrying {host} ({attempt + 1}/{self.retries}): {reason}")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _timed_out(self, exc: Exception, timeout: tuple[float, float]) -> str:
        """What timed out, with the number that applied."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"could not connect within {timeout[0]:g} s"
        if timeout[1] < self.timeout[1]:
            return f"no answer within the {self.deadline:g} s one URL gets over all its tries"
        return f"no answer within {timeout[1]:g} s"

    def fetch(
        self, url: str, *, headers: Mapping[str, str] | None = None, limit: int, what: str
    ) -> Fetched:
        """GET and read the whole body, decoded, within the deadline and ``limit`` bytes:
        for pages, metadata and ranges, never for wheels."""
        start = time.monotonic()
        response = self.get(url, headers=headers, stream=True)
        budget = self.deadline - (time.monotonic() - start)
        try:
            content = b"".join(self.body(response, limit=limit, what=what, deadline=budget))
        finally:
            response.close()
        return Fetched(response.status_code, redact(response.url or url), response.headers, content)

    def body(
        self, response: requests.Response, *, limit: int | None, what: str, deadline: float | None
    ) -> Iterator[bytes]:
        """The decoded body in chunks. Stops with a UserError past ``limit`` bytes, past
        ``deadline`` seconds, or when less than STALL_BYTES arrive in a read-timeout
        period: a watchdog shuts the socket down, which ends a blocked read."""
        watch = Watchdog(response, self.timeout[1], deadline)
        total = 0
        try:
            for chunk in response.iter_content(CHUNK):
                total += len(chunk)
                watch.progress(len(chunk))
                if limit is not None and total > limit:
                    raise UserError(
                        f"{what}: more than {limit >> 20} MiB (decoded) from "
                        f"{redact(response.url)}; refusing it"
                    )
                yield chunk
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.why:
                raise UserError(f"{what}: {watch.why} from {redact(response.url)}") from exc
            raise UserError(f"{what} broke off ({_short_reason(exc)}); run again") from exc
        finally:
            watch.stop()
        if watch.why:
            raise UserError(f"{what}: {watch.why} from {redact(response.url)}")

    def _backoff(self, attempt: int) -> float:
        return float(min(BACKOFF_CAP, self.backoff * (2**attempt)))

    def _retry_after(self, response: requests.Response, attempt: int) -> tuple[float, str]:
        reason = f"HTTP {response.status_code}"
        asked = _parse_retry_after(response.headers.get("Retry-After"))
        if asked is None:
            return self._backoff(attempt), reason
        if asked > RETRY_AFTER_CAP:
            # Longer than we wait: ending now says so, where waiting the cap and asking
            # again would only spend the user's retries.
            return math.inf, f"{reason}, asked to wait {asked:.0f} s"
        return asked, reason

    def _tell(self, line: str) -> None:
        if self.on_retry is not None:
            self.on_retry(line)
        else:
            log.warning("%s", line)


# The request in flight on this thread: its read timeout and the time its URL must be
# answered by (HttpClient.get sets them, the connections below read them).
_REQUEST = threading.local()


def _guarded_getresponse(conn: urllib3.connection.HTTPConnection, call: Callable[[], _R]) -> _R:
    """``call`` (the connection's getresponse) with the status line and headers due
    within the read timeout and the URL's deadline: a socket timeout is per read, so a
    server that drips a header byte a second would hold the request for ever."""
    read, until = getattr(_REQUEST, "read", None), getattr(_REQUEST, "until", None)
    sock = conn.sock
    if read is None or until is None or not isinstance(sock, socket.socket):
        return call()
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, min(read, until - time.monotonic())), cut)
    timer.daemon = True
    timer.start()
    try:
        return call()
    except Exception as exc:
        if fired.is_set():
            # A socket timeout, so that urllib3 and requests report a read timeout.
            raise TimeoutError("the status line and headers did not arrive in time") from exc
        raise
    finally:
        timer.cancel()


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override, unused-ignore]
        return _guarded_getresponse(self, super().getresponse)


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override, unused-ignore]
        return _guarded_getresponse(self, super().getresponse)


class _GuardedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_GUARDED_POOLS = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter over connections whose header read is bounded in time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _GUARDED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _GUARDED_POOLS
        return manager


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


HOST_NOT_FOUND = "host not found"
# How glibc's getaddrinfo says a name did not resolve (gai_strerror's texts).
_RESOLVER_FAILURES = (
    "Name or service not known",
    "getaddrinfo failed",
    "Temporary failure in name resolution",
    "No address associated with hostname",
    "nodename nor servname provided",
)


def _short_reason(exc: Exception) -> str:
    """The cause in words, cut at a word, never mid-word."""
    inner = exc.__context__ if isinstance(exc, requests.ConnectionError) else None
    text = str(inner or exc)
    text = text.splitlines()[0] if text else type(exc).__name__
    if "Connection refused" in text:
        return "connection refused"
    if any(words in text for words in _RESOLVER_FAILURES):
        return HOST_NOT_FOUND
    if len(text) > 200:
        text = text[:200].rsplit(" ", 1)[0] + " ..."
    return text


def status_error(response: requests.Response, what: str, asked: str = "") -> UserError:
    """A one-line error for an HTTP status we cannot use."""
    error = _status(response.status_code, redact(response.url), what)
    if "asked to wait" in asked:
        error = UserError(
            f"{error}; the index {asked.split(', ', 1)[1]}, more than the "
            f"{RETRY_AFTER_CAP:.0f} s we wait"
        )
    return error


def fetched_status_error(fetched: Fetched, what: str) -> UserError:
    return _status(fetched.status, fetched.url, what)


def _status(code: int, url: str, what: str) -> UserError:
    hint = {
        401: "the index wants credentials: put them in the URL or ~/.netrc",
        403: "the index refused access: check the credentials",
        404: "not found",
        429: "the index kept rate-limiting; try again later",
    }.get(code, "the index kept failing; try again later")
    return UserError(f"{what}: HTTP {code} from {url} ({hint})")
