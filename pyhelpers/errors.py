"""The one exception type users see: a one-line message that says what to do."""


class UserError(Exception):
    """A failure caused by input or environment, reported as a single line.

    The CLI prints ``manylinux-nix: error: <message>`` and exits non-zero; nothing
    else may be printed for it, so the message must name the thing and the way out.
    """

    exit_code = 1


class UsageError(UserError):
    """The command line itself is wrong (exit 2, like argparse)."""

    exit_code = 2
