"""manylinux-nix: lock, inspect and patch prebuilt Python wheels for Nix."""

__version__ = "0.1.0"
