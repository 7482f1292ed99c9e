# wheelOverlay over the stand-in: a Python whose package set is nixpkgs' (here: its own
# puredep, and a consumer package depending on puredep) with a lock's packages on top.
{
  lockFile,
  hostPython,
  patchelf,
}:
let
  pkgs = import ./standin.nix {
    inherit hostPython patchelf;
    overlays = [
      (import ../../overlays/default.nix)
      # What nixpkgs itself would hold.
      (final: prev: {
        pythonPackagesExtensions = prev.pythonPackagesExtensions ++ [
          (pyfinal: pyprev: {
            puredep = final.runCommand "nixpkgs-puredep" { } "mkdir $out";
            consumer = final.runCommand "consumer" {
              buildInputs = [ pyfinal.puredep ];
              passthru.dependency = pyfinal.puredep;
            } "mkdir $out";
          })
        ];
      })
    ];
  };
  python = pkgs.python3.override {
    packageOverrides = pkgs.manylinuxNix.wheelOverlay { lock = lockFile; };
  };
  ps = python.pkgs;
  set = pkgs.manylinuxNix.mkWheelSet {
    lock = lockFile;
    python = pkgs.python3;
  };
in
{
  consumerGets = ps.consumer.dependency.name;
  sameDerivation = ps.consumer.dependency.drvPath == ps.puredep.drvPath;
  lockWheels = map (p: p.name) ps.manylinuxNixWheels;
  setAll = map (p: p.name) set.all;
  cxxdemoDependsOn = map (p: p.name) ps.cxxdemo.passthru.dependencies or [ ];
  withPackages = (python.withPackages (p: p.manylinuxNixWheels ++ [ p.consumer ])).drvPath;
}
