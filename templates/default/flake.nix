{
  # Lock first (the README's first command):
  #   manylinux-nix lock 'numpy==2.4.6' scipy --system x86_64-linux --system aarch64-linux \
  #     --python 3.12 --python 3.13 -o wheels.lock.json
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  # Where your checkout of manylinux-nix is (it is not published under a fixed owner):
  # git+file:// copies only its tracked files (path: would copy a .venv too), or the git
  # URL you cloned it from.
  inputs.manylinux-nix.url = "git+file:///path/to/manylinux-nix";
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
          # nixpkgs' default Python (3.13 in 25.11): the lock must have its target.
          python = pkgs.python3;
          wheels = pkgs.manylinuxNix.mkWheelSet {
            lock = ./wheels.lock.json;
            inherit python;
          };
        in
        {
          # Every package of the lock for this system and Python: numpy and scipy.
          default = python.withPackages (_: wheels.all);
        };
    in
    {
      packages = nixpkgs.lib.genAttrs systems forSystem;
    };
}
