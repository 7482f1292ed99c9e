# Fixed-output fetches of every wheel of one target of a lock, with Nix's builtin
# fetcher: checks that a lock's url and hash are exactly what a FOD needs.
{ lockFile, target }:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);
  fetch =
    p:
    import <nix/fetchurl.nix> {
      inherit (p) url hash;
      name = p.filename;
    };
in
builtins.mapAttrs (_: fetch) lock.targets.${target}.packages
