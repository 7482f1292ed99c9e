# The runtime side, for pip/uv venvs instead of one derivation per package: a Python
# that loads a manylinux library set, the `_manylinux` hook, a dev shell, an FHS env.
{
  lib,
  pkgs,
  manylinuxNixLib ? import ./default.nix { inherit lib; },
}:
let
  policies = builtins.listToAttrs (
    map (p: lib.nameValuePair p.name p) manylinuxNixLib.data.policies.policies
  );
  arch = pkgs.stdenv.hostPlatform.parsed.cpu.name or (builtins.head (lib.splitString "-" pkgs.stdenv.hostPlatform.system));
  glibcVersion = lib.splitString "." (lib.versions.majorMinor (pkgs.stdenv.cc.libc.version or "2.40"));

  # The newest policy this glibc allows, as "manylinux_2_N".
  defaultPolicy =
    let
      fits = builtins.filter (
        p: p.libc == "glibc" && builtins.compareVersions (policyVersion p.name) (lib.concatStringsSep "." glibcVersion) <= 0
      ) manylinuxNixLib.data.policies.policies;
    in
    (lib.foldl' (a: b: if b.priority < a.priority then b else a) (builtins.head fits) fits).name;

  # manylinux2014 -> manylinux_2_17, and so on.
  canonical =
    name:
    let
      owner = builtins.filter (p: builtins.elem name p.aliases) manylinuxNixLib.data.policies.policies;
    in
    if owner == [ ] then name else (builtins.head owner).name;

  policyVersion = name: lib.concatStringsSep "." (lib.drop 1 (lib.splitString "_" name));

  policyLibraries = policy: (manylinuxNixLib.manylinuxLibs pkgs).${policy} or (throw "manylinux-nix: unknown policy ${policy}; use one of ${lib.concatStringsSep ", " (builtins.attrNames policies)}");
in
rec {
  # The text of `_manylinux.py` for a glibc and a policy: the lower of the two bounds.
  manylinuxHook =
    {
      policy ? defaultPolicy,
      glibc ? glibcVersion,
    }:
    let
      policyParts = lib.drop 1 (lib.splitString "_" (canonical policy));
      pick = if builtins.compareVersions (lib.concatStringsSep "." policyParts) (lib.concatStringsSep "." glibc) <= 0 then policyParts else glibc;
      arches = if arch == "x86_64" then [ "x86_64" ] else [ arch ];
    in
    builtins.replaceStrings
      [ "@glibc@" "@policy@" "@max_major@" "@max_minor@" "@arch@" "@arches@" ]
      [
        (lib.concatStringsSep "." glibc)
        policy
        (builtins.elemAt pick 0)
        (builtins.elemAt pick 1)
        arch
        (lib.concatMapStringsSep ", " (a: "\"${a}\"") arches)
      ]
      (builtins.readFile ./_manylinux.py.in);

  # Every executable of `python` wrapped so that only this interpreter loads `libraries`:
  # the dynamic loader is run with --library-path, which, unlike LD_LIBRARY_PATH, is not
  # inherited by child processes; --argv0 "$0" keeps sys.executable the wrapper's path, so
  # a venv made from it keeps using it. `_manylinux.py` sits beside the standard library,
  # where venvs see it too.
  # `python` may be a `python.withPackages` environment: its bin/python3.X is an ELF
  # made by makeBinaryWrapper that execs the interpreter, and the loader's options for it
  # would not reach that exec. So the interpreter's own ELF is what runs under the
  # loader, from this wrapper's folder, whose lib/ mirrors the environment's (its
  # site-packages included); PYTHONNOUSERSITE is set as the environment's wrapper sets it.
  wrapPythonForManylinux =
    {
      python,
      libraries ? policyLibraries defaultPolicy,
      policy ? defaultPolicy,
      dynamicLinker ? pkgs.stdenv.cc.bintools.dynamicLinker,
    }:
    let
      isEnv = python ? python && python ? env;
      interpreter = if isEnv then python.python else python;
    in
    pkgs.runCommand "${python.name or "python"}-manylinux"
      {
        libraryPath = lib.makeLibraryPath libraries;
        hook = manylinuxHook { inherit policy; };
        passAsFile = [ "hook" ];
        inherit dynamicLinker interpreter;
        environment = lib.optionalString isEnv "export PYTHONNOUSERSITE=true\n";
        passthru = {
          inherit python libraries;
          inherit (python) sitePackages pythonVersion;
        };
      }
      ''
        mkdir -p $out/bin $out/lib
        for entry in ${python}/*; do
          case "$(basename "$entry")" in bin|lib) ;; *) ln -s "$entry" "$out/";; esac
        done
        for entry in ${python}/lib/*; do
          name=$(basename "$entry")
          if [ -d "$entry/encodings" ]; then
            mkdir "$out/lib/$name"
            for f in "$entry"/*; do ln -s "$f" "$out/lib/$name/"; done
            cp "$hookPath" "$out/lib/$name/_manylinux.py"
          else
            ln -s "$entry" "$out/lib/$name"
          fi
        done
        loaderArgs=
        if [ -n "$libraryPath" ]; then loaderArgs="--library-path '$libraryPath' "; fi
        for exe in ${python}/bin/*; do
          name=$(basename "$exe")
          if [ "$(head -c 4 "$exe" | tail -c 3)" = ELF ]; then
            target=$(readlink -f "$exe")
            # An environment's binary wrapper: run the interpreter it would exec.
            if [ -e "$interpreter/bin/$name" ]; then target=$(readlink -f "$interpreter/bin/$name"); fi
            printf '#!/bin/sh\n%bexec %s %s--argv0 "$0" %s "$@"\n' \
              "$environment" "$dynamicLinker" "$loaderArgs" "$target" > "$out/bin/$name"
            chmod +x "$out/bin/$name"
          else
            ln -s "$exe" "$out/bin/$name"
          fi
        done
      '';

  # A dev shell for pip/uv venvs: uv and the wrapped Python, the library set for nix-ld.
  mkManylinuxShell =
    {
      policy ? defaultPolicy,
      python ? pkgs.python3,
      extraPackages ? [ ],
      extraLibraries ? [ ],
      extraArgs ? { },
    }:
    let
      libraries = policyLibraries policy ++ extraLibraries;
    in
    pkgs.mkShell (
      {
        packages =
          [ pkgs.uv ]
          ++ lib.optionals (python != null) [ (wrapPythonForManylinux { inherit python libraries policy; }) ]
          ++ extraPackages;
        NIX_LD_LIBRARY_PATH = lib.makeLibraryPath libraries;
        NIX_LD = pkgs.stdenv.cc.bintools.dynamicLinker;
        HATCH_ENV_TYPE_VIRTUAL_UV_PATH = "${pkgs.uv}/bin/uv";
      }
      // lib.optionalAttrs (python != null) { UV_PYTHON_DOWNLOADS = "never"; }
      // extraArgs
    );

  # The buildFHSEnv approach with the same library set.
  manylinuxFHSEnv =
    {
      policy ? defaultPolicy,
      extraLibraries ? [ ],
      name ? "manylinux-fhs",
      runScript ? "bash",
    }:
    pkgs.buildFHSEnv {
      inherit name runScript;
      targetPkgs = _: policyLibraries policy ++ extraLibraries;
    };
}
