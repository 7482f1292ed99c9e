# buildPythonPackage for one binary wheel, with exactly the native inputs its
# inspection facts name. Called from a Python package set (pythonPackagesExtensions).
{
  lib,
  pkgs,
  python,
  buildPythonPackage,
  autoPatchelfHook,
  addDriverRunpath,
  makeSetupHook,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
  manylinuxNixHook ? import ./manylinux-hook.nix { inherit lib makeSetupHook python; },
}:
{
  # A wheel: fetchPypiWheel's result, any fetcher's, or a path (./demo-1.0-py3-none-any.whl).
  src,
  # The `facts` of a lock entry, the `inspect --json` report, or a path to either.
  facts ? null,
  # { "libssl.so.3" = pkgs.openssl_3; "libfoo.so.1" = null; } (null: leave it missing)
  sonameOverrides ? { },
  extraLibs ? [ ],
  ignoreMissing ? [ ],
  # Optional plugins' libraries (left out by default, with a warning) to bring in.
  includeOptional ? [ ],
  # Packages that provide sibling libraries, by distribution name (nvidia-cudnn-cu12).
  siblingPackages ? { },
  # `manylinux-nix verify` after autoPatchelf: a wheel that would fail at import fails here.
  dontVerifyManylinux ? false,
  # Libraries the wheel's Python code loads by name (ctypes, cffi, ldconfig): a module in
  # site-packages makes those names resolve to store paths. false leaves them alone.
  runtimeLoads ? true,
  dependencies ? [ ],
  ...
}@args:
let
  filename = manylinuxNixLib.wheelFilenameOf src;
  parts = lib.splitString "-" filename;
  pname = args.pname or (builtins.elemAt parts 0);
  version = args.version or (builtins.elemAt parts 1);
  facts' =
    if facts == null then
      manylinuxNixLib.fallbackFacts filename
    else if builtins.isAttrs facts then
      facts
    else
      builtins.fromJSON (builtins.readFile facts);
  isLinux = python.stdenv.hostPlatform.isLinux or true;
  native = manylinuxNixLib.nativeInputs {
    inherit
      pkgs
      sonameOverrides
      ignoreMissing
      includeOptional
      ;
    facts = facts';
    wheel = filename;
  };
  sitePackages = dep: "${dep}/${python.sitePackages}";
  loads = manylinuxNixLib.runtimeLoadsOf {
    inherit pkgs sonameOverrides;
    facts = facts';
    wheel = filename;
    driverDir = "${addDriverRunpath.driverLink}/lib";
    siteOf = provider: if provider != null && siblingPackages ? ${provider} then sitePackages siblingPackages.${provider} else null;
  };
  withLoads = runtimeLoads && isLinux && loads.wanted;
  # Sibling folders: from the named provider, or, when inspection could not tell which
  # wheel ships the library, from every dependency that has that folder.
  siblingDirs = lib.unique (
    lib.concatMap (
      s:
      if s.path == null then
        [ ]
      else if s.provider != null && siblingPackages ? ${s.provider} then
        [ "${sitePackages siblingPackages.${s.provider}}/${s.path}" ]
      else
        map (dep: "${sitePackages dep}/${s.path}") (dependencies ++ lib.attrValues siblingPackages)
    ) native.siblings
  );
  ours = [
    "runtimeLoads"
    "facts"
    "sonameOverrides"
    "extraLibs"
    "ignoreMissing"
    "includeOptional"
    "siblingPackages"
  ];
in
buildPythonPackage (
  builtins.removeAttrs args ours
  // {
    inherit pname version;
    # An epoch's "!" may not appear in a store path name; the version keeps it.
    name = args.name or (manylinuxNixLib.storeName "${pname}-${version}");
    format = "wheel";
    inherit src dependencies;
    # Stripping corrupts prebuilt ELF files ("ELF load command address/offset not aligned").
    dontStrip = true;
    # The hook follows autoPatchelfHook: its postFixup step must run after autoPatchelf's.
    nativeBuildInputs =
      (args.nativeBuildInputs or [ ])
      ++ lib.optionals isLinux [
        autoPatchelfHook
        manylinuxNixHook
      ];
    buildInputs = (args.buildInputs or [ ]) ++ lib.optionals isLinux (native.buildInputs ++ extraLibs);
    autoPatchelfIgnoreMissingDeps = (args.autoPatchelfIgnoreMissingDeps or [ ]) ++ native.ignoreMissing;
    # What verify accepts as missing: only what was left missing on purpose.
    manylinuxLeftMissing = native.ignoreMissing;
    # autoPatchelf applies these itself, after it has set each RUNPATH.
    appendRunpaths =
      (args.appendRunpaths or [ ])
      ++ lib.optionals native.needsDriver [ "${addDriverRunpath.driverLink}/lib" ];
    # A derivation's postFixup runs before autoPatchelf's hook: the place to add paths.
    postFixup =
      lib.concatMapStrings (dir: ''
        if [ -d ${lib.escapeShellArg dir} ]; then addAutoPatchelfSearchPath ${lib.escapeShellArg dir}; fi
      '') siblingDirs
      + (args.postFixup or "");
    # Where the wheel's RUNPATH entries into sibling wheels are pointed after autoPatchelf.
    manylinuxSiblingSites = lib.unique (map sitePackages (dependencies ++ lib.attrValues siblingPackages));
    manylinuxWheelName = filename;
    manylinuxDistribution = pname;
    manylinuxRuntimeLoads = if withLoads then builtins.toJSON { inherit (loads) entries paths; } else "";
    pythonImportsCheck = args.pythonImportsCheck or (manylinuxNixLib.importsOf facts');
    passthru = (args.passthru or { }) // {
      manylinuxFacts = facts';
    };
  }
)
