# services.exccstakepool: the pool's web service, with the settings poolctl writes to
# exccstakepool.toml (installer/poolctl/src/plan/web_conf.rs; every key:
# sample-configs/exccstakepool.toml) and the [Service] settings of
# ../../systemd/exccstakepool.service.
{ config, lib, pkgs, ... }:
let
  pool = import ./lib.nix { inherit lib; };
  inherit (lib) mkOption mkEnableOption mkIf types;
  cfg = config.services.exccstakepool;
  q = builtins.toJSON;
  dir = "/etc/exccstakepool";
  hostPort = a: p: if lib.hasInfix ":" a then "[${a}]:${toString p}" else "${a}:${toString p}";
  # [limits], in the order poolctl writes them (installer/poolctl/src/config/load/web.rs).
  limitKeys = [
    { key = "form_posts_per_minute"; opt = "formPostsPerMinute"; max = 10000; }
    { key = "api_requests_per_minute"; opt = "apiRequestsPerMinute"; max = 100000; }
    { key = "signed_in_posts_per_minute"; opt = "signedInPostsPerMinute"; max = 10000; }
    { key = "max_connections"; opt = "maxConnections"; max = 60000; }
    { key = "connections_per_client"; opt = "connectionsPerClient"; max = 60000; }
    { key = "requests_in_flight"; opt = "requestsInFlight"; max = 60000; }
    { key = "header_timeout_secs"; opt = "headerTimeoutSecs"; max = 3600; }
    { key = "body_timeout_secs"; opt = "bodyTimeoutSecs"; max = 3600; }
    { key = "request_timeout_secs"; opt = "requestTimeoutSecs"; max = 3600; }
  ];
  toml =
    ''
      # exccstakepool.toml on ${config.services.excc-pool.hostName}, written by ${config.services.excc-pool.generatedBy}; local edits are overwritten.
      network = ${q cfg.network}
      listen = "${hostPort cfg.listen.address cfg.listen.port}"
      base_url = ${q cfg.baseUrl}
      pool_email = ${q cfg.poolEmail}
      closed = ${lib.boolToString cfg.closed}
      admin_emails = [${lib.concatMapStringsSep ", " q cfg.adminEmails}]
      sync_interval_secs = ${toString cfg.syncIntervalSecs}
      voting_node_timeout_secs = ${toString cfg.votingNodeTimeoutSecs}
      api_secret_file = "${dir}/api.secret"

      [database]
      url = ${q cfg.database.url}
    ''
    + lib.optionalString (cfg.database.passwordFile != null) ''
      password_file = "${dir}/database.password"
    ''
    + ''

      [pool]
      fee_percent = ${cfg.pool.feePercent}
      cold_wallet_xpub = ${q cfg.pool.coldWalletXpub}
      voting_wallet_xpub = ${q cfg.pool.votingWalletXpub}
      max_users = ${toString cfg.pool.maxUsers}

      [tls]
      ca = "${dir}/pool-ca.cert"
      client_cert = "${dir}/web.cert"
      client_key = "${dir}/web.key"
    ''
    + lib.concatMapStrings (v: ''

      [[voting_nodes]]
      name = ${q v.name}
      grpc = ${q (hostPort v.address v.port)}
    '') cfg.votingNodes
    + "\n[limits]\n"
    + lib.concatMapStrings (l: lib.optionalString (cfg.limits.${l.opt} != null) "${l.key} = ${toString cfg.limits.${l.opt}}\n") limitKeys
    + lib.optionalString (cfg.limits.realIpHeader != null) "real_ip_header = ${q cfg.limits.realIpHeader}\n"
    + lib.optionalString (cfg.smtp != null) (''

      [smtp]
      host = ${q cfg.smtp.host}
      security = ${q cfg.smtp.security}
      port = ${toString cfg.smtp.port}
      from = ${q cfg.smtp.from}
    '' + lib.optionalString (cfg.smtp.user != null) ''
      user = ${q cfg.smtp.user}
      password_file = "${dir}/smtp.password"
    '');
  files =
    [
      { path = "${dir}/exccstakepool.toml"; mode = "0600"; parts = [ toml ]; }
      { path = "${dir}/api.secret"; mode = "0600"; parts = [{ secret = cfg.apiSecretFile; }]; }
      { path = "${dir}/pool-ca.cert"; mode = "0644"; parts = pool.fileParts cfg.tls.ca; }
      { path = "${dir}/web.cert"; mode = "0644"; parts = pool.fileParts cfg.tls.clientCert; }
      { path = "${dir}/web.key"; mode = "0600"; parts = pool.fileParts cfg.tls.clientKeyFile; }
    ]
    ++ lib.optional (cfg.database.passwordFile != null)
      { path = "${dir}/database.password"; mode = "0600"; parts = [{ secret = cfg.database.passwordFile; }]; }
    ++ lib.optional (cfg.database.caCert != null)
      { path = "${dir}/db-ca.cert"; mode = "0644"; parts = pool.fileParts cfg.database.caCert; }
    ++ lib.optional (cfg.smtp != null && cfg.smtp.passwordFile != null)
      { path = "${dir}/smtp.password"; mode = "0600"; parts = [{ secret = cfg.smtp.passwordFile; }]; };
  deps = pool.dependenciesOf "exccstakepool";
  command = "${cfg.package}/bin/exccstakepool --config ${dir}/exccstakepool.toml";
  limitOption = l: mkOption {
    type = types.nullOr (types.ints.between 1 l.max);
    default = null;
    description = "[limits] ${l.key} (1 to ${toString l.max}; null: the service's default).";
  };
