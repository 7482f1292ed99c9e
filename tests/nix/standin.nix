# A stand-in for the parts of nixpkgs that manylinux-nix uses, with the same attribute
# names and argument shapes, built only from Nix's builtin fetcher and host tools:
#   fetchurl (fixed-output, hash checked by Nix), buildPythonPackage (format checked as
#   the real one does; wheel installed with the host's pip), autoPatchelfHook (sets each
#   ELF's RUNPATH from buildInputs' lib/ and addAutoPatchelfSearchPath folders, like
#   auto-patchelf.py), addDriverRunpath.driverLink, pythonPackagesExtensions, and host
#   copies of libstdc++ and zlib as stdenv.cc.cc.lib and zlib.
{
  hostPython,
  patchelf,
  # The host Python's installation prefix (bin/, lib/python3.X/), for wrapping it.
  hostPrefix ? "/usr",
  hostGlibc ? "2.36",
  hostLibDir ? "/usr/lib/x86_64-linux-gnu",
  system ? builtins.currentSystem,
  overlays ? [ ],
}:
let
  lib = import ./standin-lib.nix;
  hostPath = "/usr/bin:/bin";
  glibcSonames = (import ../../nixlib/data.nix).sonames.glibc.all;

  hostLibrary =
    name: sonames:
    derivation {
      name = "standin-${name}";
      inherit system sonames hostLibDir;
      builder = "/bin/sh";
      args = [
        "-c"
        "mkdir -p $out/lib && for s in $sonames; do cp -L $hostLibDir/$s $out/lib/$s; done"
      ];
      PATH = hostPath;
    };

  mkPython =
    final:
    let
      python = {
        name = "python3-3.11";
        outPath = hostPrefix;
        pythonVersion = "3.11";
        sitePackages = "lib/python3.11/site-packages";
        interpreter = hostPython;
        pythonABITags = [
          "abi3"
          "none"
          "cp311"
        ];
        inherit (final) stdenv;
        pkgs = lib.makeScope final.newScope (
          self:
          builtins.foldl' (acc: ext: acc // ext self acc) {
            inherit python;
            buildPythonPackage = mkBuildPythonPackage final python;
          } final.pythonPackagesExtensions
        );
      };
    in
    python;

  mkBuildPythonPackage =
    final: python:
    {
      pname,
      version,
      format ? null,
      pyproject ? null,
      src,
      dependencies ? [ ],
      nativeBuildInputs ? [ ],
      buildInputs ? [ ],
      autoPatchelfIgnoreMissingDeps ? [ ],
      appendRunpaths ? [ ],
      postFixup ? "",
      pythonImportsCheck ? [ ],
      dontStrip ? false,
      passthru ? { },
      postPhases ? [ ],
      ...
    }@args:
    assert (pyproject != null) -> (format == null);
    let
      format' =
        if pyproject != null then
          (if pyproject then "pyproject" else "other")
        else if format != null then
          format
        else
          throw "${pname}-${version} does not configure a `format`.";
      closure = lib.unique (lib.concatMap (d: [ d ] ++ (d.requiredPythonModules or [ ])) dependencies);
      drv = derivation (
        {
        name = "python3.11-${pname}-${version}";
        inherit system src postFixup;
        builder = "/bin/bash";
        args = [ ./build-wheel.sh ];
        PATH = hostPath;
        python = hostPython;
        inherit patchelf;
        inherit (python) sitePackages;
        autopatchelfScript = ./autopatchelf.py;
        autoPatchelf = if builtins.elem final.autoPatchelfHook nativeBuildInputs then "1" else "";
        # The names nixpkgs' hooks read, so the result exposes them as the real one does.
        inherit
          buildInputs
          autoPatchelfIgnoreMissingDeps
          appendRunpaths
          pythonImportsCheck
          dontStrip
          glibcSonames
          ;
        deps = map (d: "${d}/${python.sitePackages}") closure;
        inherit postPhases;
      }
      // lib.genAttrs postPhases (phase: args.${phase})
      );
    in
    if format' != "wheel" then
      throw "stand-in buildPythonPackage: only format = \"wheel\" is built here, not ${format'}"
    else
      drv
      // passthru
      // {
        inherit pname version dependencies nativeBuildInputs;
        requiredPythonModules = closure;
      };

  base = final: {
    inherit lib;
    pkgs = final;
    stdenv = {
      hostPlatform = {
        inherit system;
        isLinux = true;
        parsed.cpu.name = builtins.head (lib.splitString "-" system);
      };
      cc.cc.lib = hostLibrary "gcc-lib" [ "libstdc++.so.6" ];
      cc.libc.version = hostGlibc;
      cc.bintools.dynamicLinker = "/lib64/ld-linux-x86-64.so.2";
    };
    runCommand =
      name: env: script:
      derivation (
        builtins.removeAttrs env [ "passthru" ]
        // {
          inherit name system;
          builder = "/bin/bash";
          args = [
            "-c"
            script
          ];
          PATH = hostPath;
        }
      )
      // (env.passthru or { });
    # Evaluated, not built, here: they return what they were given.
    mkShell = attrs: attrs // { shell = "mkShell"; };
    buildFHSEnv = attrs: attrs // { fhs = true; };
    uv = hostLibrary "uv" [ ];
    # What buildManylinuxWheel runs to verify: this checkout's CLI on the host's Python.
    manylinuxNixVerifier = derivation {
      name = "standin-manylinux-nix";
      inherit system hostPython;
      glibcDir = "${final.glibc}/lib";
      repo = toString ../..;
      builder = "/bin/sh";
      args = [
        "-c"
        ''
          mkdir -p $out/bin
          printf '#!/bin/sh\nexport MANYLINUX_NIX_GLIBC_DIR=%s\nPYTHONPATH=%s exec %s -m pyhelpers.cli "$@"\n' "$glibcDir" "$repo" "$hostPython" > $out/bin/manylinux-nix
          chmod +x $out/bin/manylinux-nix
        ''
      ];
      PATH = hostPath;
    };
    zlib = hostLibrary "zlib" [ "libz.so.1" ];
    # nixpkgs' glibc lib/: glibc's own libraries and libgcc_s, and nothing else.
    glibc = hostLibrary "glibc" [
      "libc.so.6"
      "libm.so.6"
      "libdl.so.2"
      "libpthread.so.0"
      "librt.so.1"
      "libutil.so.1"
      "libresolv.so.2"
      "libgcc_s.so.1"
      "ld-linux-x86-64.so.2"
    ];
    fetchurl =
      {
        url,
        hash,
        name ? baseNameOf url,
      }:
      import <nix/fetchurl.nix> { inherit url hash name; } // { inherit url; };
    autoPatchelfHook = {
      name = "auto-patchelf-hook";
    };
    addDriverRunpath = {
      driverLink = "/run/opengl-driver";
    };
    callPackage = lib.callPackageWith final;
    newScope = extra: lib.callPackageWith (final // extra);
    pythonPackagesExtensions = [ ];
    python311 = mkPython final;
    python3 = final.python311;
  };
in
lib.fix (builtins.foldl' (acc: overlay: lib.extends overlay acc) base overlays)
