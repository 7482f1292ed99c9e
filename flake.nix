{
  description = "Make prebuilt Python wheels work under Nix: exact wheels, exact native inputs";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems =
        f:
        nixpkgs.lib.genAttrs systems (
          system:
          f (
            import nixpkgs {
              inherit system;
              overlays = [ self.overlays.default ];
            }
          )
        );
    in
    {
      overlays.default = import ./overlays/default.nix;

      # The pure functions (soname map, policies, lock reading), for any nixpkgs lib.
      lib = import ./nixlib { inherit (nixpkgs) lib; };

      packages = forAllSystems (pkgs: {
        default = pkgs.manylinuxNix.cli;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = nixpkgs.lib.getExe pkgs.manylinuxNix.cli;
        };
      });

      checks = forAllSystems (pkgs: {
        cli = pkgs.manylinuxNix.cli;
        # Every policy's library set resolves in this nixpkgs.
        manylinuxLibs = pkgs.linkFarmFromDrvs "manylinux-libs" (
          nixpkgs.lib.unique (nixpkgs.lib.concatLists (builtins.attrValues pkgs.manylinuxNix.manylinuxLibs))
        );
      });

      templates.default = {
        path = ./templates/default;
        description = "A Python environment from a manylinux-nix wheels.lock.json";
      };
    };
}
