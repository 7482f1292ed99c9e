"""The one exception type users see: a one-line message that says what to do."""


class UserError(Exception):
    """A failure caused by input or environment, reported as a single line.

    The CLI prints ``manylinux-nix: error: <message>`` and exits non-zero; nothing
    else may be printed for it, so the message must name the thing and the way out.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        # Escaped here, once for every reader: a name, key or value quoted from input can
        # never break the message into lines or forge output, whoever raised it.
        super().__init__(printable(message))


class UsageError(UserError):
    """The command line itself is wrong (exit 2, like argparse)."""

    exit_code = 2


def printable(text: str) -> str:
    """``text`` with every character that could break a line, move the cursor or reorder
    the text escaped as ``repr`` escapes it (``\\n``, ``\\x1b``, ``\\u2028``, ``\\u202e``):
    the one helper for input quoted in a message."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quoted(value: object, limit: int = 60) -> str:
    """A value from input as a message shows it: ``repr``-quoted, escaped, cut to about
    ``limit`` characters."""
    text = printable(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
