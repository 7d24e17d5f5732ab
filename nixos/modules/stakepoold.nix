# services.stakepoold: the pool's voting daemon, with the settings poolctl writes to
# stakepoold.toml (installer/poolctl/src/plan/conf.rs; every key: sample-configs/stakepoold.toml)
# and the [Service] settings of ../../systemd/stakepoold.service.
{ config, lib, pkgs, ... }:
let
  pool = import ./lib.nix { inherit lib; };
  inherit (lib) mkOption mkEnableOption mkIf types;
  cfg = config.services.stakepoold;
  net = pool.networks.${cfg.network};
  hostPort = a: p: if lib.hasInfix ":" a then "[${a}]:${toString p}" else "${a}:${toString p}";
  endpoint = what: defaultPort: defaultUser: {
    address = mkOption { type = pool.address; default = "127.0.0.1"; description = "${what}'s RPC address."; };
    port = mkOption { type = types.port; default = defaultPort; defaultText = "the network's ${what} RPC port"; description = "${what}'s RPC port."; };
    user = mkOption { type = types.strMatching "[A-Za-z0-9_.-]+"; default = defaultUser; description = "${what}'s RPC user."; };
    passwordFile = pool.mkSecretOption "File holding ${what}'s RPC password (installed as the password_file).";
    cert = mkOption { type = pool.publicFile; description = "${what}'s RPC certificate (PEM), pinned."; };
  };
  toml =
    ''
      # stakepoold on ${config.services.excc-pool.hostName}, written by ${config.services.excc-pool.generatedBy}; local edits are overwritten.
      network = "${cfg.network}"
      state_dir = "/var/lib/stakepoold"
      pool_fees = ${cfg.poolFees}
      cold_wallet_ext_pub = "${cfg.coldWalletXpub}"
      fee_address_count = ${toString cfg.feeAddressCount}

      [node]
      rpc = "${hostPort cfg.node.address cfg.node.port}"
      user = "${cfg.node.user}"
      password_file = "/etc/stakepoold/exccd.password"
      cert = "/etc/stakepoold/exccd-rpc.cert"

      [wallet]
      rpc = "${hostPort cfg.wallet.address cfg.wallet.port}"
      user = "${cfg.wallet.user}"
      password_file = "/etc/stakepoold/exccwallet.password"
      cert = "/etc/stakepoold/exccwallet-rpc.cert"

      [grpc]
      listen = [${lib.concatMapStringsSep ", " (l: "\"${hostPort l.address l.port}\"") cfg.grpc.listen}]
      cert = "/etc/stakepoold/grpc.cert"
      key = "/etc/stakepoold/grpc.key"
      client_ca = "/etc/stakepoold/pool-ca.cert"
    ''
    + lib.optionalString (cfg.grpc.clientCrl != null) ''
      client_crl = "/etc/stakepoold/client.crl"
    ''
    + ''

      [http]
      listen = "${hostPort cfg.http.address cfg.http.port}"
    ''
    + lib.optionalString (cfg.voting.deadlineMs != null || cfg.voting.rpcTimeoutMs != null) (
      "\n[voting]\n"
      + lib.optionalString (cfg.voting.deadlineMs != null) "deadline_ms = ${toString cfg.voting.deadlineMs}\n"
      + lib.optionalString (cfg.voting.rpcTimeoutMs != null) "rpc_timeout_ms = ${toString cfg.voting.rpcTimeoutMs}\n"
    );
  files =
    [
      { path = "/etc/stakepoold/stakepoold.toml"; mode = "0600"; parts = [ toml ]; }
      { path = "/etc/stakepoold/exccd.password"; mode = "0600"; parts = [{ secret = cfg.node.passwordFile; }]; }
      { path = "/etc/stakepoold/exccwallet.password"; mode = "0600"; parts = [{ secret = cfg.wallet.passwordFile; }]; }
      { path = "/etc/stakepoold/exccd-rpc.cert"; mode = "0644"; parts = pool.fileParts cfg.node.cert; }
      { path = "/etc/stakepoold/exccwallet-rpc.cert"; mode = "0644"; parts = pool.fileParts cfg.wallet.cert; }
      { path = "/etc/stakepoold/grpc.cert"; mode = "0644"; parts = pool.fileParts cfg.grpc.cert; }
      { path = "/etc/stakepoold/grpc.key"; mode = "0600"; parts = pool.fileParts cfg.grpc.keyFile; }
      { path = "/etc/stakepoold/pool-ca.cert"; mode = "0644"; parts = pool.fileParts cfg.grpc.clientCa; }
    ]
    ++ lib.optional (cfg.grpc.clientCrl != null)
      { path = "/etc/stakepoold/client.crl"; mode = "0644"; parts = pool.fileParts cfg.grpc.clientCrl; };
  deps = pool.dependenciesOf "stakepoold";
  command = "${cfg.package}/bin/stakepoold --config /etc/stakepoold/stakepoold.toml";
