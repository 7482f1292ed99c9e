# manylinux-nix's Nix library: pure functions over the lock, the inspection facts and
# the shared data. Package-set functions (fetchPypiWheel, buildManylinuxWheel,
# mkWheelSet) live in their own files and take these as an argument.
{ lib }:
let
  data = import ./data.nix;

  # "stdenv.cc.cc.lib" -> that value in pkgs, or null when this nixpkgs lacks it.
  getAttrPath = pkgs: path: lib.attrByPath (lib.splitString "." path) null pkgs;

  glibcSonames = data.sonames.glibc.all ++ data.sonames.musl.all;
  driverSonames = data.sonames.drivers.all;

  # Policies by name and by legacy alias (manylinux2014 = manylinux_2_17).
  policyList = data.policies.policies;
in
rec {
  inherit data;

  # The nixpkgs attribute paths the soname map offers for a soname, best first.
  candidatesFor = soname: (data.sonames.libraries.${soname} or { nix = [ ]; }).nix;

  # Whether a version is in a range of the soname map: "==76.*", ">=2.14", ">=3,<4".
  versionInRange =
    range: version:
    let
      holds =
        clause:
        let
          parts = builtins.match "(==|!=|>=|<=|<|>)(.+)" clause;
          op = builtins.elemAt parts 0;
          bound = builtins.elemAt parts 1;
          order = builtins.compareVersions version bound;
          prefix = lib.splitString "." (lib.removeSuffix ".*" bound);
          samePrefix = lib.take (builtins.length prefix) (builtins.splitVersion version) == prefix;
        in
        if parts == null then
          throw "manylinux-nix: bad version range ${range} in the soname map"
        else if op == "==" then
          (if lib.hasSuffix ".*" bound then samePrefix else order == 0)
        else if op == "!=" then
          (if lib.hasSuffix ".*" bound then !samePrefix else order != 0)
        else if op == ">=" then
          order >= 0
        else if op == "<=" then
          order <= 0
        else if op == ">" then
          order > 0
        else
          order < 0;
    in
    version != null && lib.all holds (lib.splitString "," range);

  # What one candidate attribute path gives for a soname: the package, or why not.
  # nixpkgs keeps removed names as `throw` aliases (aliases.nix), so each is tried with
  # tryEval; a name that follows upstream releases (icu, libxml2) counts only while its
  # version ships this soname.
  lookup =
    pkgs: soname: path:
    let
      found = builtins.tryEval (getAttrPath pkgs path);
      range = ((data.sonames.libraries.${soname} or { }).versions or { }).${path} or null;
      version = (builtins.tryEval (found.value.version or null)).value;
    in
    if !found.success then
      {
        package = null;
        why = "${path} was removed";
      }
    else if found.value == null then
      {
        package = null;
        why = "${path} is missing";
      }
    else if range != null && !(versionInRange range version) then
      {
        package = null;
        why = "${path} is ${if version == null then "unversioned" else version}, not ${range}";
      }
    else
      {
        package = found.value;
        why = null;
      };

  # The first candidate that ships the soname in pkgs, or null.
  libraryFor =
    pkgs: soname:
    lib.findFirst (p: p != null) null (
      map (path: (lookup pkgs soname path).package) (candidatesFor soname)
    );

  # Why no candidate fits, for messages: "icu76 is missing, icu is 78.1, not ==76.*".
  whyNoLibrary =
    pkgs: soname:
    lib.concatStringsSep ", " (map (path: (lookup pkgs soname path).why) (candidatesFor soname));

  isFreeThreaded =
    python:
    builtins.elem "cp${lib.replaceStrings [ "." ] [ "" ] python.pythonVersion}t" (
      python.pythonABITags or [ ]
    );

  # The key a lock uses for a target: "x86_64-linux/3.12", "x86_64-linux/3.13t".
  targetKey =
    { system, python }:
    "${system}/${python.pythonVersion}${lib.optionalString (isFreeThreaded python) "t"}";

  readLock =
    lock:
    let
      doc = if builtins.isAttrs lock then lock else builtins.fromJSON (builtins.readFile lock);
    in
    if (doc.version or null) == 1 then
      doc
    else
      throw "manylinux-nix: ${toString lock} is not a version 1 lock; write it with `manylinux-nix lock`";

  # fetchPypi's wheel URL scheme, for fetchPypiWheel's fetchPypi-style arguments.
  wheelUrl =
    {
      pname,
      version,
      python ? "py3",
      dist ? python,
      abi ? "none",
      platform ? "any",
    }:
    "https://files.pythonhosted.org/packages/${dist}/${builtins.substring 0 1 pname}/${pname}/${pname}-${version}-${python}-${abi}-${platform}.whl";

  # A URL's last component, percent-decoded where wheel names need it ("%2B" -> "+").
  urlFilename =
    url:
    lib.replaceStrings [ "%2B" "%2b" "%21" "%7E" "%7e" ] [ "+" "+" "!" "~" "~" ] (
      lib.last (lib.splitString "/" url)
    );

  # A name a store path may have: "!" (an epoch) and other characters outside
  # [A-Za-z0-9+._?=-] become "_". The wheel keeps its real name in passthru.wheelFilename.
  storeName =
    name:
    lib.concatStrings (
      map (c: if builtins.match "[A-Za-z0-9+._?=-]" c != null then c else "_") (
        builtins.genList (i: builtins.substring i 1 name) (builtins.stringLength name)
      )
    );

  # The wheel's file name, whatever src is: fetchPypiWheel's result (whose store name may
  # have been changed), another fetcher's, or a path such as ./demo-1.0-py3-none-any.whl.
  wheelFilenameOf =
    src:
    if builtins.isPath src then
      baseNameOf src
    else if builtins.isString src then
      baseNameOf (lib.removePrefix "/" src)
    else
      src.passthru.wheelFilename or src.wheelFilename or src.name;

  # The library set of one policy, for users who want the blanket list.
  policyLibs =
    pkgs: policy:
    lib.unique (
      map lib.getLib (
        builtins.filter (p: p != null) (
          map (libraryFor pkgs) (
            builtins.filter (s: !(builtins.elem s glibcSonames)) policy.lib_whitelist
          )
        )
      )
    );

  # manylinuxLibs.<policy>: manylinux_2_17, manylinux2014, ..., manylinux_2_41, musllinux_1_2.
  manylinuxLibs =
    pkgs:
    builtins.listToAttrs (
      lib.concatMap (
        policy:
        map (name: lib.nameValuePair name (policyLibs pkgs policy)) ([ policy.name ] ++ policy.aliases)
      ) policyList
    );

  # The needed libraries of a wheel's facts that nothing provides: neither this nixpkgs
  # (through the soname map), nor sonameOverrides, nor ignoreMissing. Each is
  # { soname, wantedBy, why }.
  unresolvedOf =
    {
      pkgs,
      facts,
      sonameOverrides ? { },
      ignoreMissing ? [ ],
      includeOptional ? [ ],
    }:
    let
      lookupName = e: e.matched_as or e.soname;
      kind = e: if e.kind == "optional" && builtins.elem e.soname includeOptional then "library" else e.kind;
      open =
        e:
        !(sonameOverrides ? ${e.soname})
        && !(builtins.elem e.soname ignoreMissing)
        && !(e.optional or false)
        && (kind e == "unknown" || (kind e == "library" && libraryFor pkgs (lookupName e) == null));
      why =
        e:
        let
          tried = candidatesFor (lookupName e);
        in
        if tried == [ ] then
          "not in manylinux-nix's soname map"
        else
          "this nixpkgs has none of ${lib.concatStringsSep ", " tried} (${whyNoLibrary pkgs (lookupName e)})";
    in
    # Sonames the map does not know come first: they are the likelier surprise.
    map (e: {
      inherit (e) soname;
      wantedBy = builtins.head (e.wanted_by or [ "?" ]);
      why = why e;
    }) (builtins.sort (a: b: a.kind == "unknown" && b.kind != "unknown") (builtins.filter open (facts.external or [ ])));

  # One message for every unresolved library of a wheel or a set, with the attributes
  # to paste: evaluation stops once, not once per library. Each problem is
  # { soname, wantedBy, why, wheel }.
  unresolvedMessage =
    what: problems:
    let
      sonames = lib.unique (map (p: p.soname) problems);
      line = p: "  ${p.soname}, needed by ${p.wheel} (${p.wantedBy}): ${p.why}";
    in
    "manylinux-nix: ${toString (builtins.length sonames)} needed "
    + (if builtins.length sonames == 1 then "library" else "libraries")
    + " of ${what} ${if builtins.length sonames == 1 then "has" else "have"} no package here:\n"
    + lib.concatMapStringsSep "\n" line problems
    + "\ngive each a package (or null to leave it missing) and evaluate again:\n"
    + "  sonameOverrides = {\n"
    + lib.concatMapStrings (s: "    ${lib.strings.escapeNixString s} = null; # or pkgs.<package>\n") sonames
    + "  };\n"
    + "or leave them all missing: ignoreMissing = [ ${lib.concatMapStringsSep " " lib.strings.escapeNixString sonames} ];";

  # For a set of lock entries (name -> { filename, facts }): `guard name entry value` is
  # value, or, when that entry has an unresolved soname of its own, the one message that
  # names every unresolved soname of the set. An entry replaced by the user is never
  # guarded, so it cannot stop the set.
  guardSet =
    {
      pkgs,
      what,
      packages,
      sonameOverrides ? { },
      ignoreMissing ? [ ],
      includeOptional ? [ ],
    }:
    let
      of =
        name: entry:
        map (p: p // { wheel = entry.filename or name; }) (unresolvedOf {
          inherit
            pkgs
            sonameOverrides
            ignoreMissing
            includeOptional
            ;
          facts = entry.facts or { };
        });
      all = lib.concatLists (lib.mapAttrsToList of packages);
    in
    name: entry: value:
    if of name entry != [ ] then throw (unresolvedMessage what all) else value;

  # What a wheel's facts ask of a build: the libraries to add, the sonames to leave
  # missing (GPU driver, optional plugins' needs not asked for, overridden to null), and
  # where sibling wheels' libraries lie. Unresolved sonames stop evaluation, all named
  # at once with the two ways out.
  nativeInputs =
    {
      pkgs,
      facts,
      wheel,
      sonameOverrides ? { },
      ignoreMissing ? [ ],
      # Optional plugins' libraries to bring in after all: [ "libtbb.so.12" ].
      includeOptional ? [ ],
    }:
    let
      external = facts.external or [ ];
      overridden = e: sonameOverrides ? ${e.soname};
      ignored = e: builtins.elem e.soname ignoreMissing;
      included = e: builtins.elem e.soname includeOptional;
      # An optional library someone asked for is wanted like any other.
      kind = e: if e.kind == "optional" && included e then "library" else e.kind;
      # A file name such as libgomp.so.1.0.0 is looked up as the soname it maps as.
      lookupName = e: e.matched_as or e.soname;
      resolve =
        e:
        if overridden e then
          sonameOverrides.${e.soname}
        else if kind e == "library" then
          libraryFor pkgs (lookupName e)
        else
          null;
      unresolved = map (p: p // { inherit wheel; }) (unresolvedOf {
        inherit
          pkgs
          facts
          sonameOverrides
          ignoreMissing
          includeOptional
          ;
      });
      drivers = builtins.filter (e: e.kind == "driver" && !(overridden e)) external;
      leftOut = builtins.filter (e: kind e == "optional" && !(overridden e)) external;
      warnLeftOut =
        if leftOut == [ ] then
          (x: x)
        else
          lib.warn (
            "manylinux-nix: ${wheel}: optional libraries left out: "
            + lib.concatMapStringsSep "; " (e: "${e.soname} (${e.reason or "loaded on demand"})") leftOut
            + "; includeOptional = [ \"${(builtins.head leftOut).soname}\" ] brings one in"
          );
    in
    if unresolved != [ ] then
      throw (unresolvedMessage wheel unresolved)
    else
      {
        buildInputs = lib.unique (
          map lib.getLib (builtins.filter (p: p != null) (map resolve (builtins.filter (e: !(ignored e)) external)))
        );
        ignoreMissing = warnLeftOut (
          map (e: e.soname) drivers
          ++ map (e: e.soname) leftOut
          ++ map (e: e.soname) (builtins.filter (e: overridden e && resolve e == null) external)
          ++ ignoreMissing
        );
        # libcudart, cuDNN and NCCL dlopen() libcuda.so.1 without naming it in DT_NEEDED.
        needsDriver = drivers != [ ] || (facts.driver_dlopen or false);
        siblings = map (e: {
          inherit (e) soname;
          provider = e.provided_by or null;
          path = e.search_path or null;
        }) (builtins.filter (e: e.kind == "sibling" && !(overridden e)) external);
      };

  # Where each library a wheel's Python code loads by name (facts.runtime_loads) is, as
  # the in-build tool takes it: { entries; paths = { soname = absolute path or, for
  # glibc, the soname its loader finds; }; }. `siteOf provider` is the site-packages of
  # a sibling wheel's package (or null); `driverDir` the driver's folder. A name nothing
  # supplies (unknown, overridden to null) is left as the package would find it on the
  # system, with a warning: a runtime load is often one of several tries.
  runtimeLoadsOf =
    {
      pkgs,
      facts,
      wheel,
      driverDir,
      siteOf ? (_: null),
      sonameOverrides ? { },
    }:
    let
      entries = builtins.filter (e: e.how != "ldconfig") (facts.runtime_loads or [ ]);
      key = e: if (e.soname or null) != null then e.soname else e.name;
      package =
        e:
        if sonameOverrides ? ${key e} then
          sonameOverrides.${key e}
        else if e.kind == "library" then
          libraryFor pkgs (e.matched_as or e.soname)
        else
          null;
      pathOf =
        e:
        if sonameOverrides ? ${key e} then
          (if package e == null then null else "${lib.getLib (package e)}/lib/${key e}")
        else if e.kind == "glibc" then
          e.soname
        else if e.kind == "driver" then
          "${driverDir}/${e.soname}"
        else if e.kind == "sibling" then
          (
            let
              site = siteOf (e.provided_by or null);
            in
            if site == null then null else "${site}/${e.search_path}/${e.soname}"
          )
        else if e.kind == "vendored" then
          null
        else if package e == null then
          null
        else
          "${lib.getLib (package e)}/lib/${e.matched_as or e.soname}";
      found = builtins.filter (e: pathOf e != null) entries;
      missing = builtins.filter (e: pathOf e == null && e.kind != "vendored") entries;
      warnMissing =
        if missing == [ ] then
          (x: x)
        else
          lib.warn (
            "manylinux-nix: ${wheel}: loaded by name at run time, with no package here: "
            + lib.concatMapStringsSep "; " (e: "${key e} (${builtins.head (e.wanted_by or [ "?" ])})") missing
            + "; sonameOverrides = { ${lib.strings.escapeNixString (key (builtins.head missing))} = pkgs.<package>; } supplies one"
          );
    in
    warnMissing {
      entries = facts.runtime_loads or [ ];
      paths = builtins.listToAttrs (map (e: lib.nameValuePair (key e) (pathOf e)) found);
      # Whether the package has anything for the module to do (ldconfig searches too).
      wanted = (facts.runtime_loads or [ ]) != [ ];
    };

  # Without facts (a hand-written fetchPypiWheel), the wheel's claimed policy decides:
  # its whitelist's libraries, and every GPU-driver soname may stay missing.
  fallbackFacts =
    filename:
    let
      platforms = lib.splitString "." (lib.last (lib.splitString "-" (lib.removeSuffix ".whl" filename)));
      known = builtins.filter (p: builtins.any (t: lib.hasPrefix "${p.name}_" t || builtins.any (a: lib.hasPrefix "${a}_" t) p.aliases) platforms) policyList;
      policy = if known == [ ] then null else lib.foldl' (a: b: if b.priority > a.priority then b else a) (builtins.head known) known;
    in
    {
      external =
        map (soname: {
          inherit soname;
          kind = "library";
          optional = true;
          wanted_by = [ filename ];
        }) (if policy == null then [ ] else builtins.filter (s: !(builtins.elem s glibcSonames)) policy.lib_whitelist)
        ++ map (soname: {
          inherit soname;
          kind = "driver";
          wanted_by = [ filename ];
        }) driverSonames;
      modules = [ ];
    };

  # Top-level modules to import-check, from the facts.
  importsOf = facts: facts.modules or [ ];
}
