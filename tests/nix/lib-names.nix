# The attribute names of a nixpkgs lib, for tests/nix/real-lib-names.txt: its top level,
# then NAME.CHILD for the sub-libraries our Nix code reaches into.
{ libPath }:
let
  lib = import libPath;
  names = builtins.attrNames lib;
  sub = name:
    let v = builtins.tryEval lib.${name}; in
    if v.success && builtins.isAttrs v.value && !(v.value ? type && v.value.type == "derivation")
    then map (n: "${name}.${n}") (builtins.attrNames v.value) else [ ];
in
names ++ builtins.concatMap sub [ "strings" "lists" "attrsets" "versions" "fileset" "trivial" "customisation" "fixedPoints" "asserts" "debug" ]
