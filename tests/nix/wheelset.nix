# mkWheelSet over the stand-in package set, with manylinux-nix's overlay applied.
# sonameOverrides comes as JSON: soname -> attribute path of the stand-in, an absolute
# folder of libraries (copied into the store as lib/), or null.
{
  lockFile,
  hostPython,
  patchelf,
  sonameOverridesJSON ? "{}",
  ignoreMissing ? [ ],
  includeOptional ? [ ],
  runtimeLoads ? true,
}:
let
  pkgs = import ./standin.nix {
    inherit hostPython patchelf;
    overlays = [ (import ../../overlays/default.nix) ];
  };
  inherit (pkgs) lib;
  folder =
    path:
    pkgs.runCommand "override-libs" { src = /. + path; } "mkdir -p $out/lib && cp -r $src/. $out/lib/";
  sonameOverrides = builtins.mapAttrs (
    _: path:
    if path == null then
      null
    else if lib.hasPrefix "/" path then
      folder path
    else
      lib.attrByPath (lib.splitString "." path) null pkgs
  ) (builtins.fromJSON sonameOverridesJSON);
in
pkgs.manylinuxNix.mkWheelSet {
  lock = lockFile;
  python = pkgs.python3;
  inherit
    sonameOverrides
    ignoreMissing
    includeOptional
    runtimeLoads
    ;
}
