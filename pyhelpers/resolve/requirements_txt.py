"""Read pip requirements files: requirements, ``--hash`` sets, index options, ``-r`` includes."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import UserError, quoted
from ..index.urls import redact_text
from ..target import pep508

_COMMENT = re.compile(r"(^|\s+)#.*$")
_HASH = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_HASH_OPTION = re.compile(r"\s*--hash[=\s]\s*(\S+)")
_OTHER_OPTION = re.compile(r"(^|\s)--?[A-Za-z]")
# Options that change nothing for a wheel-only lock.
_IGNORED = {"--only-binary", "--prefer-binary", "--no-binary", "--trusted-host", "--require-hashes"}
_UNSUPPORTED = {
    "-e": "editable requirements",
    "--editable": "editable requirements",
    "-c": "constraints files",
    "--constraint": "constraints files",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-index": "--no-index",
}


@dataclass(frozen=True)
class Entry:
    """One requirement line: where it stands, and only its own ``--hash`` values."""

    where: str
    requirement: Requirement
    hashes: frozenset[str]


@dataclass
class RequirementsFile:
    requirements: list[Requirement] = field(default_factory=list)
    # Pooled by normalized name (what `lock -r` allows); `entries` keeps them per line,
    # since a lock may pin one name twice under different markers.
    hashes: dict[str, set[str]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    pre: bool = False


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            lines.append((start, pending.strip()))
        pending = ""
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


MAX_INCLUDE_DEPTH = 64


def parse(
    path: Path, into: RequirementsFile | None = None, _seen: tuple[Path, ...] = ()
) -> RequirementsFile:
    result = into or RequirementsFile()
    path = path.resolve()
    if path in _seen:
        raise UserError(f"{path}: includes itself through -r")
    if len(_seen) >= MAX_INCLUDE_DEPTH:
        raise UserError(
            f"{path}: -r includes nest more than {MAX_INCLUDE_DEPTH} deep; flatten them"
        )
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read requirements file {path}: {exc.strerror or exc}") from exc
    for number, line in _logical_lines(text):
        where = f"{path.name}:{number}"
        if line.startswith("-"):
            try:
                words = shlex.split(line, posix=True)
            except ValueError as exc:
                # Not the line itself: it may hold an index URL with credentials.
                raise UserError(f"{where}: cannot parse this line ({exc})") from exc
            _option(words, path, where, result, (*_seen, path))
        else:
            _requirement(line, where, result)
    return result


def _split_option(words: list[str]) -> tuple[str, str | None, list[str]]:
    head = words[0]
    if "=" in head and head.startswith("--"):
        name, value = head.split("=", 1)
        return name, value, words[1:]
    if len(head) > 2 and head[1] != "-":  # -rfile.txt
        return head[:2], head[2:], words[1:]
    return head, (words[1] if len(words) > 1 else None), words[2:]


def _option(
    words: list[str], path: Path, where: str, out: RequirementsFile, seen: tuple[Path, ...]
) -> None:
    name = words[0].split("=", 1)[0]
    if name in _UNSUPPORTED:
        raise UserError(
            f"{where}: {_UNSUPPORTED[name]} are not supported; list the packages instead"
        )
    if name == "--pre":
        out.pre = True
        return
    if name in _IGNORED:
        return
    opt, value, _rest = _split_option(words)
    if value is None:
        raise UserError(f"{where}: {opt} needs a value")
    if opt in ("-r", "--requirement"):
        parse(path.parent / value, out, seen)
    elif opt in ("-i", "--index-url"):
        out.index_url = value
    elif opt == "--extra-index-url":
        out.extra_index_urls.append(value)
    else:
        raise UserError(f"{where}: unknown option {opt}; remove it or report it as a bug")


def parse_requirement(text: str, where: str) -> Requirement:
    """A PEP 508 requirement naming a version range (a lock needs an index to ask)."""
    try:
        req = pep508.requirement(text)
    except pep508.Invalid as exc:
        raise UserError(f"{where}: {quoted(redact_text(text), 200)} {exc}") from None
    if req.url:
        raise UserError(f"{where}: direct URL requirements ({req.name} @ ...) are not supported")
    return req


def _requirement(line: str, where: str, out: RequirementsFile) -> None:
    # Not shlex: markers quote their values ('3.12') and must keep the quotes.
    hashes = set()
    for value in _HASH_OPTION.findall(line):
        m = _HASH.match(value)
        if not m:
            raise UserError(f"{where}: --hash={value} is not sha256:<64 hex digits>")
        hashes.add(m.group(1).lower())
    text = _HASH_OPTION.sub("", line).strip()
    if _OTHER_OPTION.search(text):
        raise UserError(
            f"{where}: only --hash may follow a requirement: {quoted(redact_text(text), 200)}"
        )
    req = parse_requirement(text, where)
    out.requirements.append(req)
    out.entries.append(Entry(where, req, frozenset(hashes)))
    if hashes:
        out.hashes.setdefault(canonicalize_name(req.name), set()).update(hashes)
