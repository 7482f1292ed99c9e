# The few nixpkgs `lib` functions manylinux-nix and the stand-in package set use, written
# from builtins with the same names and semantics, because these machines have no nixpkgs
# (and Nix 2.8 could not evaluate a current one). Sources in FIDELITY.md.
let
  regexSpecial = [ "\\" "." "[" "]" "(" ")" "{" "}" "*" "+" "?" "^" "$" "|" ];
  escapeRegex = builtins.replaceStrings regexSpecial (map (c: "\\${c}") regexSpecial);
  fix = f: let x = f x; in x;
  lib_min = a: b: if a < b then a else b;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  callPackageWith =
    autoArgs: fn: args:
    let
      f = if builtins.isFunction fn then fn else import fn;
    in
    f (builtins.intersectAttrs (builtins.functionArgs f) autoArgs // args);
  makeScope =
    newScope: f:
    let
      self = f self // {
        newScope = scope: newScope (self // scope);
        callPackage = self.newScope { };
        overrideScope = g: makeScope newScope (extends g f);
        packages = f;
      };
    in
    self;
in
rec {
  inherit fix extends callPackageWith makeScope;
  escape = list: builtins.replaceStrings list (map (c: "\\${c}") list);
  # Only under `strings`, as in the real lib: its top level does not export it.
  strings.escapeNixString = s: escape [ "$" ] (builtins.toJSON s);
  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if builtins.isAttrs set && set ? ${builtins.head path} then
      attrByPath (builtins.tail path) default set.${builtins.head path}
    else
      default;
  splitString = sep: s: builtins.filter builtins.isString (builtins.split (escapeRegex sep) s);
  findFirst = pred: default: list: let found = builtins.filter pred list; in if found == [ ] then default else builtins.head found;
  optionalString = cond: s: if cond then s else "";
  # As lib.warn on a Nix without builtins.warn: a trace line, and the value.
  warn = msg: builtins.trace "evaluation warning: ${msg}";
  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: list: if cond then list else [ ];
  concatMap = f: list: builtins.concatLists (map f list);
  concatLists = builtins.concatLists;
  concatStrings = builtins.concatStringsSep "";
  concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
  concatStringsSep = builtins.concatStringsSep;
  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  getLib = pkg: pkg.lib or pkg.out or pkg;
  nameValuePair = name: value: { inherit name value; };
  last = list: builtins.elemAt list (builtins.length list - 1);
  hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
  removeSuffix =
    suf: s:
    let
      n = builtins.stringLength s;
      m = builtins.stringLength suf;
    in
    if m <= n && builtins.substring (n - m) m s == suf then builtins.substring 0 (n - m) s else s;
  foldl' = builtins.foldl';
  foldl = op: nul: list: builtins.foldl' op nul list;
  isAttrs = builtins.isAttrs;
  isList = builtins.isList;
  replaceStrings = builtins.replaceStrings;
  # As lib/strings.nix now does: a string of safe characters only is left unquoted.
  escapeShellArg =
    arg:
    let
      string = toString arg;
    in
    if builtins.match "[[:alnum:],._+:@%/-]+" string == null then
      "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] string}'"
    else
      string;
  escapeShellArgs = list: builtins.concatStringsSep " " (map escapeShellArg list);
  isDerivation = value: builtins.isAttrs value && (value.type or null) == "derivation";
  getExe = pkg: "${pkg}/bin/${pkg.meta.mainProgram or pkg.pname or pkg.name}";
  hasSuffix =
    suf: s:
    let
      n = builtins.stringLength s;
      m = builtins.stringLength suf;
    in
    m <= n && builtins.substring (n - m) m s == suf;
  hasInfix = infix: s: builtins.match ".*${escapeRegex infix}.*" s != null;
  removePrefix =
    pre: s:
    if hasPrefix pre s then
      builtins.substring (builtins.stringLength pre) (builtins.stringLength s) s
    else
      s;
  mapAttrsToList = f: set: map (name: f name set.${name}) (builtins.attrNames set);
  elem = builtins.elem;
  take = n: list: builtins.genList (builtins.elemAt list) (lib_min n (builtins.length list));
  head = builtins.head;
  filter = builtins.filter;
  any = builtins.any;
  all = builtins.all;
  length = builtins.length;
  versionAtLeast = a: b: builtins.compareVersions a b >= 0;
  versionOlder = a: b: builtins.compareVersions a b < 0;
  # lib.fileset, as far as toSource over unions of paths goes.
  fileset = {
    unions = paths: paths;
    toSource =
      { root, fileset }:
      let
        rootString = toString root;
        wanted = map toString fileset;
        keep =
          path: _type:
          builtins.any (w: path == w || hasPrefix "${w}/" path || hasPrefix "${path}/" w) wanted;
      in
      builtins.path {
        path = root;
        name = "source";
        filter = keep;
      };
  };
  genAttrs = names: f: builtins.listToAttrs (map (n: nameValuePair n (f n)) names);
  attrValues = builtins.attrValues;
  mapAttrs = builtins.mapAttrs;
  drop = n: list: builtins.genList (i: builtins.elemAt list (i + n)) (builtins.length list - n);
  concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
  makeLibraryPath = pkgs: builtins.concatStringsSep ":" (map (p: "${getLib p}/lib") pkgs);
  optionalAttrs = cond: set: if cond then set else { };
  versions.major = v: builtins.elemAt (builtins.splitVersion v) 0;
  versions.majorMinor =
    v:
    let
      parts = builtins.splitVersion v;
    in
    "${builtins.elemAt parts 0}.${builtins.elemAt parts 1}";
  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      builtins.concatMap (
        name: if pred name set.${name} then [ (nameValuePair name set.${name}) ] else [ ]
      ) (builtins.attrNames set)
    );
}
