"""The one exception type users see: a one-line message that says what to do."""

import re


class UserError(Exception):
    """A failure caused by input or environment, reported as a single line.

    The CLI prints ``manylinux-nix: error: <message>`` and exits non-zero; nothing
    else may be printed for it, so the message must name the thing and the way out.
    """

    exit_code = 1


class UsageError(UserError):
    """The command line itself is wrong (exit 2, like argparse)."""

    exit_code = 2


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters escaped: a hostile name quoted in a message must
    not break it into lines or forge output."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def brief(text: str, limit: int = 160) -> str:
    """The first line of ``text``, printable, cut at a word to about ``limit``."""
    line = printable(text.strip().splitlines()[0]) if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else line[:limit]) + " ..."


def reason(exc: BaseException, limit: int = 160) -> str:
    """Why ``exc`` happened, in a few words for a one-line error."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return brief(str(exc), limit) or type(exc).__name__
