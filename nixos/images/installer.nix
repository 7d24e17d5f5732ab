# The installer ISO (nixpkgs' installation-cd-minimal.nix) with this repository on it, so a
# node installs offline: `nixos-install --flake /etc/excc-pool#voting-node`.
{ pkgs, ... }:
{
  isoImage.isoName = "excc-pool-installer.iso";
  environment.etc."excc-pool".source = ../..;
  environment.systemPackages = [ pkgs.excc-pool.poolctl ];
  nix.settings.experimental-features = [ "nix-command" "flakes" ];
}
