# Every EXCC pool module; import this one (the flake's nixosModules.default).
{
  imports = [
    ./common.nix
    ./exccd.nix
    ./exccwallet.nix
    ./stakepoold.nix
    ./exccstakepool.nix
    ./roles.nix
  ];
}
