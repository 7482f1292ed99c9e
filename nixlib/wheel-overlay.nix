# A lock's packages as a Python package-set overlay, so lock packages and nixpkgs
# packages are one set without duplicates: a nixpkgs package that depends on numpy gets
# the lock's numpy.
#
#   python = pkgs.python312.override {
#     self = python;
#     packageOverrides = pkgs.manylinuxNix.wheelOverlay { lock = ./wheels.lock.json; };
#   };
#   python.withPackages (ps: ps.manylinuxNixWheels ++ [ ps.some-nixpkgs-package ])
{
  lib,
  pkgs,
  fetchPypiWheel,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
{
  lock,
  sonameOverrides ? { },
  ignoreMissing ? [ ],
  includeOptional ? [ ],
  # false: leave what the wheels' Python code loads by name alone.
  runtimeLoads ? true,
  system ? pkgs.stdenv.hostPlatform.system,
}:
pyfinal: pyprev:
let
  wheels = import ./lock-wheels.nix { inherit lib pkgs fetchPypiWheel manylinuxNixLib; } {
    inherit
      lock
      sonameOverrides
      ignoreMissing
      includeOptional
      runtimeLoads
      system
      ;
    # From pyprev: the names this overlay defines must not depend on its own result.
    inherit (pyprev) python;
    buildManylinuxWheel =
      pyfinal.buildManylinuxWheel or (pyfinal.callPackage ./build-manylinux-wheel.nix {
        inherit manylinuxNixLib;
      });
  };
in
wheels.wheelsFrom pyfinal
// {
  # Every package of the lock for this Python and system (what mkWheelSet calls `all`).
  manylinuxNixWheels = map (name: pyfinal.${name}) wheels.names;
}
