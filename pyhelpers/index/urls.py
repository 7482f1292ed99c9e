"""Credentials in URLs: split off for use, stripped for everything shown or written."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import UserError

DEFAULT_INDEX = "https://pypi.org/simple/"


# scheme://userinfo@ : the user info runs to the last "@" before the host's end, so a
# password with quotes or an unescaped "@" is taken out whole.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s]*@")


def redact_text(text: str) -> str:
    """``text`` with the user info of every URL in it removed: for messages and files
    that quote URLs or whole input lines."""
    return _USERINFO.sub(r"\1", text)


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``https://user:password@h/x`` -> (``https://h/x``, (user, password)).

    A lone token (``https://TOKEN@h/x``) is a user name with an empty password. A URL
    that does not parse (a bad IPv6 literal or port) is a UserError naming it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise UserError(f"{redact_text(url)!r} is not a valid URL ({exc}); check it") from None
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
    try:
        return split_credentials(url)[0]
    except UserError:
        return redact_text(url)
