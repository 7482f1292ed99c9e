{
  # Lock first (the README's first command):
  #   manylinux-nix lock 'numpy==2.4.6' scipy --system x86_64-linux --system aarch64-linux \
  #     --python 3.12 --python 3.13 -o wheels.lock.json
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  # Where your checkout of manylinux-nix is (it is not published under a fixed owner):
  # a path, or the git URL you cloned it from.
  inputs.manylinux-nix.url = "path:/path/to/manylinux-nix";
  inputs.manylinux-nix.inputs.nixpkgs.follows = "nixpkgs";

  outputs =
    { nixpkgs, manylinux-nix, ... }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forSystem =
        system:
        let
          pkgs = import nixpkgs {
            inherit system;
            overlays = [ manylinux-nix.overlays.default ];
          };
          wheels = pkgs.manylinuxNix.mkWheelSet {
            lock = ./wheels.lock.json;
            python = pkgs.python312;
          };
        in
        {
          # Every package of the lock for this system and Python: numpy and scipy.
          default = pkgs.python312.withPackages (_: wheels.all);
        };
    in
    {
      packages = nixpkgs.lib.genAttrs systems forSystem;
    };
}
