# Package sets shaped like uv2nix's and poetry2nix's, over the stand-in nixpkgs, with
# manylinux-nix's overlay for the named flavour applied:
# - uv2nix (lib/build.nix): stdenv.mkDerivation per package; a wheel gets the wheel
#   hooks and, on Linux, autoPatchelfHook; an sdist gets the build hooks and no
#   autoPatchelfHook. Changed with overrideAttrs.
# - poetry2nix (mk-poetry-dep.nix): buildPythonPackage; a manylinux wheel gets
#   autoPatchelfHook in nativeBuildInputs. Changed with overridePythonAttrs.
# Every package of the facts file is built from its wheel in `wheelDir`, except those
# named in `sdists`, which are built from the project folder `sdistDir`.
{
  factsFile,
  flavour,
  hostPython,
  patchelf ? "/bin/true",
  wheelDir ? null,
  sdistDir ? null,
  sdists ? [ ],
  # The lock the set comes from, for the overlay's check that the facts match it.
  lockFile ? null,
  # name -> version: the set's version where it differs from the facts' (an upgrade).
  versions ? { },
}:
let
  pkgs = import ./standin.nix {
    inherit hostPython patchelf;
    overlays = [ (import ../../overlays/default.nix) ];
  };
  inherit (pkgs) lib;
  python = pkgs.python3;
  py = python.pkgs;
  doc = builtins.fromJSON (builtins.readFile factsFile);
  key = builtins.head (builtins.attrNames doc.targets);
  entries = doc.targets.${key}.packages;
  # Something each package already has, which the overlay must keep.
  preExisting = pkgs.runCommand "pre-existing" { } "mkdir -p $out";
  isSdist = name: builtins.elem name sdists;
  srcOf =
    name: entry:
    if isSdist name then
      sdistDir
    else if wheelDir == null then
      "/nix/store/00000000000000000000000000000000-${entry.filename}"
    else
      /. + "${toString wheelDir}/${entry.filename}";

  uv2nixPackage =
    name: entry:
    pkgs.stdenv.mkDerivation (self: {
      pname = name;
      version = versions.${name} or entry.version;
      src = srcOf name entry;
      # As uv2nix's lib/build.nix: nativeBuildInputs read finalAttrs (self.src), so an
      # override whose attribute names depend on them recurses forever.
      nativeBuildInputs = lib.optional (lib.hasSuffix ".zip" (self.src.passthru.url or "")) pkgs.unzip
      ++ [
        python
      ]
      ++ (
        if isSdist name then
          [
            py.pypaBuildHook
            py.pypaInstallHook
          ]
        else
          [
            py.wheelUnpackHook
            py.pypaInstallHook
            pkgs.autoPatchelfHook
          ]
      );
      buildInputs = [ preExisting ];
      dontStrip = !(isSdist name);
      passthru.format = if isSdist name then "pyproject" else "wheel";
    });

  poetry2nixPackage =
    name: entry:
    let
      attrs = {
        pname = name;
        version = versions.${name} or entry.version;
        src = srcOf name entry;
        format = if isSdist name then null else "wheel";
        pyproject = if isSdist name then true else null;
        nativeBuildInputs = lib.optionals (!(isSdist name)) [ pkgs.autoPatchelfHook ];
        buildInputs = [ preExisting ];
        dontUsePythonImportsCheck = true;
      };
      make = a: py.buildPythonPackage a // { overridePythonAttrs = f: make (a // f a); };
    in
    make attrs;

  base =
    final:
    {
      inherit python;
    }
    // builtins.mapAttrs (if flavour == "uv2nix" then uv2nixPackage else poetry2nixPackage) entries;
  overlay = pkgs.manylinuxNix."${flavour}Overrides" {
    facts = factsFile;
    lock = lockFile;
  };
  set = lib.fix (lib.extends overlay base);
in
set
// {
  # What the overlay set on each package, for evaluation tests.
  summary = builtins.mapAttrs (
    name: _:
    let
      p = set.${name};
    in
    {
      buildInputs = map (x: x.name) p.buildInputs;
      autoPatchelfIgnoreMissingDeps = p.autoPatchelfIgnoreMissingDeps or [ ];
      appendRunpaths = p.appendRunpaths or [ ];
      postFixup = p.postFixup or "";
      nativeBuildInputs = map (x: x.name) p.nativeBuildInputs;
    }
  ) entries;
}
