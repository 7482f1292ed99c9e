"""Reading values out of parsed TOML/JSON: each checked for type and shape, every
problem a one-line ``UserError`` naming the file and the place in it."""

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ...errors import UserError, printable, quoted
from ...index.urls import redact
from ...target import markers, pep508
from .model import _SHA256, Table, _Source


def _show(value: object) -> str:
    return quoted(value)


def _clip(text: str) -> str:
    text = printable(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _table(src: _Source, value: object, where: str) -> Table:
    if not isinstance(value, dict):
        raise src.error(where, f"expected {src.table}, found {src.kind(value)}")
    return value


def _opt_table(src: _Source, table: Table, key: str, where: str) -> Table | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise src.error(where, f"'{key}' should be {src.table}, not {src.kind(value)}")
    return value


def _need_table(src: _Source, table: Table, key: str, where: str) -> Table:
    value = _opt_table(src, table, key, where)
    if value is None:
        raise src.error(where, f"'{key}' is missing")
    return value


def _list(src: _Source, table: Table, key: str, where: str) -> list[object]:
    value = table.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise src.error(where, f"'{key}' should be an array, not {src.kind(value)}")
    return value


def _opt_str(src: _Source, table: Table, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise src.error(where, f"'{key}' should be a string, not {src.kind(value)}")


def _str(src: _Source, table: Table, key: str, where: str) -> str:
    value = _opt_str(src, table, key, where)
    if value is None:
        raise src.error(where, f"'{key}' is missing")
    return value


def _str_list(src: _Source, table: Table, key: str, where: str) -> list[str]:
    items = _list(src, table, key, where)
    for item in items:
        if not isinstance(item, str):
            raise src.error(where, f"'{key}' should list strings, found {src.kind(item)}")
    return [item for item in items if isinstance(item, str)]


def _opt_size(src: _Source, table: Table, where: str, key: str = "size") -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise src.error(where, f"'{key}' should be a byte count, not {_show(value)}")
    return value


# ---------------------------------------------------------------------------------------
# Values


def _name(src: _Source, text: str, where: str) -> str:
    try:
        return canonicalize_name(text, validate=True)
    except InvalidName:
        raise src.error(where, f"{_show(text)} is not a valid package name") from None


def _version(src: _Source, text: str, where: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion:
        raise src.error(where, f"version {_show(text)} is not a PEP 440 version") from None


def _marker(src: _Source, text: str, where: str) -> str:
    try:
        return str(markers.parse(text))
    except pep508.Invalid as exc:
        raise src.error(where, f"marker {_show(text)} {exc}") from None


def _requires_python(src: _Source, text: str | None, where: str) -> str | None:
    if text is None:
        return None
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        raise src.error(where, f"requires-python {_show(text)} is not a version range") from None


def _sha256(src: _Source, value: object, where: str) -> str:
    match = _SHA256.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise src.error(where, f"hash {_show(value)} is not sha256:<64 hex digits>")
    return match.group(1).lower()


# The common case, accepted without urlsplit (a lock lists thousands of URLs); anything
# else gets the full check.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,4})?/[^\s?#\\]*")


def _absolute_url(src: _Source, text: str, where: str) -> str:
    if _PLAIN_URL.fullmatch(text):
        return text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a bad port
        absolute = bool(parts.scheme) and (bool(parts.netloc) or parts.scheme == "file")
    except ValueError:  # a malformed host or port
        raise src.error(where, "url does not parse as a URL") from None
    if not absolute:
        raise src.error(where, f"url {_show(redact(text))} is not an absolute URL")
    return text


def _url_filename(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed host: callers that need a URL check it themselves
        return None
    return unquote(path.rsplit("/", 1)[-1]) or None


def _path_filename(path: str | None) -> str | None:
    if not path:
        return None
    return re.split(r"[/\\]", path)[-1] or None


_FILENAME = re.compile(r"[A-Za-z0-9._+!~%\-]{1,255}")


def _check_wheel(src: _Source, filename: str, name: str, version: str | None, where: str) -> None:
    """A wheel listed under another package or version is a broken (or tampered) lock;
    so is a file name with a path or a control character (a NUL ends the string in
    Nix's fromJSON, and Nix and Python would disagree on the name)."""
    if not _FILENAME.fullmatch(filename):
        raise src.error(where, f"{_show(filename)} is not a file name")
    if not filename.endswith(".whl"):
        return
    parts = _WHEEL.fullmatch(filename)
    wheel_version = None if parts is None else _parsed_version(parts.group(2))
    if parts is None or wheel_version is None:
        raise src.error(where, f"{_show(filename)} is not a valid wheel file name")
    same_version = version is None or wheel_version == _parsed_version(version)
    if canonicalize_name(parts.group(1)) != name or not same_version:
        raise src.error(where, f"wheel {_show(filename)} is not a file of {name} {version}")


# What packaging's parse_wheel_filename accepts (name, version, optional build tag that
# starts with a digit, three tags), without building the tag sets: a lock lists every
# platform's wheels, and only the chosen ones' tags are read, when they are ranked.
_WHEEL = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl"
)


@functools.lru_cache(maxsize=4096)
def _parsed_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _version_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename, InvalidVersion
        return None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _canonical(table: Mapping[str, object]) -> str:
    return json.dumps(table, sort_keys=True, default=str)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read lock file {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); give the lock file itself"
        ) from exc
