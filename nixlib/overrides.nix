# Overlays for uv2nix (pyproject.nix package sets) and poetry2nix that add exactly the
# native inputs a facts file (`manylinux-nix overrides`) names, to the wheels it lists.
{
  lib,
  pkgs,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
let
  readFacts =
    facts: if builtins.isAttrs facts then facts else builtins.fromJSON (builtins.readFile facts);

  targetOf =
    doc: python: system:
    let
      key = manylinuxNixLib.targetKey { inherit system python; };
    in
    doc.targets.${key} or (throw (
      "manylinux-nix: the facts file has no target ${key} (it has: "
      + lib.concatStringsSep ", " (builtins.attrNames doc.targets)
      + "); run manylinux-nix overrides with --system ${system} --python ${python.pythonVersion}"
    ));

  # The attributes to add to one package's old attributes. Facts describe the wheel, so
  # only a build from that wheel gets them: uv2nix adds autoPatchelfHook only for wheels,
  # poetry2nix only for manylinux wheels, and a package built from its sdist has neither
  # the hook nor addAutoPatchelfSearchPath. Sibling folders are added in postFixup, which
  # runs before autoPatchelf's own postFixup hook; manylinux-nix's hook follows it.
  nativeAttrs =
    {
      final,
      python,
      name,
      entry,
      sonameOverrides,
      ignoreMissing,
      includeOptional,
      runtimeLoads,
      old,
    }:
    let
      native = manylinuxNixLib.nativeInputs {
        inherit
          pkgs
          sonameOverrides
          ignoreMissing
          includeOptional
          ;
        facts = entry.facts or { };
        wheel = entry.filename or name;
      };
      providerSite =
        s:
        if s.provider == null || !(final ? ${s.provider}) then
          [ ]
        else
          [ "${final.${s.provider}}/${python.sitePackages}" ];
      sites = lib.unique (lib.concatMap providerSite native.siblings);
      dirs = lib.unique (
        lib.concatMap (s: if s.path == null then [ ] else map (site: "${site}/${s.path}") (providerSite s)) native.siblings
      );
      hook = import ./manylinux-hook.nix {
        inherit lib python;
        inherit (pkgs) makeSetupHook;
      };
      # Whether the set builds this package from its wheel, decided without reading
      # old.nativeBuildInputs: uv2nix computes those from finalAttrs (self.src), so
      # attribute names that depend on them recurse forever (found with the real uv2nix).
      # uv2nix says so in passthru.format, poetry2nix in format; else the src's name.
      format = old.passthru.format or old.format or null;
      srcName = if old ? src then old.src.name or (baseNameOf (toString old.src)) else "";
      isWheel = if format != null then format == "wheel" else lib.hasSuffix ".whl" srcName;
      loads = manylinuxNixLib.runtimeLoadsOf {
        inherit pkgs sonameOverrides;
        facts = entry.facts or { };
        wheel = entry.filename or name;
        driverDir = "${pkgs.addDriverRunpath.driverLink}/lib";
        siteOf =
          provider:
          let
            found = providerSite { inherit provider; };
          in
          if found == [ ] then null else builtins.head found;
      };
      withLoads = runtimeLoads && loads.wanted;
      # A wheel without native needs (no ELF file, nothing loaded by name) is left as it is.
      fromWheel =
        isWheel && pkgs.stdenv.hostPlatform.isLinux && ((entry.facts.elf_files or 1) > 0 || withLoads);
    in
    lib.optionalAttrs fromWheel {
      manylinuxDistribution = name;
      manylinuxRuntimeLoads = if withLoads then builtins.toJSON { inherit (loads) entries paths; } else "";
      nativeBuildInputs = (old.nativeBuildInputs or [ ]) ++ [ hook ];
      buildInputs = (old.buildInputs or [ ]) ++ native.buildInputs;
      autoPatchelfIgnoreMissingDeps = (old.autoPatchelfIgnoreMissingDeps or [ ]) ++ native.ignoreMissing;
      manylinuxLeftMissing = (old.manylinuxLeftMissing or [ ]) ++ native.ignoreMissing;
      appendRunpaths =
        (old.appendRunpaths or [ ])
        ++ lib.optionals native.needsDriver [ "${pkgs.addDriverRunpath.driverLink}/lib" ];
      manylinuxSiblingSites = (old.manylinuxSiblingSites or [ ]) ++ sites;
      postFixup =
        lib.concatMapStrings (dir: ''
          if [ -d ${lib.escapeShellArg dir} ] && declare -F addAutoPatchelfSearchPath >/dev/null; then
            addAutoPatchelfSearchPath ${lib.escapeShellArg dir}
          fi
        '') dirs
        + (old.postFixup or "");
    };

  # Facts describe one lock: after `uv lock --upgrade` they describe the wrong wheels.
  checkSource =
    doc: lock:
    let
      have = builtins.hashFile "sha256" lock;
      made = doc.source_sha256 or null;
    in
    if lock == null || made == have then
      doc
    else
      throw (
        "manylinux-nix: the facts file was made from "
        + (if made == null then "an unrecorded lock" else "another lock (sha256 ${made})")
        + ", not ${toString lock} (sha256 ${have}); re-run `manylinux-nix overrides ${baseNameOf (toString lock)} -o <facts file>`"
      );

  # A package whose version is not the one the facts describe is refused, not patched.
  checkVersion =
    name: entry: old:
    let
      have = old.version or null;
    in
    if have == null || have == entry.version || builtins.compareVersions have entry.version == 0 then
      true
    else
      throw "manylinux-nix: the facts file describes ${name} ${entry.version}, but the package set has ${name} ${have}; re-run `manylinux-nix overrides` on the lock the set comes from";

  mkOverlay =
    override:
    {
      facts,
      # The lock the package set comes from (./uv.lock, ./poetry.lock): facts made from
      # another lock are refused.
      lock ? null,
      python ? null,
      system ? pkgs.stdenv.hostPlatform.system,
      # For the whole set, as mkWheelSet takes them.
      sonameOverrides ? { },
      ignoreMissing ? [ ],
      includeOptional ? [ ],
      # false: leave what the packages' Python code loads by name alone.
      runtimeLoads ? true,
    }:
    final: prev:
    let
      # prev, not final: the overlay's own attribute names depend on this.
      python' = if python != null then python else prev.python;
      key = manylinuxNixLib.targetKey {
        inherit system;
        python = python';
      };
      target = targetOf (checkSource (readFacts facts) lock) python' system;
      # Only wheels this package set really has, and only those with facts.
      present = lib.filterAttrs (name: entry: prev ? ${name} && entry ? facts) target.packages;
      guard = manylinuxNixLib.guardSet {
        inherit
          pkgs
          sonameOverrides
          ignoreMissing
          includeOptional
          ;
        what = "the facts file's ${key} set";
        packages = present;
      };
    in
    builtins.mapAttrs (
      name: entry:
      guard name entry (
        override prev.${name} (
          old:
          assert checkVersion name entry old;
          nativeAttrs {
            inherit
              final
              name
              entry
              sonameOverrides
              ignoreMissing
              includeOptional
              runtimeLoads
              old
              ;
            python = python';
          }
        )
      )
    ) present;
in
{
  # pythonSet.overrideScope (lib.composeManyExtensions [ ... (uv2nixOverrides { facts = ./native-deps.json; }) ])
  uv2nixOverrides = mkOverlay (pkg: f: pkg.overrideAttrs f);

  # poetry2nix.overrides.withDefaults (poetry2nixOverrides { facts = ./native-deps.json; })
  poetry2nixOverrides = mkOverlay (pkg: f: pkg.overridePythonAttrs f);
}