in
{
  imports = [ ./common.nix ];

  options.services.stakepoold = {
    enable = mkEnableOption "stakepoold, the pool's voting daemon";
    package = mkOption { type = types.package; description = "The stakepoold package."; };
    network = mkOption {
      type = pool.networkType;
      default = config.services.excc-pool.network;
      defaultText = lib.literalExpression "config.services.excc-pool.network";
      description = "mainnet, testnet, simnet or regnet (network).";
    };
    poolFees = mkOption { type = pool.feePercent; description = "The pool fee in percent (pool_fees), e.g. \"7.50\"; tickets paying less are not voted."; };
    coldWalletXpub = mkOption { type = pool.xpub; description = "The cold wallet's account xpub (cold_wallet_ext_pub)."; };
    feeAddressCount = mkOption { type = types.ints.between 1 1000000; default = 10000; description = "Fee addresses of the cold wallet (fee_address_count)."; };
    node = endpoint "exccd" net.nodeRpc "exccd-rpc";
    wallet = endpoint "exccwallet" net.walletRpc "exccwallet-rpc";
    grpc = {
      listen = mkOption {
        type = types.listOf (types.submodule {
          options = {
            address = mkOption { type = pool.address; description = "Listen address."; };
            port = mkOption { type = types.port; description = "Listen port."; };
          };
        });
        default = [{ address = "0.0.0.0"; port = net.grpc; }];
        defaultText = "0.0.0.0 on the network's stakepoold gRPC port";
        description = "Where the mutual-TLS gRPC API listens (grpc.listen).";
      };
      cert = mkOption { type = pool.publicFile; description = "gRPC server certificate (PEM)."; };
      keyFile = pool.mkSecretOption "File holding the gRPC server certificate's key (PEM).";
      clientCa = mkOption { type = pool.publicFile; description = "The pool CA (PEM): clients must present a certificate it issued (grpc.client_ca)."; };
      clientCrl = mkOption { type = types.nullOr pool.publicFile; default = null; description = "The pool CA's revocation list of client certificates (grpc.client_crl)."; };
    };
    http = {
      address = mkOption { type = pool.address; default = "127.0.0.1"; description = "Where /healthz and /metrics listen."; };
      port = mkOption { type = types.port; default = net.grpc + 1; defaultText = "the gRPC port + 1"; description = "Port of /healthz and /metrics."; };
    };
    voting = {
      deadlineMs = mkOption { type = types.nullOr (types.ints.between 100 60000); default = null; description = "Milliseconds to vote a winner (voting.deadline_ms; null: stakepoold's default 5000)."; };
      rpcTimeoutMs = mkOption { type = types.nullOr (types.ints.between 100 300000); default = null; description = "Milliseconds per RPC call (voting.rpc_timeout_ms; null: 10000)."; };
    };
    openFirewall = mkOption { type = types.bool; default = false; description = "Open the gRPC ports (the web hosts call them; mutual TLS)."; };
    configScript = mkOption { type = types.str; readOnly = true; internal = true; description = "Shell commands printing stakepoold.toml."; };
  };

  config = mkIf cfg.enable {
    services.stakepoold.configScript = pool.partsScript [ toml ];
    assertions = [
      (pool.xpubAssertion "services.stakepoold.coldWalletXpub" cfg.coldWalletXpub cfg.network)
      {
        assertion = cfg.grpc.listen != [ ];
        message = "services.stakepoold.grpc.listen is empty: the web service reaches stakepoold only over gRPC.";
      }
    ];
    users.users.stakepoold = { isSystemUser = true; group = "stakepoold"; description = "stakepoold"; };
    users.groups.stakepoold = { };
    networking.firewall.allowedTCPPorts = lib.optionals cfg.openFirewall (map (l: l.port) cfg.grpc.listen);
    systemd.services.stakepoold = {
      inherit (deps) description wants requires after wantedBy;
      serviceConfig = pool.hardeningOf "stakepoold" // {
        ExecStartPre = [
          "+${pkgs.writeShellScript "stakepoold-files" (pool.installScript "stakepoold" files)}"
          "${command} --check-config"
        ];
        ExecStart = command;
      };
    };
  };
}
