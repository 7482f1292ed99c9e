"""``python -m pyhelpers``: the ``manylinux-nix`` command without its entry-point script."""

import sys

from .cli import main

sys.exit(main())
