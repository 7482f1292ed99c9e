"""Fetch distribution files into the content-addressed cache, verifying their sha256."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import posixpath
import tempfile
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from ..cache import cache_dir, unusable
from ..errors import UserError
from ..progress import Progress
from ..wheelfile import check_wheel_filename
from .http import HttpClient, status_error
from .simple import IndexFile

log = logging.getLogger(__name__)

# No wheel is larger (PyPI's own limit is lower); a server sending more is refused.
MAX_DOWNLOAD = 16 << 30


def cached_path(sha256: str, filename: str) -> Path:
    return cache_dir("files") / sha256[:2] / sha256 / filename


def fetch_file(
    client: HttpClient, file: IndexFile, progress: Progress | None = None
) -> tuple[Path, str]:
    """The file on disk and its sha256. Downloads only when the cache lacks it.

    A download that is cut off, or whose bytes do not match the index's sha256, leaves
    nothing in the cache and raises a UserError naming the file.
    """
    if file.sha256:
        path = cached_path(file.sha256, file.filename)
        # A damaged entry (wrong size, or not a file) is fetched again, never trusted.
        if path.is_file() and (file.size is None or path.stat().st_size == file.size):
            return path, file.sha256
    response = client.get(file.url, stream=True)
    if response.status_code != 200:
        raise status_error(response, f"download of {file.filename}")
    digest = hashlib.sha256()
    size = 0
    root = cache_dir("files")
    # Hash while writing to a private temporary file; only verified bytes are renamed
    # into place, so concurrent runs and killed runs never expose a partial entry.
    try:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-", suffix=".part")
    except OSError as exc:
        raise unusable(root, exc) from exc
    try:
        meter = progress.transfer(file.filename, file.size) if progress else nullcontext(None)
        with os.fdopen(fd, "wb") as out, meter as counted:
            what = f"download of {file.filename}"
            for chunk in client.body(response, limit=MAX_DOWNLOAD, what=what, deadline=None):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
                if counted is not None:
                    counted(len(chunk))
        # A decoded body has another length than Content-Length counts.
        length = (
            None
            if "Content-Encoding" in response.headers
            else response.headers.get("Content-Length")
        )
        _check(file, length, size, digest.hexdigest())
        path = cached_path(digest.hexdigest(), file.filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
    except requests.RequestException as exc:
        raise UserError(f"download of {file.filename} broke off ({exc}); run again") from exc
    except OSError as exc:
        raise unusable(root, exc) from exc
    finally:
        response.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    log.info("downloaded %s (%d bytes)", file.filename, size)
    return path, digest.hexdigest()


def _check(file: IndexFile, content_length: str | None, size: int, got: str) -> None:
    if content_length is not None and content_length.isdigit() and int(content_length) != size:
        raise UserError(
            f"download of {file.filename} is truncated "
            f"({size} of {content_length} bytes); run again"
        )
    if file.sha256 and got != file.sha256:
        raise UserError(
            f"{file.filename}: sha256 {got} does not match the index's {file.sha256}; "
            "the file was altered or the index is wrong: refusing it"
        )


def fetch_url(
    client: HttpClient, url: str, progress: Progress | None = None
) -> tuple[Path, str, str]:
    """Download a wheel by URL: (path, filename, sha256). Credentials in the URL are used."""
    clean = client.add_url_credentials(url)
    filename = unquote(posixpath.basename(urlsplit(clean).path))
    check_wheel_filename(filename)
    path, sha256 = fetch_file(
        client, IndexFile(filename, clean, None, None, None, None, False, None), progress
    )
    return path, filename, sha256
