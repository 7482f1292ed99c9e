# The real uv2nix and pyproject.nix over the stand-in nixpkgs, for a workspace written by
# tests/test_uv2nix_real.py. The workspace's own `pythonset.nix` holds the README's
# uv2nix example verbatim; this file gives it what a user's flake gives it: pkgs (with
# manylinux-nix's overlay), lib, python, uv2nix, pyproject-nix and pyproject-build-systems.
{
  hostPython,
  pythonFullVersion,
  patchelf,
  uvBinary,
  uv2nixSrc,
  pyprojectNixSrc,
  workspaceRoot,
  # false: the same set without manylinux-nix's overlay, as a user has it before.
  withManylinuxNix ? true,
}:
let
  pkgs = import ./standin.nix {
    inherit hostPython pythonFullVersion patchelf uvBinary;
    overlays = [ (import ../../overlays/default.nix) ];
  };
  inherit (pkgs) lib;
  python = pkgs.python3;
  pyproject-nix = import (/. + pyprojectNixSrc) { inherit lib; };
  uv2nix = import (/. + uv2nixSrc) { inherit lib pyproject-nix; };
  # Stands in for pyproject-nix/build-system-pkgs: the build systems as packages of the
  # set. Here only setuptools, the host's, found as the real ones are found: through
  # NIX_PYPROJECT_PYTHONPATH, which pyproject.nix's output setup hook sets.
  pyproject-build-systems.overlays.default = final: _prev: {
    setuptools =
      pkgs.runCommand "setuptools-host"
        {
          passthru.dependencies = { };
        }
        ''
          site=$out/${python.sitePackages}
          mkdir -p $site $out/nix-support
          PYTHONPATH= ${hostPython} -c 'import importlib.metadata as m, os
          d = m.distribution("setuptools")
          print(d._path)
          for name in ("setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth"):
              path = os.path.join(os.path.dirname(d._path), name)
              if os.path.exists(path): print(path)' | while read -r path; do ln -s "$path" $site/; done
          echo "addToSearchPath NIX_PYPROJECT_PYTHONPATH $site" > $out/nix-support/setup-hook
        '';
  };
  manylinuxNix =
    if withManylinuxNix then
      pkgs.manylinuxNix
    else
      pkgs.manylinuxNix // { uv2nixOverrides = _: _final: _prev: { }; };
  readme = import (/. + workspaceRoot + "/pythonset.nix") {
    pkgs = pkgs // {
      inherit manylinuxNix;
    };
    inherit
      lib
      python
      uv2nix
      pyproject-nix
      pyproject-build-systems
      ;
  };
  # What every uv2nix user adds for an sdist: its build system (uv2nix leaves it out).
  pythonSet = readme.pythonSet.overrideScope (
    final: prev: {
      puresdist = prev.puresdist.overrideAttrs (old: {
        nativeBuildInputs = old.nativeBuildInputs ++ final.resolveBuildSystem { setuptools = [ ]; };
      });
    }
  );
in
{
  inherit pythonSet;
  inherit (pythonSet) extdemo nvidia-sibcore puresdist rtpure;
  # Whether uv2nix itself gave the wheel autoPatchelfHook and the sdist none.
  hooks = {
    wheel = builtins.elem pkgs.autoPatchelfHook pythonSet.extdemo.nativeBuildInputs;
    sdist = builtins.elem pkgs.autoPatchelfHook pythonSet.puresdist.nativeBuildInputs;
  };
}
