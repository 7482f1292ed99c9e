# One target of a lock as wheel builds, taking dependencies from a package set `self`
# (mkWheelSet's own scope, or a Python package set the lock overlays): shared by
# mk-wheel-set.nix and wheel-overlay.nix.
{
  lib,
  pkgs,
  fetchPypiWheel,
  manylinuxNixLib,
}:
{
  lock,
  python,
  sonameOverrides,
  ignoreMissing,
  includeOptional,
  system,
  buildManylinuxWheel,
  runtimeLoads ? true,
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
  # The lock's packages that ship a library the wheel needs or loads by name.
  providers =
    facts:
    lib.unique (
      builtins.filter (name: target.packages ? ${name}) (
        map (e: e.provided_by) (
          builtins.filter (e: e.kind == "sibling" && (e.provided_by or null) != null) (
            (facts.external or [ ]) ++ (facts.runtime_loads or [ ])
          )
        )
      )
    );
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
      inherit
        sonameOverrides
        ignoreMissing
        includeOptional
        runtimeLoads
        ;
    });
in
{
  inherit key target;
  names = builtins.attrNames target.packages;
  # name -> build, each taking what it depends on from `self`.
  wheelsFrom = self: builtins.mapAttrs (_: wheel self) target.packages;
}
