"""Credentials in URLs: split off for use, stripped for everything shown or written."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_INDEX = "https://pypi.org/simple/"


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``https://user:password@h/x`` -> (``https://h/x``, (user, password)).

    A lone token (``https://TOKEN@h/x``) is a user name with an empty password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    clean = urlunsplit(parts._replace(netloc=netloc))
    return clean, (unquote(parts.username or ""), unquote(parts.password or ""))


def index_key(url: str) -> str:
    """One spelling per index: locks write ``.../simple``, we write ``.../simple/``."""
    return url if url.endswith("/") else url + "/"


def redact(url: str) -> str:
    """The URL without any user info, for everything that is printed or written."""
    return split_credentials(url)[0]
