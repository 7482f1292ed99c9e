# The few nixpkgs `lib` functions manylinux-nix uses, written from builtins with the same
# names and semantics, because these machines have no nixpkgs (and Nix 2.8 could not
# evaluate a current one).
let
  regexSpecial = [ "\\" "." "[" "]" "(" ")" "{" "}" "*" "+" "?" "^" "$" "|" ];
  escapeRegex = builtins.replaceStrings regexSpecial (map (c: "\\${c}") regexSpecial);
  fix = f: let x = f x; in x;
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
  optionals = cond: list: if cond then list else [ ];
  concatMap = f: list: builtins.concatLists (map f list);
  concatLists = builtins.concatLists;
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
  replaceStrings = builtins.replaceStrings;
  escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
  genAttrs = names: f: builtins.listToAttrs (map (n: nameValuePair n (f n)) names);
  attrValues = builtins.attrValues;
  mapAttrs = builtins.mapAttrs;
  drop = n: list: builtins.genList (i: builtins.elemAt list (i + n)) (builtins.length list - n);
  concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
  makeLibraryPath = pkgs: builtins.concatStringsSep ":" (map (p: "${getLib p}/lib") pkgs);
  optionalAttrs = cond: set: if cond then set else { };
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
