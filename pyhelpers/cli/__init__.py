"""The ``manylinux-nix`` command line: one module per command, each with its options
and its handler side by side, assembled here."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from .. import __version__, quiet_interrupt
from ..errors import UserError, printable
from ..index.urls import redact_text
from ..progress import Progress
from . import cache, convert, fixvenv, inspect, lock, prefetch, verify

# Commands import what they need when they run: `inspect` of a local file should not
# pay for requests and resolvelib at start-up.
COMMANDS = (lock, prefetch, convert, fixvenv, verify, inspect, cache)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manylinux-nix",
        description="Make prebuilt Python wheels work under Nix: lock them for Nix targets, "
        "know what native libraries they need, and check that they load.",
    )
    parser.add_argument("--version", action="version", version=f"manylinux-nix {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The subcommand's usage, not the top level's: that is where the flag was wrong.
        _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    level = (
        logging.WARNING
        if not args.verbose
        else (logging.INFO if args.verbose == 1 else logging.DEBUG)
    )
    if args.quiet:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("manylinux-nix: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    progress = Progress(
        sys.stderr, enabled=not args.quiet, live=None if not args.verbose else False
    )
    ours = signal.getsignal(signal.SIGINT) is quiet_interrupt
    if ours:
        # From here on Ctrl-C is a KeyboardInterrupt, so that partial outputs are removed.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code: int = args.run(args, progress)
        return code
    except UserError as exc:
        progress.done()
        # One line, always: UserError escaped its message when it was made.
        print(f"manylinux-nix: error: {redact_message(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        progress.done()
        print("manylinux-nix: interrupted; no file was changed", file=sys.stderr)
        return 130
    finally:
        if ours:
            signal.signal(signal.SIGINT, quiet_interrupt)


class _OneLine(logging.Formatter):
    """Log lines quote names from input too: each record stays one escaped line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    return parser


def redact_message(message: str) -> str:
    """Errors may quote a URL or a line the user wrote; never echo its credentials."""
    return redact_text(message)
