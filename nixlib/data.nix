# The data the Python side reads too, from the one place it lives.
let
  read = name: builtins.fromJSON (builtins.readFile (../pyhelpers/data + "/${name}.json"));
in
{
  releases = read "nixpkgs-releases";
  sonames = read "sonames";
  policies = read "manylinux-policies";
}
