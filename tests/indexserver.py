"""A real Simple Repository API server (PEP 503 HTML, PEP 691 JSON) over a directory."""

from __future__ import annotations

import base64
import hashlib
import html
import json as jsonlib
import re
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from packaging.version import InvalidVersion, Version

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
_JSON_TYPES = (JSON_TYPE, "application/vnd.pypi.simple.latest+json")
_PYPI_HTML_TYPES = (HTML_TYPE, "application/vnd.pypi.simple.latest+html")
API_VERSION = "1.1"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_and_version(filename: str) -> tuple[str, str] | None:
    """Parse a wheel or sdist name leniently, so tests can serve oddly named files too."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return (normalize(parts[0]), parts[1]) if len(parts) in (5, 6) else None
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            name, sep, version = filename[: -len(suffix)].rpartition("-")
            return (normalize(name), version) if sep and name else None
    return None


def wheel_metadata(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if re.fullmatch(r"[^/]+\.dist-info/METADATA", member):
                    return archive.read(member)
    except (OSError, zipfile.BadZipFile):
        pass
    return None


def accept_q(accept: str, media_type: str) -> float:
    """The q an Accept header gives ``media_type``; the most specific range decides."""
    best_specificity, best_q = -1, 0.0
    wildcard = media_type.split("/")[0] + "/*"
    for item in accept.split(","):
        media_range, *params = (field.strip() for field in item.split(";"))
        specificity = {media_type: 2, wildcard: 1, "*/*": 0}.get(media_range.lower(), -1)
        if specificity <= best_specificity:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best_specificity, best_q = specificity, q
    return best_q


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) for a single-range header, None to send everything.

    Raises ValueError when the range cannot be satisfied. Malformed and multi-range
    headers are ignored, which RFC 9110 allows and keeps this server simple.
    """
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:
        length = int(match[2])
        if length == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    first = int(match[1])
    if match[2] and int(match[2]) < first:
        return None
    if first >= size:
        raise ValueError("range starts past the end")
    last = int(match[2]) if match[2] else size - 1
    return first, min(last, size - 1)


@dataclass(frozen=True)
class Dist:
    filename: str
    project: str
    version: str
    sha256: str
    size: int
    upload_time: str
    metadata: bytes | None


def _scan_file(path: Path) -> Dist | None:
    parsed = project_and_version(path.name)
    if parsed is None:
        return None
    data = path.read_bytes()
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Dist(
        filename=path.name,
        project=parsed[0],
        version=parsed[1],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        upload_time=mtime.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        metadata=wheel_metadata(path) if path.name.endswith(".whl") else None,
    )


def _version_key(version: str) -> tuple[int, Any]:
    try:
        return 0, Version(version)
    except InvalidVersion:
        return 1, version


