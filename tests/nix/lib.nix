# The `lib` every test evaluates with: the real nixpkgs `lib` when
# MANYLINUX_NIX_TEST_NIXPKGS_LIB names its folder (nix-community/nixpkgs.lib's lib/, or
# nixpkgs' own lib/), else the stand-in. tests/nixtools.py makes the path absolute.
let
  real = builtins.getEnv "MANYLINUX_NIX_TEST_NIXPKGS_LIB";
in
if real == "" then import ./standin-lib.nix else import (/. + real)
