# A raw EFI disk image built by nixpkgs' systemd-repart image builder
# (nixos/modules/image/repart.nix): an ESP with systemd-boot and an ext4 root, reproducible
# from the flake's inputs. Secrets are not in it: copy them to /var/lib/excc-pool/secrets
# after the first boot (nixos/README.md).
{ config, modulesPath, pkgs, ... }:
{
  imports = [ "${modulesPath}/image/repart.nix" ];
  boot.loader.systemd-boot.enable = true;
  boot.loader.grub.enable = false;
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
  fileSystems."/boot" = { device = "/dev/disk/by-label/ESP"; fsType = "vfat"; };
  image.repart = {
    name = "voting-node";
    partitions = {
      "10-esp" = {
        contents = {
          "/EFI/BOOT/BOOTX64.EFI".source = "${pkgs.systemd}/lib/systemd/boot/efi/systemd-bootx64.efi";
          "/EFI/Linux/${config.system.boot.loader.ukiFile}".source = "${config.system.build.uki}/${config.system.boot.loader.ukiFile}";
        };
        repartConfig = { Type = "esp"; Format = "vfat"; Label = "ESP"; SizeMinBytes = "512M"; };
      };
      "20-root" = {
        storePaths = [ config.system.build.toplevel ];
        repartConfig = { Type = "root"; Format = "ext4"; Label = "nixos"; Minimize = "guess"; };
      };
    };
  };
}
