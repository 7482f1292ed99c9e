# A stand-in for the parts of nixpkgs that manylinux-nix uses, with the same attribute
# names, argument sets and build behaviour, built only from Nix's builtin fetcher and
# host tools: stdenv.mkDerivation runs the stand-in setup.sh (phases, runHook order,
# setup hooks, fixupOutput's shrink-rpath), buildPythonPackage adds the hooks
# mk-python-derivation.nix adds, autoPatchelfHook runs a stand-in auto-patchelf that
# behaves like the real one, withPackages wraps the interpreter with a binary wrapper.
# Each piece, the nixpkgs file it imitates and what it leaves out: FIDELITY.md.
let
  envOr = name: default: if builtins.getEnv name == "" then default else builtins.getEnv name;
in
{
  hostPython,
  patchelf,
  # The host Python's installation prefix (bin/, lib/python3.X/), for wrapping it
  # (tests/conftest.py exports it for every Nix command the suite runs).
  hostPrefix ? envOr "MANYLINUX_NIX_TEST_PYTHON_PREFIX" "/usr",
  hostGlibc ? "2.36",
  hostLibDir ? "/usr/lib/x86_64-linux-gnu",
  system ? builtins.currentSystem,
  # Which nixpkgs release's Python package versions the set claims (nixpkgs-releases.json).
  release ? "25.11",
  overlays ? [ ],
  # The host interpreter's full version, as python.version (pyproject.nix's markers read
  # it): the stand-in's Python is named and laid out after it (python3.13, cp313, ...).
  pythonFullVersion ? envOr "MANYLINUX_NIX_TEST_PYTHON_VERSION" "3.11.0",
  # A uv binary for `uv` (pyproject.nix's hooks run `uv pip install` and `uv build`).
  uvBinary ? null,
}:
let
  lib = import ./lib.nix;
  hostPath = "/usr/bin:/bin";
  pythonVersion = lib.versions.majorMinor pythonFullVersion;
  pythonMinor = builtins.elemAt (builtins.splitVersion pythonFullVersion) 1;
  # "python3.13", as lib/python3.13/site-packages and bin/python3.13 are named.
  libPrefix = "python${pythonVersion}";
  releases = (import ../../nixlib/data.nix).releases;
  packageVersions =
    releases.releases.${release}.python_packages
      or (throw "stand-in: no release ${release} in nixpkgs-releases.json");
  hooks = ./standin/hooks;

  plain =
    name: script: env:
    derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        args = [
          "-c"
          script
        ];
        PATH = hostPath;
      }
      // env
    );

  hostLibrary =
    name: sonames:
    plain "standin-${name}" "mkdir -p $out/lib && for s in $sonames; do cp -L $hostLibDir/$s $out/lib/$s; done" {
      inherit sonames hostLibDir;
    };

  # stdenv.mkDerivation: attributes or a finalAttrs function; passthru and meta stay off
  # the derivation; overrideAttrs takes `old: { }` or `final: prev: { }`.
  mkDerivationWith =
    final: fnOrAttrs:
    let
      make =
        f:
        let
          attrs = f attrs;
          passthru = attrs.passthru or { };
          drv = derivation (
            builtins.removeAttrs attrs [
              "passthru"
              "meta"
            ]
            // {
              name = attrs.name or "${attrs.pname}-${attrs.version}";
              outputs = attrs.outputs or [ "out" ];
              inherit system;
              builder = "/bin/bash";
              args = [ ./standin/setup.sh ];
              initialPath = hostPath;
              defaultNativeBuildInputs = [ final.patchelf ];
              NIX_BINTOOLS = final.bintools;
            }
          );
          extend =
            g: self:
            let
              prev = f self;
              step = g prev;
            in
            prev // (if builtins.isFunction step then g self prev else step);
        in
        drv
        // passthru
        // {
          inherit passthru;
          meta = attrs.meta or { };
          overrideAttrs = g: make (extend g);
        };
    in
    make (if builtins.isFunction fnOrAttrs then fnOrAttrs else (_: fnOrAttrs));

  # packageOverrides comes last, after pythonPackagesExtensions, as in nixpkgs'
  # interpreters/python/passthrufun.nix (FIDELITY.md); python.override takes it.
  mkPython =
    final: packageOverrides:
    let
      sitePackages = "lib/${libPrefix}/site-packages";
      python =
        final.runCommand "python3-${pythonVersion}"
          {
            pname = "python3";
            version = pythonFullVersion;
            inherit sitePackages;
            passthru = {
              inherit pythonVersion;
              version = pythonFullVersion;
              implementation = "cpython";
              sourceVersion = {
                major = "3";
                minor = pythonMinor;
              };
              inherit sitePackages;
              # The host's (test venv's) interpreter: it has installer, build and pyelftools.
              interpreter = hostPython;
              executable = libPrefix;
              inherit libPrefix;
              pythonABITags = [
                "abi3"
                "none"
                "cp3${pythonMinor}"
              ];
              inherit (final) stdenv;
              pythonOnBuildForHost = python;
              isPy3k = true;
              pythonAtLeast = lib.versionAtLeast pythonVersion;
              pythonOlder = lib.versionOlder pythonVersion;
              pkgs = pythonSet;
              withPackages = f: buildEnv (f pythonSet);
              override =
                {
                  packageOverrides ? (_: _: { }),
                  self ? null,
                }:
                mkPython final packageOverrides;
              buildEnv = { extraLibs ? [ ] }: buildEnv extraLibs;
            };
          }
          ''
            mkdir -p $out/nix-support $out/${sitePackages}
            # The host interpreter's files, but not what its site-packages holds: a real
            # nixpkgs Python has none of those packages (pyenv's has old setuptools).
            for entry in ${hostPrefix}/*; do
              [ "$(basename "$entry")" = lib ] || ln -s "$entry" "$out/"
            done
            for entry in ${hostPrefix}/lib/*; do
              [ "$(basename "$entry")" = ${libPrefix} ] || ln -s "$entry" "$out/lib/"
            done
            for entry in ${hostPrefix}/lib/${libPrefix}/*; do
              [ "$(basename "$entry")" = site-packages ] || ln -s "$entry" "$out/lib/${libPrefix}/"
            done
            cp ${hooks}/python.sh $out/nix-support/setup-hook
            substituteAllInPlace $out/nix-support/setup-hook
          '';

      pyHook =
        name: script: extra:
        final.makeSetupHook (
          {
            inherit name;
            substitutions = {
              pythonInterpreter = hostPython;
              inherit sitePackages;
            };
          }
          // extra
        ) script;

      # A package of the set: the host's module code under this release's version, so
      # importlib.metadata (and so pythonRuntimeDepsCheckHook) sees that version.
      hostPackage =
        pname: modules:
        let
          version = packageVersions.${pname} or "0";
        in
        final.stdenv.mkDerivation {
          name = "${libPrefix}-${pname}-${version}";
          inherit pname version modules;
          buildCommand = ''
            site=$out/${sitePackages}
            info=$site/${lib.replaceStrings [ "-" ] [ "_" ] pname}-${version}.dist-info
            mkdir -p "$info"
            printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' ${pname} ${version} > "$info/METADATA"
            for module in $modules; do
              path=$(PYTHONPATH= ${hostPython} -c 'import importlib.util, os, sys
            spec = importlib.util.find_spec(sys.argv[1])
            print(spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin)' "$module")
              ln -s "$path" "$site/"
            done
          '';
          passthru.pythonModule = python;
        };

      # buildPythonPackage as mk-python-derivation.nix assembles it; python-packages-base.nix
      # calls it with namePrefix "python3.X-" for packages and "" for applications.
      buildPythonPackage = mkPythonDerivation "${libPrefix}-";
      mkPythonDerivation =
        namePrefix:
        {
          format ? null,
          pyproject ? null,
          dependencies ? [ ],
          build-system ? [ ],
          nativeBuildInputs ? [ ],
          buildInputs ? [ ],
          propagatedBuildInputs ? [ ],
          outputs ? [ "out" ],
          doCheck ? false,
          dontWrapPythonPrograms ? false,
          passthru ? { },
          ...
        }@attrs:
        assert (pyproject != null) -> (format == null);
        let
          name = attrs.name or "${attrs.pname}-${attrs.version}";
          format' =
            if pyproject != null then
              (if pyproject then "pyproject" else "other")
            else if format != null then
              format
            else
              throw "${name} does not configure a `format`. To build with setuptools as before, set `pyproject = true` and `build-system = [ setuptools ]`.`";
          withDist = builtins.elem format' [
            "pyproject"
            "setuptools"
            "wheel"
          ];
          closure = lib.unique (lib.concatMap (d: [ d ] ++ (d.requiredPythonModules or [ ])) dependencies);
        in
        if
          !(builtins.elem format' [
            "wheel"
            "pyproject"
            "other"
          ])
        then
          throw "stand-in buildPythonPackage: format ${format'} is not built here"
        else
          final.stdenv.mkDerivation (
            builtins.removeAttrs attrs [
              "disabled"
              "checkPhase"
              "checkInputs"
              "nativeCheckInputs"
              "doCheck"
              "doInstallCheck"
              "pyproject"
              "format"
              "stdenv"
              "dependencies"
              "optional-dependencies"
              "build-system"
            ]
            // {
              name = "${namePrefix}${name}";
              nativeBuildInputs = [
                python
                pythonSet.wrapPython
              ]
              ++ lib.optionals (format' == "pyproject") [
                pythonSet.pypaBuildHook
                pythonSet.pythonRuntimeDepsCheckHook
              ]
              ++ lib.optionals (format' == "wheel") [ pythonSet.wheelUnpackHook ]
              ++ lib.optionals (format' != "other") [ pythonSet.pypaInstallHook ]
              ++ [ pythonSet.pythonImportsCheckHook ]
              ++ lib.optionals withDist [ pythonSet.pythonOutputDistHook ]
              ++ nativeBuildInputs
              ++ build-system;
              inherit buildInputs;
              propagatedBuildInputs = propagatedBuildInputs ++ dependencies ++ [ python ];
              doCheck = false;
              doInstallCheck = doCheck;
              postFixup =
                lib.optionalString (!dontWrapPythonPrograms) "wrapPythonPrograms\n" + (attrs.postFixup or "");
              outputs = outputs ++ lib.optionals withDist [ "dist" ];
              passthru = passthru // {
                inherit dependencies;
                pythonModule = python;
                requiredPythonModules = closure;
              };
            }
          );

      # python.withPackages: a symlink tree whose python3.X is an ELF binary wrapper
      # that execs the real interpreter (wrapper.nix with makeBinaryWrapper).
      buildEnv =
        extraLibs:
        let
          closure = lib.unique (lib.concatMap (d: [ d ] ++ (d.requiredPythonModules or [ ])) extraLibs);
          env =
            final.runCommand "${libPrefix}-env"
              {
                nativeBuildInputs = [ final.makeBinaryWrapper ];
                packages = closure;
                passthru = python.passthru // {
                  interpreter = "${env}/bin/${libPrefix}";
                  inherit python;
                  env = env;
                };
              }
              ''
                mkdir -p $out/bin $out/${sitePackages}
                for entry in ${hostPrefix}/lib/${libPrefix}/*; do
                  [ "$(basename "$entry")" = site-packages ] || ln -s "$entry" $out/lib/${libPrefix}/
                done
                for package in $packages; do
                  for entry in $package/${sitePackages}/*; do ln -sf "$entry" $out/${sitePackages}/; done
                done
                makeWrapper ${python}/bin/${libPrefix} $out/bin/${libPrefix} \
                  --inherit-argv0 --resolve-argv0 --set PYTHONNOUSERSITE true
                ln -s ${libPrefix} $out/bin/python3
                # A Debian interpreter's site.py reads lib/python3/dist-packages, not
                # lib/python3.X/site-packages, below a prefix that is no venv: the same
                # folder under that name too, so it finds the packages as nixpkgs' does.
                mkdir -p $out/lib/python3
                ln -s ../${libPrefix}/site-packages $out/lib/python3/dist-packages
              '';
        in
        env;

      pythonSet = lib.makeScope final.newScope (
        self:
        builtins.foldl' (acc: ext: acc // ext self acc) {
          inherit python buildPythonPackage;
          buildPythonApplication = mkPythonDerivation "";
          wrapPython = pyHook "wrap-python-hook" "${hooks}/wrap-python.sh" { };
          wheelUnpackHook = pyHook "wheel-unpack-hook" "${hooks}/wheel-unpack-hook.sh" { };
          pypaInstallHook = pyHook "pypa-install-hook" "${hooks}/pypa-install-hook.sh" { };
          pypaBuildHook = pyHook "pypa-build-hook" "${hooks}/pypa-build-hook.sh" { };
          pythonImportsCheckHook = pyHook "python-imports-check-hook" "${hooks}/python-imports-check-hook.sh" { };
          pythonOutputDistHook = pyHook "python-output-dist-hook" "${hooks}/python-output-dist-hook.sh" { };
          pythonRuntimeDepsCheckHook = final.makeSetupHook {
            name = "python-runtime-deps-check-hook";
            propagatedBuildInputs = [ self.packaging ];
            substitutions = {
              pythonInterpreter = hostPython;
              inherit sitePackages;
              hook = "${hooks}/python-runtime-deps-check.py";
            };
          } "${hooks}/python-runtime-deps-check-hook.sh";
          packaging = hostPackage "packaging" [ "packaging" ];
          requests = hostPackage "requests" [
            "requests"
            "idna"
            "certifi"
            "charset_normalizer"
          ];
          urllib3 = hostPackage "urllib3" [ "urllib3" ];
          resolvelib = hostPackage "resolvelib" [ "resolvelib" ];
          pyelftools = hostPackage "pyelftools" [ "elftools" ];
          tqdm = hostPackage "tqdm" [ "tqdm" ];
          # The host's own setuptools, metadata included: its commands are entry points.
          setuptools = final.runCommand "${libPrefix}-setuptools" { passthru.pythonModule = python; } ''
            site=$out/${sitePackages}
            mkdir -p $site
            PYTHONPATH= ${hostPython} -c 'import importlib.metadata as m, os, sys
            d = m.distribution("setuptools")
            print(d._path)
            for name in ("setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth"):
                path = os.path.join(os.path.dirname(d._path), name)
                if os.path.exists(path): print(path)' | while read -r path; do ln -s "$path" $site/; done
          '';
        } (final.pythonPackagesExtensions ++ [ packageOverrides ])
      );
    in
    python;

  base = final: {
    inherit lib;
    pkgs = final;
    stdenv = rec {
      # The real lib's elaborated platform where it is given (pyproject.nix reads many of
      # its fields), with the fields the stand-in has always had.
      hostPlatform = (if lib ? systems then lib.systems.elaborate system else { }) // {
        inherit system;
        isLinux = true;
        isDarwin = false;
        isWindows = false;
        isi686 = false;
        libc = "glibc";
        parsed.cpu.name = builtins.head (lib.splitString "-" system);
        parsed.kernel.name = "linux";
      };
      buildPlatform = hostPlatform;
      targetPlatform = hostPlatform;
      isLinux = true;
      isDarwin = false;
      cc.cc.lib = final.gcc-lib;
      cc.libc = final.glibc;
      cc.bintools = final.bintools;
      mkDerivation = mkDerivationWith final;
    };
    gcc-lib = hostLibrary "gcc-lib" [ "libstdc++.so.6" ];
    zlib = hostLibrary "zlib" [ "libz.so.1" ];
    # nixpkgs' glibc lib/: glibc's own libraries and libgcc_s, and nothing else.
    glibc =
      hostLibrary "glibc" [
        "libc.so.6"
        "libm.so.6"
        "libdl.so.2"
        "libpthread.so.0"
        "librt.so.1"
        "libutil.so.1"
        "libresolv.so.2"
        "libgcc_s.so.1"
        "ld-linux-x86-64.so.2"
      ]
      // {
        pname = "glibc";
        version = hostGlibc;
        linuxHeaders.version = "6.1";
      };
    # What autoPatchelf reads: nix-support/dynamic-linker and nix-support/orig-libc.
    bintools =
      plain "standin-bintools"
        ''
          mkdir -p $out/nix-support
          echo /lib64/ld-linux-x86-64.so.2 > $out/nix-support/dynamic-linker
          echo $glibc > $out/nix-support/orig-libc
        ''
        { inherit (final) glibc; }
      // {
        dynamicLinker = "/lib64/ld-linux-x86-64.so.2";
      };
    # patchelf with its setup hook (shrink-rpath in fixupOutput), as stdenv carries it.
    patchelf = plain "standin-patchelf" ''
      mkdir -p $out/bin $out/nix-support
      ln -s $tool $out/bin/patchelf
      cp $hook $out/nix-support/setup-hook
    '' {
      tool = patchelf;
      hook = "${hooks}/patchelf.sh";
    };
    makeSetupHook =
      {
        name,
        propagatedBuildInputs ? [ ],
        substitutions ? { },
        passthru ? { },
        meta ? { },
      }:
      script:
      final.stdenv.mkDerivation (
        {
          inherit name propagatedBuildInputs passthru;
          hookScript = script;
          buildCommand = ''
            mkdir -p $out/nix-support
            cp "$hookScript" $out/nix-support/setup-hook
            chmod u+w $out/nix-support/setup-hook
            substituteAllInPlace $out/nix-support/setup-hook
            recordPropagatedDependencies
          '';
        }
        // substitutions
      );
    runCommand =
      name: env: script:
      final.stdenv.mkDerivation ({ inherit name; buildCommand = script; } // env);
    # As trivial-builders/default.nix has them (FIDELITY.md): the flake's checks use them.
    linkFarm =
      name: entries:
      let
        entries' =
          if lib.isAttrs entries then
            entries
          else if lib.isList entries then
            lib.foldl (a: b: a // { "${b.name}" = b.path; }) { } entries
          else
            throw "linkFarm entries must be either attrs or a list!";
        linkCommands = lib.mapAttrsToList (name: path: ''
          mkdir -p -- "$(dirname -- ${lib.escapeShellArg "${name}"})"
          ln -s -- ${lib.escapeShellArg "${path}"} ${lib.escapeShellArg "${name}"}
        '') entries';
      in
      final.runCommand name
        {
          preferLocalBuild = true;
          allowSubstitutes = false;
          passthru.entries = entries';
        }
        ''
          mkdir -p $out
          cd $out
          ${lib.concatStrings linkCommands}
        '';
    linkFarmFromDrvs =
      name: drvs:
      final.linkFarm name (
        map (drv: {
          name = drv.name;
          path = drv;
        }) drvs
      );
    auto-patchelf = plain "standin-auto-patchelf" ''
      mkdir -p $out/bin
      { echo "#!$python"; sed "s|@defaultBintools@|$bintools|" $script; } > $out/bin/auto-patchelf
      chmod +x $out/bin/auto-patchelf
    '' {
      python = hostPython;
      inherit (final) bintools;
      script = ./standin/auto-patchelf.py;
    };
    autoPatchelfHook = final.makeSetupHook {
      name = "auto-patchelf-hook";
      propagatedBuildInputs = [ final.auto-patchelf ];
    } "${hooks}/auto-patchelf.sh";
    makeBinaryWrapper = final.makeSetupHook { name = "make-binary-wrapper-hook"; } "${hooks}/make-binary-wrapper.sh";
    addDriverRunpath = {
      driverLink = "/run/opengl-driver";
    };
    # Removed attributes stay in nixpkgs as throwing aliases (pkgs/top-level/aliases.nix).
    openssl_1_1 = throw "openssl_1_1 has been removed from nixpkgs as it has reached end of life.";
    # Evaluated, not built, here: they return what they were given.
    mkShell = attrs: attrs // { shell = "mkShell"; };
    buildFHSEnv = attrs: attrs // { fhs = true; };
    uv =
      plain "standin-uv"
        (
          if uvBinary == null then
            "mkdir -p $out/bin && printf '#!/bin/sh\\necho stand-in: no uv given >&2; exit 1\\n' > $out/bin/uv && chmod +x $out/bin/uv"
          else
            "mkdir -p $out/bin && ln -s $tool $out/bin/uv"
        )
        { tool = if uvBinary == null then "" else uvBinary; }
      // {
        meta.mainProgram = "uv";
      };
    # pyproject.nix's dist hook script names ugrep; only a `dist` output runs it.
    ugrep =
      plain "standin-ugrep"
        "mkdir -p $out/bin && printf '#!/bin/sh\\necho stand-in: no ugrep here >&2; exit 1\\n' > $out/bin/ugrep && chmod +x $out/bin/ugrep"
        { }
      // {
        meta.mainProgram = "ugrep";
      };
    unzip = plain "standin-unzip" "mkdir -p $out/bin && ln -s /usr/bin/unzip $out/bin/unzip" { };
    libffi = hostLibrary "libffi" [ "libffi.so.8" ] // {
      version = "3.4.4";
    };
    sqlite = hostLibrary "sqlite" [ "libsqlite3.so.0" ] // {
      version = "3.47.2";
    };
    zstd = hostLibrary "zstd" [ "libzstd.so.1" ] // {
      version = "1.5.0";
    };
    # The libraries of each manylinux policy that this stand-in has (the real lists also
    # hold libX11, libGL, glib, expat ...: pkgs/development/interpreters/python/manylinux).
    pythonManylinuxPackages = rec {
      manylinux2014 = [
        final.glibc
        final.gcc-lib
        final.zlib
      ];
      manylinux2010 = manylinux2014;
      manylinux1 = manylinux2014;
    };
    # pkgs/build-support/replace-vars: @name@ replaced, and a replacement the file lacks,
    # or an @name@ left over, fails the build.
    replaceVars =
      src: replacements:
      final.runCommand (baseNameOf (toString src))
        (
          {
            inherit src;
            names = builtins.attrNames replacements;
          }
          // builtins.listToAttrs (
            map (n: {
              name = "replace_${n}";
              value = toString replacements.${n};
            }) (builtins.attrNames replacements)
          )
        )
        ''
          cp "$src" "$out"
          chmod u+w "$out"
          for name in $names; do
            var="replace_$name"
            grep -q "@$name@" "$out" || { echo "replaceVars: @$name@ does not occur in $src" >&2; exit 1; }
            value="''${!var}"
            python=${hostPython}
            $python -c 'import sys; p, n, v = sys.argv[1:]; t = open(p).read(); open(p, "w").write(t.replace("@" + n + "@", v))' "$out" "$name" "$value"
          done
          if grep -qE '@[a-zA-Z_][a-zA-Z0-9_]*@' "$out"; then
            echo "replaceVars: $src has @...@ left unreplaced" >&2; exit 1
          fi
        '';
    buildPackages = final;
    fetchurl =
      {
        url,
        hash,
        name ? baseNameOf url,
        passthru ? { },
      }:
      import <nix/fetchurl.nix> { inherit url hash name; } // { inherit url; } // passthru;
    callPackage = lib.callPackageWith final;
    newScope = extra: lib.callPackageWith (final // extra);
    pythonPackagesExtensions = [ ];
    # python313 on a host with Python 3.13, as nixpkgs names its interpreters.
    "python3${pythonMinor}" = mkPython final (_: _: { });
    python3 = final."python3${pythonMinor}";
    python3Packages = final.python3.pkgs;
  };
in
lib.fix (builtins.foldl' (acc: overlay: lib.extends overlay acc) base overlays)
