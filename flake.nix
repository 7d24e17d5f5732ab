{
  # EXCC stake pool: packages, NixOS modules, example hosts and bare-metal images.
  # Not built on the project's machines (no nixpkgs package set there): CI parses this file
  # and evaluates the modules and examples with nixpkgs' lib/ only (nixos/README.md).
  description = "EXCC stake pool: exccd, exccwallet, stakepoold, exccstakepool and poolctl on NixOS";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      packagesFor = pkgs: import ./nixos/packages.nix { inherit pkgs; src = self; };
      system = "x86_64-linux";
      host = modules: nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [ self.nixosModules.default { nixpkgs.overlays = [ self.overlays.default ]; } ] ++ modules;
      };
    in
    {
      packages = forAll (pkgs: packagesFor pkgs // {
        default = (packagesFor pkgs).poolctl;
        # Bare-metal images of the example voting node, with nixpkgs' own builders.
        voting-node-disk-image = self.nixosConfigurations.voting-node-image.config.system.build.image;
        voting-node-installer-iso = self.nixosConfigurations.voting-node-installer.config.system.build.isoImage;
      });

      overlays.default = final: _prev: { excc-pool = packagesFor final; };

      nixosModules.default = ./nixos/modules;
      nixosModules.exccd = ./nixos/modules/exccd.nix;
      nixosModules.exccwallet = ./nixos/modules/exccwallet.nix;
      nixosModules.stakepoold = ./nixos/modules/stakepoold.nix;
      nixosModules.exccstakepool = ./nixos/modules/exccstakepool.nix;

      nixosConfigurations = {
        voting-node = host [ ./nixos/examples/voting-node.nix ./nixos/examples/hardware.nix ];
        web-host = host [ ./nixos/examples/web-host.nix ./nixos/examples/hardware.nix ];
        # A raw EFI disk image (systemd-repart, nixpkgs nixos/modules/image/repart.nix):
        #   nix build .#voting-node-disk-image && dd if=result/voting-node.raw of=/dev/sdX
        voting-node-image = host [ ./nixos/examples/voting-node.nix ./nixos/images/raw-efi.nix ];
        # An installer ISO carrying this flake (nixpkgs installation-cd-minimal.nix).
        voting-node-installer = host [
          "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix"
          ./nixos/images/installer.nix
        ];
      };
    };
}
