# Options shared by every EXCC pool module.
{ config, lib, ... }:
let
  pool = import ./lib.nix { inherit lib; };
in
{
  options.services.excc-pool = {
    network = lib.mkOption {
      type = pool.networkType;
      default = "mainnet";
      description = "The EXCC network every service of this host runs on (sets the default ports).";
    };
    hostName = lib.mkOption {
      type = lib.types.strMatching "[a-z0-9][a-z0-9-]*";
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = "The host's name in the pool (pool.toml's [[hosts]] name), named in each config file's header.";
    };
    secretsDir = lib.mkOption {
      type = pool.absolutePath;
      default = "/var/lib/excc-pool/secrets";
      description = "Where `poolctl nixos render`'s configurations expect the host's secret files (root, 0700; files 0600). The modules themselves take any absolute secret path.";
    };
    generatedBy = lib.mkOption {
      type = lib.types.str;
      default = "NixOS";
      description = "Who wrote the config files, in their header line (`poolctl nixos render` sets \"poolctl from pool.toml\").";
    };
  };
}
