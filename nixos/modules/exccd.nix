# services.exccd: the EXCC full node, with the settings poolctl writes to exccd.conf
# (installer/poolctl/src/plan/conf.rs) and the [Service] settings of ../../systemd/exccd.service.
{ config, lib, pkgs, ... }:
let
  pool = import ./lib.nix { inherit lib; };
  inherit (lib) mkOption mkEnableOption mkIf types;
  cfg = config.services.exccd;
  net = pool.networks.${cfg.network};
  reserved = [ "testnet" "simnet" "regnet" "rpcuser" "rpcpass" "rpclisten" "rpccert" "rpckey" "peercafile" "appdata" "configfile" ];
  settingsType = types.listOf (types.submodule {
    options = {
      key = mkOption { type = types.strMatching "[a-z][a-z0-9]*"; description = "exccd.conf key."; };
      value = mkOption { type = types.strMatching "[^\n]*"; description = "Its value (one line)."; };
    };
  });
  confParts =
    [
      (pool.header ";" "exccd.conf" config.services.excc-pool.hostName config.services.excc-pool.generatedBy)
      "${net.line}rpcuser=${cfg.rpc.user}\nrpcpass="
      { secret = cfg.rpc.passwordFile; }
      "\nrpclisten=${cfg.rpc.listenAddress}:${toString cfg.rpc.port}\nrpccert=/etc/exccd/rpc.cert\nrpckey=/etc/exccd/rpc.key\n"
      (lib.optionalString cfg.txindex "txindex=1\n")
    ]
    ++ lib.optional (cfg.follow != null)
      "; follow the chain of ${cfg.follow.name} (the simulator's nodes sync from the first host)\nconnect=${cfg.follow.address}:${toString cfg.follow.port}\npeercafile=/etc/exccd/peer.cert\n"
    ++ lib.optional (cfg.settings != [ ])
      ("; [settings] from pool.toml\n" + lib.concatMapStrings (s: "${s.key}=${s.value}\n") cfg.settings);
  files =
    [
      { path = "/etc/exccd/exccd.conf"; mode = "0600"; parts = confParts; }
      { path = "/etc/exccd/rpc.cert"; mode = "0644"; parts = pool.fileParts cfg.tls.cert; }
      { path = "/etc/exccd/rpc.key"; mode = "0600"; parts = pool.fileParts cfg.tls.keyFile; }
    ]
    ++ lib.optional (cfg.follow != null)
      { path = "/etc/exccd/peer.cert"; mode = "0644"; parts = pool.fileParts cfg.follow.cert; };
  deps = pool.dependenciesOf "exccd";
in
{
  imports = [ ./common.nix ];

  options.services.exccd = {
    enable = mkEnableOption "exccd, the EXCC full node";
    package = mkOption {
      type = types.package;
      description = "The exccd package (bin/exccd), or excc-simnet with `simulator = true`.";
    };
    simulator = mkOption {
      type = types.bool;
      default = false;
      description = "The package is excc-simnet: run `excc-simnet node` instead of exccd.";
    };
    network = mkOption {
      type = pool.networkType;
      default = config.services.excc-pool.network;
      defaultText = lib.literalExpression "config.services.excc-pool.network";
      description = "mainnet, testnet, simnet or regnet.";
    };
    rpc = {
      user = mkOption { type = types.strMatching "[A-Za-z0-9_.-]+"; default = "exccd-rpc"; description = "RPC user (rpcuser)."; };
      passwordFile = pool.mkSecretOption "File holding the RPC password (rpcpass).";
      listenAddress = mkOption { type = pool.address; default = "127.0.0.1"; description = "RPC listen address (rpclisten); beyond loopback only for the simulator's leader."; };
      port = mkOption { type = types.port; default = net.nodeRpc; defaultText = "the network's exccd RPC port"; description = "RPC port (rpclisten)."; };
    };
    tls = {
      cert = mkOption { type = pool.publicFile; description = "The RPC certificate (PEM), installed as /etc/exccd/rpc.cert."; };
      keyFile = pool.mkSecretOption "File holding the RPC certificate's key (PEM), installed as /etc/exccd/rpc.key (0600).";
    };
    txindex = mkOption { type = types.bool; default = true; description = "Keep a transaction index (txindex=1)."; };
    follow = mkOption {
      default = null;
      description = "Simulator only: sync the chain from this leader node's RPC.";
      type = types.nullOr (types.submodule {
        options = {
          name = mkOption { type = types.str; description = "The leader's host name."; };
          address = mkOption { type = pool.address; description = "Its address."; };
          port = mkOption { type = types.port; description = "Its exccd RPC port."; };
          cert = mkOption { type = pool.publicFile; description = "Its exccd RPC certificate (PEM), /etc/exccd/peer.cert."; };
        };
      });
    };
    settings = mkOption {
      type = settingsType;
      default = [ ];
      description = "Extra exccd.conf lines, in order (pool.toml's [exccd.settings]).";
    };
    openFirewall = mkOption { type = types.bool; default = false; description = "Open the RPC port (the simulator's leader, whose followers sync over RPC)."; };
    configScript = mkOption {
      type = types.str;
      readOnly = true;
      internal = true;
      description = "Shell commands printing exccd.conf (secrets read from their files).";
    };
  };

  config = mkIf cfg.enable {
    services.exccd.configScript = pool.partsScript confParts;
    assertions = [
      {
        assertion = lib.all (s: !(builtins.elem s.key reserved)) cfg.settings;
        message = "services.exccd.settings: ${lib.concatStringsSep ", " (builtins.filter (k: builtins.elem k reserved) (map (s: s.key) cfg.settings))} is written by the module; set the matching option instead.";
      }
      {
        assertion = cfg.follow == null || cfg.simulator;
        message = "services.exccd.follow is for the simulator only (services.exccd.simulator = true).";
      }
    ];
    users.users.exccd = { isSystemUser = true; group = "exccd"; description = "exccd"; };
    users.groups.exccd = { };
    networking.firewall.allowedTCPPorts = lib.optional cfg.openFirewall cfg.rpc.port;
    systemd.services.exccd = {
      inherit (deps) description wants requires after wantedBy;
      serviceConfig = pool.hardeningOf "exccd" // {
        ExecStartPre = [ "+${pkgs.writeShellScript "exccd-files" (pool.installScript "exccd" files)}" ];
        ExecStart = "${cfg.package}/bin/${if cfg.simulator then "excc-simnet node" else "exccd"} --configfile=/etc/exccd/exccd.conf --appdata=/var/lib/exccd";
      };
    };
  };
}
