# A fixed-output fetch of exactly one wheel: either a lock entry ({ url, hash,
# filename? }) or fetchPypi's wheel arguments ({ pname, version, python, abi, platform,
# dist?, hash }). The store name is the wheel's decoded file name, which nixpkgs'
# wheelUnpackHook needs (it copies "$src" to dist/$(stripHash "$src")).
{
  lib,
  fetchurl,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
args:
let
  fromLock = args ? url;
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
  name = filename;
}
