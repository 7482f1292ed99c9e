# final: prev: overlay adding fetchPypiWheel, the manylinuxNix library (with the CLI as
# a package) and buildManylinuxWheel in every Python package set.
final: prev:
let
  manylinuxNixLib = import ../nixlib { inherit (final) lib; };
in
{
  fetchPypiWheel = final.callPackage ../nixlib/fetch-pypi-wheel.nix { inherit manylinuxNixLib; };

  manylinuxNix =
    manylinuxNixLib
    // import ../nixlib/overrides.nix {
      inherit (final) lib;
      pkgs = final;
      inherit manylinuxNixLib;
    }
    // import ../nixlib/runtime.nix {
      inherit (final) lib;
      pkgs = final;
      inherit manylinuxNixLib;
    }
    // {
    mkWheelSet = final.callPackage ../nixlib/mk-wheel-set.nix { inherit manylinuxNixLib; };
    wheelOverlay = final.callPackage ../nixlib/wheel-overlay.nix { inherit manylinuxNixLib; };
    manylinuxLibs = manylinuxNixLib.manylinuxLibs final;
    cli = final.callPackage ../nixlib/cli.nix { };
  };

  pythonPackagesExtensions = (prev.pythonPackagesExtensions or [ ]) ++ [
    (pyfinal: pyprev: {
      # The setup hook of wheel builds, for this Python (also for uv2nix/poetry2nix sets).
      manylinuxNixHook = pyfinal.callPackage ../nixlib/manylinux-hook.nix { };
      buildManylinuxWheel = pyfinal.callPackage ../nixlib/build-manylinux-wheel.nix {
        inherit manylinuxNixLib;
        inherit (pyfinal) manylinuxNixHook;
        pkgs = final;
      };
    })
  ];
}
