# Every package of a lock, for one Python and the current system, as a scope whose
# members depend on each other and that overrideScope extends like any package set.
# `all` lists every package of the lock for the target (python.withPackages (ps: set.all)).
{
  lib,
  pkgs,
  fetchPypiWheel,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
{
  lock,
  python,
  # For the whole set: { "libfoo.so.1" = pkgs.foo; "libbar.so.2" = null; }
  sonameOverrides ? { },
  # For the whole set: sonames to leave missing.
  ignoreMissing ? [ ],
  includeOptional ? [ ],
  # false: leave what the wheels' Python code loads by name alone.
  runtimeLoads ? true,
  overrides ? (final: prev: { }),
  system ? pkgs.stdenv.hostPlatform.system,
}:
let
  wheels = import ./lock-wheels.nix { inherit lib pkgs fetchPypiWheel manylinuxNixLib; } {
    inherit
      lock
      python
      sonameOverrides
      ignoreMissing
      includeOptional
      runtimeLoads
      system
      ;
    buildManylinuxWheel =
      python.pkgs.buildManylinuxWheel or (python.pkgs.callPackage ./build-manylinux-wheel.nix {
        inherit manylinuxNixLib;
      });
  };
in
(lib.makeScope pkgs.newScope (
  self:
  # A lock package named "all" keeps its name; the list is then `allWheels` only.
  {
    all = map (name: self.${name}) wheels.names;
    allWheels = map (name: self.${name}) wheels.names;
  }
  // wheels.wheelsFrom self
)).overrideScope
  overrides
