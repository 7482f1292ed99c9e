# Every package of a lock, for one Python and the current system, as a scope whose
# members depend on each other and that overrideScope extends like any package set.
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
  overrides ? (final: prev: { }),
  system ? pkgs.stdenv.hostPlatform.system,
}:
let
  doc = manylinuxNixLib.readLock lock;
  key = manylinuxNixLib.targetKey { inherit system python; };
  target =
    doc.targets.${key} or (throw (
      "manylinux-nix: the lock has no target ${key} (it has: "
      + lib.concatStringsSep ", " (builtins.attrNames doc.targets)
      + "); run manylinux-nix lock with --system ${system} --python ${python.pythonVersion}"
    ));
  buildManylinuxWheel =
    python.pkgs.buildManylinuxWheel or (python.pkgs.callPackage ./build-manylinux-wheel.nix {
      inherit manylinuxNixLib;
    });
  providers = facts: map (e: e.provided_by) (builtins.filter (e: e.kind == "sibling" && (e.provided_by or null) != null) (facts.external or [ ]));
  # The first package with an unresolved soname names those of the whole set.
  guard = manylinuxNixLib.guardSet {
    inherit
      pkgs
      sonameOverrides
      ignoreMissing
      includeOptional
      ;
    what = "the lock's ${key} set";
    inherit (target) packages;
  };
  wheel =
    self: entry:
    guard entry.name entry (buildManylinuxWheel {
      pname = entry.name;
      inherit (entry) version;
      src = fetchPypiWheel { inherit (entry) url hash filename; };
      facts = entry.facts or null;
      dependencies = map (name: self.${name}) entry.dependencies;
      siblingPackages = lib.genAttrs (providers (entry.facts or { })) (name: self.${name});
      inherit sonameOverrides ignoreMissing includeOptional;
    });
in
(lib.makeScope pkgs.newScope (self: builtins.mapAttrs (_: wheel self) target.packages)).overrideScope
  overrides
