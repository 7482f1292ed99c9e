# A fixed-output fetch of exactly one wheel: either a lock entry ({ url, hash,
# filename? }) or fetchPypi's wheel arguments ({ pname, version, python, abi, platform,
# dist?, hash }). The store name is the wheel's decoded file name, which nixpkgs'
# wheelUnpackHook copies to dist/ (stripHash "$src"); characters a store path may not
# hold ("!" of an epoch) become "_", and passthru.wheelFilename keeps the real name,
# which buildManylinuxWheel's hook gives the file back before installing it.
{
  lib,
  fetchurl,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
args:
let
  # Closed argument sets, as nixpkgs' fetchPypi has: a typo is an error, not ignored.
  allowed =
    if args ? url then
      [ "url" "hash" "filename" ]
    else
      [ "pname" "version" "python" "dist" "abi" "platform" "hash" "format" ];
  unknown = builtins.filter (name: !(builtins.elem name allowed)) (builtins.attrNames args);
  fromLock =
    if unknown != [ ] then
      throw "fetchPypiWheel: unexpected argument ${builtins.head unknown}; it takes ${lib.concatStringsSep ", " allowed}"
    else if (args.format or "wheel") != "wheel" then
      throw "fetchPypiWheel: format = \"${args.format}\"; it fetches wheels only (format = \"wheel\")"
    else
      args ? url;
  url =
    if fromLock then
      args.url
    else
      manylinuxNixLib.wheelUrl (
        builtins.intersectAttrs {
          pname = null;
          version = null;
          python = null;
          dist = null;
          abi = null;
          platform = null;
        } args
      );
  filename = args.filename or (manylinuxNixLib.urlFilename url);
in
fetchurl {
  inherit url;
  hash = args.hash or (throw "fetchPypiWheel: ${filename} needs a hash (sha256-...); `manylinux-nix prefetch` prints it");
  name = manylinuxNixLib.storeName filename;
  passthru.wheelFilename = filename;
}
