{
  # Lock first:  manylinux-nix lock torch scipy --system x86_64-linux --python 3.12 -o wheels.lock.json
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.manylinux-nix.url = "github:<owner>/manylinux-nix";

  outputs =
    { nixpkgs, manylinux-nix, ... }:
    let
      pkgs = import nixpkgs {
        system = "x86_64-linux";
        overlays = [ manylinux-nix.overlays.default ];
      };
      wheels = pkgs.manylinuxNix.mkWheelSet {
        lock = ./wheels.lock.json;
        python = pkgs.python312;
      };
    in
    {
      packages.x86_64-linux.default = pkgs.python312.withPackages (_: [
        wheels.torch
        wheels.scipy
      ]);
    };
}
