# A package set with uv2nix's and poetry2nix's override shape (overrideAttrs,
# overridePythonAttrs, `old.buildInputs or [ ]`), with manylinux-nix's overlay for the
# named flavour applied; returns what the overlay set on each package.
{
  factsFile,
  flavour,
  hostPython,
}:
let
  pkgs = import ./standin.nix {
    inherit hostPython;
    patchelf = "/bin/true";
    overlays = [ (import ../../overlays/default.nix) ];
  };
  inherit (pkgs) lib;
  mkPkg =
    attrs:
    attrs
    // {
      overrideAttrs = f: mkPkg (attrs // f attrs);
      overridePythonAttrs = f: mkPkg (attrs // f attrs);
    };
  doc = builtins.fromJSON (builtins.readFile factsFile);
  key = builtins.head (builtins.attrNames doc.targets);
  # Every wheel of the facts file as a package, each with something already set.
  base =
    final:
    {
      python = pkgs.python311;
    }
    // builtins.mapAttrs (
      name: _:
      mkPkg {
        pname = name;
        outPath = "/nix/store/00000000000000000000000000000000-${name}";
        buildInputs = [ "pre-existing" ];
      }
    ) doc.targets.${key}.packages;
  overlay = pkgs.manylinuxNix."${flavour}Overrides" { facts = factsFile; };
  set = lib.fix (lib.extends overlay base);
in
builtins.mapAttrs (
  name: _:
  let
    p = set.${name};
  in
  {
    buildInputs = map (x: if builtins.isString x then x else x.name) p.buildInputs;
    autoPatchelfIgnoreMissingDeps = p.autoPatchelfIgnoreMissingDeps or [ ];
    appendRunpaths = p.appendRunpaths or [ ];
    postFixup = p.postFixup or "";
  }
) doc.targets.${key}.packages