def with_credentials(url: str, user: str, secret: str) -> str:
    """``url`` with user info added, as users write private index URLs."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{secret}@{parts.netloc}"))


# Pseudo status codes for ``faults``: never answer (until the client gives up), or send
# half of a file under a Content-Length for all of it and close the connection.
HANG = -1
TRUNCATE = -2
HANG_SECONDS = 30.0


class IndexServer:
    """Serve ``root`` over HTTP on 127.0.0.1 from a background thread.

    The directory is re-read on every request, so tests may add files after start.
    ``yanked``, ``requires_python`` and ``faults`` stay mutable for the same reason.
    ``requests`` logs the raw request target (query included); ``faults`` is keyed by
    the path alone. Faults are served before authentication, like a flaky proxy would.
    """

    def __init__(
        self,
        root: Path,
        *,
        json: bool = True,
        html: bool = True,
        metadata: bool = True,
        advertise_metadata: bool = True,
        hashes: bool = True,
        yanked: dict[str, str | bool] | None = None,
        requires_python: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        faults: dict[str, list[int]] | None = None,
        cache_control: str | None = None,
        etags: bool = False,
        echo_credentials: bool = False,
    ) -> None:
        self.root = root
        self.json = json
        self.html = html
        self.metadata = metadata
        self.advertise_metadata = advertise_metadata
        self.hashes = hashes
        self.yanked: dict[str, str | bool] = dict(yanked or {})
        self.requires_python: dict[str, str] = dict(requires_python or {})
        self.auth = auth
        # Project pages: a Cache-Control header to send, and ETags with 304 answers.
        self.cache_control = cache_control
        self.etags = etags
        # File links as absolute URLs carrying ``auth`` in their user info, as some
        # private indexes (and proxies in front of them) write them.
        self.echo_credentials = echo_credentials
        # Copied so that popping served faults never mutates the caller's lists.
        self.faults: dict[str, list[int]] = {k: list(v) for k, v in (faults or {}).items()}
        self.requests: list[tuple[str, str]] = []
        self.headers_seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int, int], Dist | None] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the index server is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def url(self) -> str:
        return self.base_url + "simple/"

    def start(self) -> Self:
        self._server = _Server(self)
        # A short poll interval keeps stop(), and so every test teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Request-side helpers, called from handler threads.

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path))
            self.headers_seen.append(headers)

    def next_fault(self, path: str) -> int | None:
        with self._lock:
            pending = self.faults.get(path)
            return pending.pop(0) if pending else None

    def authorized(self, header: str | None) -> bool:
        if self.auth is None:
            return True
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return decoded == f"{self.auth[0]}:{self.auth[1]}"

    def dists(self) -> list[Dist]:
        found = []
        for path in sorted(self.root.iterdir()):
            if not path.is_file():
                continue
            stat = path.stat()
            key = (path.name, stat.st_mtime_ns, stat.st_size)
            with self._lock:
                if key not in self._cache:
                    self._cache[key] = _scan_file(path)
                dist = self._cache[key]
            if dist is not None:
                found.append(dist)
        return found

    def requires_python_of(self, dist: Dist) -> str | None:
        if dist.filename in self.requires_python:
            return self.requires_python[dist.filename]
        if dist.metadata is None:
            return None
        return BytesHeaderParser().parsebytes(dist.metadata).get("Requires-Python")

    def advertised_metadata_sha256(self, dist: Dist) -> str | None:
        if not (self.metadata and self.advertise_metadata) or dist.metadata is None:
            return None
        return hashlib.sha256(dist.metadata).hexdigest()

    def choose_type(self, accept: str | None) -> str | None:
        """The media type to answer a Simple API request with, or None for 406."""
        q_json = max(accept_q(accept or "", t) for t in _JSON_TYPES)
        q_pypi_html = max(accept_q(accept or "", t) for t in _PYPI_HTML_TYPES)
        q_text_html = accept_q(accept or "", TEXT_HTML)
        html_type = HTML_TYPE if q_pypi_html > 0 and q_pypi_html >= q_text_html else TEXT_HTML
        if not self.json:
            return html_type
        if accept is None:
            # Clients that predate PEP 691 send no Accept header and expect HTML.
            return TEXT_HTML if self.html else JSON_TYPE
        q_html = max(q_pypi_html, q_text_html) if self.html else 0.0
        if q_json > 0 and q_json >= q_html:
            return JSON_TYPE
        return html_type if q_html > 0 else None

    # Page rendering.

    def file_url(self, dist: Dist) -> str:
        if self.echo_credentials and self.auth is not None:
            return with_credentials(self.base_url, *self.auth) + f"files/{quote(dist.filename)}"
        return f"../../files/{quote(dist.filename)}"

    def file_entry(self, dist: Dist) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "filename": dist.filename,
            "url": self.file_url(dist),
            "hashes": {"sha256": dist.sha256} if self.hashes else {},
            "size": dist.size,
            "upload-time": dist.upload_time,
            "yanked": self.yanked.get(dist.filename, False),
        }
        requires_python = self.requires_python_of(dist)
        if requires_python is not None:
            entry["requires-python"] = requires_python
        metadata_sha256 = self.advertised_metadata_sha256(dist)
        if metadata_sha256 is not None:
            entry["core-metadata"] = {"sha256": metadata_sha256}
        return entry

    def project_json(self, project: str, dists: list[Dist]) -> bytes:
        versions = sorted({dist.version for dist in dists}, key=_version_key)
        page = {
            "meta": {"api-version": API_VERSION},
            "name": project,
            "files": [self.file_entry(dist) for dist in dists],
            "versions": versions,
        }
        return jsonlib.dumps(page, indent=1).encode()

    def anchor(self, dist: Dist) -> str:
        href = self.file_url(dist)
        if self.hashes:
            href += f"#sha256={dist.sha256}"
        attrs = [f'href="{html.escape(href)}"']
        requires_python = self.requires_python_of(dist)
        if requires_python is not None:
            attrs.append(f'data-requires-python="{html.escape(requires_python)}"')
        yanked = self.yanked.get(dist.filename, False)
        if yanked is not False:
            reason = "" if yanked is True else str(yanked)
            attrs.append(f'data-yanked="{html.escape(reason)}"')
        metadata_sha256 = self.advertised_metadata_sha256(dist)
        if metadata_sha256 is not None:
            attrs.append(f'data-core-metadata="sha256={metadata_sha256}"')
        return f"<a {' '.join(attrs)}>{html.escape(dist.filename)}</a><br/>"

    def project_html(self, project: str, dists: list[Dist]) -> bytes:
        links = "\n".join(self.anchor(dist) for dist in dists)
        return _html_page(f"Links for {project}", links)

    def root_page(self, media_type: str) -> bytes:
        projects = sorted({dist.project for dist in self.dists()})
        if media_type == JSON_TYPE:
            page = {
                "meta": {"api-version": API_VERSION},
                "projects": [{"name": name} for name in projects],
            }
            return jsonlib.dumps(page, indent=1).encode()
        links = "\n".join(
            f'<a href="{quote(name)}/">{html.escape(name)}</a><br/>' for name in projects
        )
        return _html_page("Simple index", links)


def _html_page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a HANG fault's thread must not hold up stop()

    def __init__(self, index: IndexServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.index = index


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out as two writes; without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every response.
    disable_nagle_algorithm = True
    # HTTP/1.1 lets clients reuse connections, which the code under test should survive.
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.handle_request()

    def do_HEAD(self) -> None:
        self.handle_request()

    @property
    def index(self) -> IndexServer:
        return cast(_Server, self.server).index

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_request(self) -> None:
        index = self.index
        path = urlsplit(self.path).path
        index.record(self.command, self.path, dict(self.headers.items()))
        fault = index.next_fault(path)
        if fault == HANG:
            time.sleep(HANG_SECONDS)
        elif fault == TRUNCATE:
            self.send_truncated(path)
        elif fault is not None:
            retry = {"Retry-After": "0"} if fault == 429 else {}
            self.send(fault, f"injected fault {fault}\n".encode(), headers=retry)
        elif not index.authorized(self.headers.get("Authorization")):
            self.send(
                401,
                b"authentication required\n",
                headers={"WWW-Authenticate": 'Basic realm="indexserver"'},
            )
        elif path == "/simple/":
            self.serve_simple(None)
        elif match := re.fullmatch(r"/simple/([^/]+)(/?)", path):
            name = unquote(match[1])
            if name != normalize(name) or not match[2]:
                self.send(301, headers={"Location": f"/simple/{quote(normalize(name))}/"})
            else:
                self.serve_simple(name)
        elif match := re.fullmatch(r"/files/([^/]+)", path):
            self.serve_file(unquote(match[1]))
        else:
            self.send(404, b"not found\n")

    def serve_simple(self, project: str | None) -> None:
        index = self.index
        media_type = index.choose_type(self.headers.get("Accept"))
        if media_type is None:
            self.send(406, b"no acceptable representation\n")
            return
        if project is None:
            body = index.root_page(media_type)
        else:
            dists = [dist for dist in index.dists() if dist.project == project]
            if not dists:
                self.send(404, b"no such project\n")
                return
            if media_type == JSON_TYPE:
                body = index.project_json(project, dists)
            else:
                body = index.project_html(project, dists)
        content_type = media_type if media_type == JSON_TYPE else f"{media_type}; charset=utf-8"
        headers = {"Vary": "Accept"}
        if index.cache_control is not None:
            headers["Cache-Control"] = index.cache_control
        if index.etags:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                self.send(304, headers=headers)
                return
        self.send(200, body, content_type, headers)

    def serve_file(self, filename: str) -> None:
        index = self.index
        dists = {dist.filename: dist for dist in index.dists()}
        data: bytes | None = None
        if filename in dists:
            data = (index.root / filename).read_bytes()
        elif filename.endswith(".metadata") and index.metadata:
            wheel = dists.get(filename[: -len(".metadata")])
            data = wheel.metadata if wheel is not None else None
        if data is None:
            self.send(404, b"not found\n")
            return
        self.send_bytes(data)

    def send_truncated(self, path: str) -> None:
        """Announce the whole file, send half of it, and drop the connection."""
        data = (self.index.root / unquote(path.rsplit("/", 1)[-1])).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def send_bytes(self, data: bytes) -> None:
        common = {"Accept-Ranges": "bytes"}
        try:
            span = byte_range(self.headers.get("Range"), len(data))
        except ValueError:
            self.send(416, headers={**common, "Content-Range": f"bytes */{len(data)}"})
            return
        if span is None:
            self.send(200, data, "application/octet-stream", common)
            return
        first, last = span
        self.send(
            206,
            data[first : last + 1],
            "application/octet-stream",
            {**common, "Content-Range": f"bytes {first}-{last}/{len(data)}"},
        )