in
{
  imports = [ ./common.nix ];

  options.services.exccstakepool = {
    enable = mkEnableOption "exccstakepool, the pool's web service";
    package = mkOption { type = types.package; default = pkgs.excc-pool.exccstakepool; defaultText = "pkgs.excc-pool.exccstakepool (the flake's overlay)"; description = "The exccstakepool package."; };
    network = mkOption {
      type = pool.networkType;
      default = config.services.excc-pool.network;
      defaultText = lib.literalExpression "config.services.excc-pool.network";
      description = "mainnet, testnet, simnet or regnet.";
    };
    listen = {
      address = mkOption { type = pool.address; default = "127.0.0.1"; description = "Listen address (behind nginx)."; };
      port = mkOption { type = types.port; default = 8000; description = "Listen port."; };
    };
    baseUrl = mkOption { type = types.strMatching "https://[^/ ]+"; description = "The public URL (https://NAME[:PORT], no path)."; };
    poolEmail = mkOption { type = types.strMatching "[^@ ]+@[^@ ]+"; description = "The pool's contact address."; };
    closed = mkOption { type = types.bool; default = false; description = "Take no new accounts."; };
    adminEmails = mkOption { type = types.listOf (types.strMatching "[^@ ]+@[^@ ]+"); default = [ ]; description = "Accounts allowed on the admin pages."; };
    syncIntervalSecs = mkOption { type = types.ints.between 1 86400; default = 300; description = "Seconds between syncs of every voting node."; };
    votingNodeTimeoutSecs = mkOption { type = types.ints.between 1 600; default = 10; description = "Seconds one call to a voting node may take."; };
    apiSecretFile = pool.mkSecretOption "File holding the secret that signs API tokens and session cookies (32+ characters).";
    database = {
      url = mkOption { type = types.strMatching "(sqlite|mysql|mariadb)://.+"; default = "sqlite:///var/lib/exccstakepool/pool.db"; description = "Database URL without a password (sqlite:// or mysql://)."; };
      passwordFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "File holding the database password (MariaDB/MySQL)."; };
      caCert = mkOption { type = types.nullOr pool.publicFile; default = null; description = "The database server's CA (PEM), /etc/exccstakepool/db-ca.cert (the URL's ssl-ca)."; };
    };
    pool = {
      feePercent = mkOption { type = types.strMatching "[0-9]{1,3}(\\.[0-9]{1,2})?"; description = "The pool fee in percent as pool.toml writes it (e.g. \"7.5\")."; };
      coldWalletXpub = mkOption { type = pool.xpub; description = "The cold wallet's account xpub."; };
      votingWalletXpub = mkOption { type = pool.xpub; description = "The voting wallets' account xpub."; };
      maxUsers = mkOption { type = types.ints.between 1 1000000; default = 10000; description = "Accounts the pool takes (address indices)."; };
    };
    tls = {
      ca = mkOption { type = pool.publicFile; description = "The pool CA (PEM) that issued the voting nodes' gRPC certificates."; };
      clientCert = mkOption { type = pool.publicFile; description = "The web service's gRPC client certificate (PEM)."; };
      clientKeyFile = pool.mkSecretOption "File holding the client certificate's key (PEM).";
    };
    votingNodes = mkOption {
      type = types.listOf (types.submodule {
        options = {
          name = mkOption { type = types.strMatching "[a-z0-9][a-z0-9-]*"; description = "The node's name."; };
          address = mkOption { type = pool.address; description = "Its address."; };
          port = mkOption { type = types.port; description = "Its stakepoold gRPC port."; };
        };
      });
      description = "Every voting node's stakepoold ([[voting_nodes]]).";
    };
    limits = lib.listToAttrs (map (l: lib.nameValuePair l.opt (limitOption l)) limitKeys) // {
      realIpHeader = mkOption { type = types.nullOr (types.strMatching "[A-Za-z0-9-]+"); default = null; description = "The header a reverse proxy puts the client's address in."; };
    };
    smtp = mkOption {
      default = null;
      description = "E-mail through a relay; null: no e-mail.";
      type = types.nullOr (types.submodule {
        options = {
          host = mkOption { type = types.str; description = "Relay host."; };
          security = mkOption { type = types.enum [ "starttls" "tls" "none" ]; default = "starttls"; description = "starttls, tls or none (loopback only)."; };
          port = mkOption { type = types.port; default = 587; description = "Relay port."; };
          from = mkOption { type = types.str; description = "From address."; };
          user = mkOption { type = types.nullOr types.str; default = null; description = "Login."; };
          passwordFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "File holding the login's password."; };
        };
      });
    };
    configScript = mkOption { type = types.str; readOnly = true; internal = true; description = "Shell commands printing exccstakepool.toml."; };
  };

  config = mkIf cfg.enable {
    services.exccstakepool.configScript = pool.partsScript [ toml ];
    assertions = [
      (pool.xpubAssertion "services.exccstakepool.pool.coldWalletXpub" cfg.pool.coldWalletXpub cfg.network)
      (pool.xpubAssertion "services.exccstakepool.pool.votingWalletXpub" cfg.pool.votingWalletXpub cfg.network)
      {
        assertion = cfg.smtp == null || ((cfg.smtp.user == null) == (cfg.smtp.passwordFile == null));
        message = "services.exccstakepool.smtp: user and passwordFile go together.";
      }
      {
        assertion = lib.hasPrefix "sqlite" cfg.database.url || cfg.database.passwordFile != null;
        message = "services.exccstakepool.database.passwordFile is missing: a MariaDB/MySQL URL needs the password's file.";
      }
    ];
    users.users.exccstakepool = { isSystemUser = true; group = "exccstakepool"; description = "exccstakepool"; };
    users.groups.exccstakepool = { };
    systemd.services.exccstakepool = {
      inherit (deps) description wants requires after wantedBy;
      serviceConfig = pool.hardeningOf "exccstakepool" // {
        ExecStartPre = [
          "+${pkgs.writeShellScript "exccstakepool-files" (pool.installScript "exccstakepool" files)}"
          "${command} --check-config"
        ];
        ExecStart = command;
      };
    };
  };
}
