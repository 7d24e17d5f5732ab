# Role modules that wire the services together as poolctl does on a Debian host:
#   services.excc-pool.votingNode: exccd + exccwallet (stake-pool mode, voting off) + stakepoold
#   services.excc-pool.webHost:    exccstakepool behind nginx (HTTPS, HTTP redirected)
{ config, lib, pkgs, ... }:
let
  pool = import ./lib.nix { inherit lib; };
  inherit (lib) mkOption mkEnableOption mkIf mkDefault types;
  v = config.services.excc-pool.votingNode;
  w = config.services.excc-pool.webHost;
  net = pool.networks.${config.services.excc-pool.network};
  certPair = what: {
    cert = mkOption { type = pool.publicFile; description = "${what} certificate (PEM, from the pool CA)."; };
    keyFile = pool.mkSecretOption "File holding the ${what} certificate's key (PEM).";
  };
  ex = config.services.exccstakepool;
  limit = name: default: if ex.limits.${name} != null then ex.limits.${name} else default;
  authority = lib.removePrefix "https://" ex.baseUrl;
  portMatch = builtins.match ".*[^]]:([0-9]+)" authority;
  httpsPort = if portMatch == null then 443 else lib.toInt (builtins.head portMatch);
in
{
  imports = [ ./common.nix ];

  options.services.excc-pool.votingNode = {
    enable = mkEnableOption "a voting node: exccd, exccwallet and stakepoold as poolctl installs them";
    simulator = mkOption { type = types.bool; default = false; description = "Run excc-simnet (node/wallet) instead of exccd/exccwallet; their RPC listens on all addresses for the followers."; };
    packages = {
      exccd = mkOption { type = types.package; default = if v.simulator then pkgs.excc-pool.excc-simnet else pkgs.excc-pool.exccd; defaultText = "pkgs.excc-pool.exccd (the flake's overlay)"; description = "exccd."; };
      exccwallet = mkOption { type = types.package; default = if v.simulator then pkgs.excc-pool.excc-simnet else pkgs.excc-pool.exccwallet; defaultText = "pkgs.excc-pool.exccwallet"; description = "exccwallet."; };
      stakepoold = mkOption { type = types.package; default = pkgs.excc-pool.stakepoold; defaultText = "pkgs.excc-pool.stakepoold"; description = "stakepoold."; };
    };
    pool = {
      feePercent = mkOption { type = pool.feePercent; description = "The pool fee in percent, two decimals (\"7.50\")."; };
      coldWalletXpub = mkOption { type = pool.xpub; description = "The cold wallet's account xpub."; };
      feeAddressCount = mkOption { type = types.ints.between 1 1000000; default = 10000; description = "Fee addresses of the cold wallet."; };
      votingAddressCount = mkOption { type = types.ints.between 1 1000000; default = 10000; description = "User addresses the voting wallet watches (accountsyncaddressindex, with unlockAtStart)."; };
    };
    secrets = {
      exccdRpcPasswordFile = pool.mkSecretOption "File holding exccd's RPC password (pool.toml secrets.exccd_rpc_password).";
      walletRpcPasswordFile = pool.mkSecretOption "File holding exccwallet's RPC password (secrets.exccwallet_rpc_password).";
      walletPassphraseFile = pool.mkSecretOption "File holding the voting wallet's private passphrase (secrets.wallet_passphrase).";
      walletSeedFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "File holding the voting wallets' seed (hex; secrets.wallet_seed), used only while this host's wallet does not exist. null: the wallet must exist already."; };
    };
    unlockAtStart = mkOption { type = types.bool; default = false; description = "Unlock the wallet after each start from secrets.walletPassphraseFile (it then stays on the host). false: `poolctl apply` unlocks it over SSH, as on Debian."; };
    certificates = {
      poolCa = mkOption { type = pool.publicFile; description = "The pool CA (PEM, .poolctl/ca/ca.cert)."; };
      clientCrl = mkOption { type = types.nullOr pool.publicFile; default = null; description = "The pool CA's client revocation list (.poolctl/ca/clients.crl)."; };
      exccdRpc = certPair "exccd RPC";
      walletRpc = certPair "exccwallet RPC";
      grpc = certPair "stakepoold gRPC";
    };
    follow = mkOption {
      type = types.nullOr types.attrs;
      default = null;
      description = "Simulator only: the leader to sync from ({ name; address; port; cert; }, see services.exccd.follow).";
    };
    exccdSettings = mkOption { type = types.listOf types.attrs; default = [ ]; description = "Extra exccd.conf lines ({ key; value; }), see services.exccd.settings."; };
    exccwalletSettings = mkOption { type = types.listOf types.attrs; default = [ ]; description = "Extra exccwallet.conf lines, see services.exccwallet.settings."; };
  };

  options.services.excc-pool.webHost = {
    enable = mkEnableOption "a web host: exccstakepool behind nginx (configure services.exccstakepool)";
    serverName = mkOption { type = types.str; default = builtins.head (lib.splitString ":" authority); defaultText = "base_url's host name"; description = "nginx's server_name."; };
    tls = {
      cert = mkOption { type = pool.publicFile; description = "The site's certificate chain (PEM)."; };
      keyFile = pool.mkSecretOption "File holding the site certificate's key (PEM), read by nginx.";
    };
  };

  config = lib.mkMerge [
    (mkIf v.enable {
      services.exccd = {
        enable = true;
        package = v.packages.exccd;
        inherit (v) simulator follow;
        rpc.passwordFile = v.secrets.exccdRpcPasswordFile;
        rpc.listenAddress = if v.simulator then "0.0.0.0" else "127.0.0.1";
        openFirewall = v.simulator;
        tls = { inherit (v.certificates.exccdRpc) cert keyFile; };
        settings = v.exccdSettings;
      };
      services.exccwallet = {
        enable = true;
        package = v.packages.exccwallet;
        inherit (v) simulator;
        rpc.passwordFile = v.secrets.walletRpcPasswordFile;
        tls = { inherit (v.certificates.walletRpc) cert keyFile; };
        node = { passwordFile = v.secrets.exccdRpcPasswordFile; cert = v.certificates.exccdRpc.cert; };
        stakePool = { inherit (v.pool) coldWalletXpub feeAddressCount feePercent; };
        create = mkIf (v.secrets.walletSeedFile != null) {
          seedFile = v.secrets.walletSeedFile;
          privatePassphraseFile = v.secrets.walletPassphraseFile;
        };
        unlock = mkIf v.unlockAtStart {
          passphraseFile = v.secrets.walletPassphraseFile;
          syncAddressIndex = v.pool.votingAddressCount;
        };
        settings = v.exccwalletSettings;
      };
      services.stakepoold = {
        enable = true;
        package = v.packages.stakepoold;
        poolFees = v.pool.feePercent;
        inherit (v.pool) coldWalletXpub feeAddressCount;
        node = { passwordFile = v.secrets.exccdRpcPasswordFile; cert = v.certificates.exccdRpc.cert; };
        wallet = { passwordFile = v.secrets.walletRpcPasswordFile; cert = v.certificates.walletRpc.cert; };
        grpc = {
          inherit (v.certificates.grpc) cert keyFile;
          clientCa = v.certificates.poolCa;
          inherit (v.certificates) clientCrl;
        };
        openFirewall = true;
      };
    })
    (mkIf w.enable {
      services.exccstakepool = {
        enable = true;
        listen = { address = "127.0.0.1"; port = mkDefault 8000; };
        limits.realIpHeader = "X-Real-IP";
      };
      networking.firewall.allowedTCPPorts = [ 80 httpsPort ];
      services.nginx.enable = true;
      # The site poolctl writes on Debian (installer/poolctl/src/plan/web_conf.rs nginx_site),
      # with the certificate and key read from their own paths.
      services.nginx.appendHttpConfig = ''
        server_tokens off;
        client_max_body_size 64k;
        client_body_buffer_size 64k;
        client_header_buffer_size 1k;
        large_client_header_buffers 4 8k;
        client_header_timeout ${toString (limit "headerTimeoutSecs" 10)}s;
        client_body_timeout ${toString (limit "bodyTimeoutSecs" 10)}s;
        send_timeout 30s;
        keepalive_timeout 30s;

        upstream exccstakepool {
            server 127.0.0.1:${toString ex.listen.port};
            keepalive 32;
        }

        server {
            listen 80 default_server;
            server_name _;
            location / {
                return 301 https://${authority}$request_uri;
            }
        }

        server {
            listen ${toString httpsPort} ssl http2 default_server;
            server_name ${w.serverName};
            ssl_certificate ${w.tls.cert};
            ssl_certificate_key ${w.tls.keyFile};
            ssl_protocols TLSv1.2 TLSv1.3;
            ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
            ssl_prefer_server_ciphers off;
            ssl_session_timeout 1d;
            ssl_session_cache shared:exccpool:10m;
            ssl_session_tickets off;
            add_header Strict-Transport-Security "max-age=63072000" always;

            location / {
                proxy_pass http://exccstakepool;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Host $host;
                proxy_set_header X-Real-IP $remote_addr;
                proxy_set_header X-Forwarded-For $remote_addr;
                proxy_set_header X-Forwarded-Proto https;
                proxy_connect_timeout 5s;
                proxy_send_timeout ${toString (limit "requestTimeoutSecs" 30)}s;
                proxy_read_timeout ${toString (limit "requestTimeoutSecs" 30 + 5)}s;
            }
        }
      '';
    })
  ];
}
