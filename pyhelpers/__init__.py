"""manylinux-nix: lock, inspect and patch prebuilt Python wheels for Nix."""

# The C module, not `signal`: that one builds its enums first, which is time a Ctrl-C
# could land in.
import _signal  # type: ignore[import-not-found, unused-ignore]
import os
import sys

__version__ = "0.1.0"


def quiet_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C before the command has started (imports, argument parsing) or after it
    has finished: nothing is being written, so exit at once, with no traceback."""
    os.write(2, b"manylinux-nix: interrupted; no file was changed\n")
    os._exit(130)


def _as_command() -> bool:
    # The entry-point script, or `python -m pyhelpers[.cli]` (argv[0] is "-m" while the
    # module is being found); a program that imports us keeps its own SIGINT handling.
    return os.path.basename(sys.argv[0]) in ("manylinux-nix", "-m") if sys.argv else False


# First thing of all: the imports below the command take most of its start-up.
if _as_command() and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
    _signal.signal(_signal.SIGINT, quiet_interrupt)
