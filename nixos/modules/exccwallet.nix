# services.exccwallet: the voting wallet in stake-pool mode, with the settings poolctl writes to
# exccwallet.conf (installer/poolctl/src/plan/conf.rs) and the [Service] settings of
# ../../systemd/exccwallet.service.
{ config, lib, pkgs, ... }:
let
  pool = import ./lib.nix { inherit lib; };
  inherit (lib) mkOption mkEnableOption mkIf types;
  cfg = config.services.exccwallet;
  net = pool.networks.${cfg.network};
  reserved = [ "testnet" "simnet" "regnet" "username" "password" "rpclisten" "rpccert" "rpckey" "rpcconnect" "cafile" "exccdusername" "exccdpassword" "stakepoolcoldextkey" "poolfees" "enablevoting" "create" "seedfile" "privpass" "appdata" "configfile" ];
  creating = cfg.create.seedFile != null;
  confParts = create:
    [
      (pool.header ";" "exccwallet.conf" config.services.excc-pool.hostName config.services.excc-pool.generatedBy)
      "${net.line}username=${cfg.rpc.user}\npassword="
      { secret = cfg.rpc.passwordFile; }
      "\nrpclisten=${cfg.rpc.listenAddress}:${toString cfg.rpc.port}\nrpccert=/etc/exccwallet/rpc.cert\nrpckey=/etc/exccwallet/rpc.key\n"
      "rpcconnect=${cfg.node.address}:${toString cfg.node.port}\ncafile=/etc/exccwallet/exccd-rpc.cert\nexccdusername=${cfg.node.user}\nexccdpassword="
      { secret = cfg.node.passwordFile; }
      "\n; stake-pool mode: fees go to the cold wallet's first ${toString cfg.stakePool.feeAddressCount} addresses\nstakepoolcoldextkey=${cfg.stakePool.coldWalletXpub}:${toString cfg.stakePool.feeAddressCount}\npoolfees=${cfg.stakePool.feePercent}\n"
      (if cfg.enableVoting then "; this wallet votes\nenablevoting=1\n" else "; stakepoold votes; two voters would race\nenablevoting=0\n")
    ]
    ++ lib.optionals create [
      "; created on first start from the seed; unlocked by poolctl apply (walletpassphrase)\ncreate=1\nseedfile=/etc/exccwallet/seed\nprivpass="
      { secret = cfg.create.privatePassphraseFile; }
      "\n"
    ]
    ++ lib.optional (cfg.settings != [ ])
      ("; [settings] from pool.toml\n" + lib.concatMapStrings (s: "${s.key}=${s.value}\n") cfg.settings);
  common = [
    { path = "/etc/exccwallet/rpc.cert"; mode = "0644"; parts = pool.fileParts cfg.tls.cert; }
    { path = "/etc/exccwallet/rpc.key"; mode = "0600"; parts = pool.fileParts cfg.tls.keyFile; }
    { path = "/etc/exccwallet/exccd-rpc.cert"; mode = "0644"; parts = pool.fileParts cfg.node.cert; }
  ];
  kept = [{ path = "/etc/exccwallet/exccwallet.conf"; mode = "0600"; parts = confParts false; }];
  withSeed = [
    { path = "/etc/exccwallet/exccwallet.conf"; mode = "0600"; parts = confParts true; }
    { path = "/etc/exccwallet/seed"; mode = "0600"; parts = [{ secret = cfg.create.seedFile; } "\n"]; }
  ];
  # As poolctl apply: the seed and the private passphrase reach the wallet's files only while
  # no wallet exists (/var/lib/exccwallet/NET/wallet.db|json).
  script = pool.installScript "exccwallet" common + (if creating then ''
    if ls /var/lib/exccwallet/*/wallet.db /var/lib/exccwallet/*/wallet.json >/dev/null 2>&1; then
      ${pool.installScript "exccwallet" kept}
      rm -f /etc/exccwallet/seed
    else
      ${pool.installScript "exccwallet" withSeed}
    fi
  '' else pool.installScript "exccwallet" kept);
  deps = pool.dependenciesOf "exccwallet";
  # JSON-RPC calls with curl; credentials and bodies in 0600 files of the unit's runtime
  # directory, never in argv.
  unlockScript = ''
    set -eu
    umask 077
    esc() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
    dir="$RUNTIME_DIRECTORY"
    printf 'user = "%s:%s"\n' "$(printf '%s' ${lib.escapeShellArg cfg.rpc.user} | esc)" "$(printf '%s' "$(cat ${lib.escapeShellArg cfg.rpc.passwordFile})" | esc)" > "$dir/curlrc"
    call() {
      printf '{"jsonrpc":"1.0","id":1,"method":"%s","params":%s}' "$1" "$2" > "$dir/body"
      curl --silent --show-error --fail --retry 60 --retry-connrefused --retry-delay 2 \
        --cacert /etc/exccwallet/rpc.cert -K "$dir/curlrc" --data-binary @"$dir/body" \
        https://127.0.0.1:${toString cfg.rpc.port}/ >/dev/null
    }
    call walletpassphrase "[\"$(printf '%s' "$(cat ${lib.escapeShellArg (toString cfg.unlock.passphraseFile)})" | esc)\",0]"
  '' + lib.optionalString (cfg.unlock.syncAddressIndex != null) ''
    call accountsyncaddressindex '["default",0,${toString cfg.unlock.syncAddressIndex}]'
  '' + ''
    rm -f "$dir/curlrc" "$dir/body"
  '';
in
{
  imports = [ ./common.nix ];

  options.services.exccwallet = {
    enable = mkEnableOption "exccwallet, the EXCC voting wallet (stake-pool mode)";
    package = mkOption { type = types.package; description = "The exccwallet package (bin/exccwallet), or excc-simnet with `simulator = true`."; };
    simulator = mkOption { type = types.bool; default = false; description = "The package is excc-simnet: run `excc-simnet wallet`."; };
    network = mkOption {
      type = pool.networkType;
      default = config.services.excc-pool.network;
      defaultText = lib.literalExpression "config.services.excc-pool.network";
      description = "mainnet, testnet, simnet or regnet.";
    };
    rpc = {
      user = mkOption { type = types.strMatching "[A-Za-z0-9_.-]+"; default = "exccwallet-rpc"; description = "RPC user (username)."; };
      passwordFile = pool.mkSecretOption "File holding the wallet's RPC password (password).";
      listenAddress = mkOption { type = pool.address; default = "127.0.0.1"; description = "RPC listen address (rpclisten)."; };
      port = mkOption { type = types.port; default = net.walletRpc; defaultText = "the network's exccwallet RPC port"; description = "RPC port (rpclisten)."; };
    };
    tls = {
      cert = mkOption { type = pool.publicFile; description = "RPC certificate (PEM), /etc/exccwallet/rpc.cert."; };
      keyFile = pool.mkSecretOption "File holding the RPC certificate's key, /etc/exccwallet/rpc.key (0600).";
    };
    node = {
      address = mkOption { type = pool.address; default = "127.0.0.1"; description = "exccd's RPC address (rpcconnect)."; };
      port = mkOption { type = types.port; default = net.nodeRpc; defaultText = "the network's exccd RPC port"; description = "exccd's RPC port (rpcconnect)."; };
      user = mkOption { type = types.strMatching "[A-Za-z0-9_.-]+"; default = "exccd-rpc"; description = "exccd's RPC user (exccdusername)."; };
      passwordFile = pool.mkSecretOption "File holding exccd's RPC password (exccdpassword).";
      cert = mkOption { type = pool.publicFile; description = "exccd's RPC certificate (PEM), pinned as /etc/exccwallet/exccd-rpc.cert (cafile)."; };
    };
    stakePool = {
      coldWalletXpub = mkOption { type = pool.xpub; description = "The cold wallet's account xpub: fees go to its first feeAddressCount addresses (stakepoolcoldextkey)."; };
      feeAddressCount = mkOption { type = types.ints.between 1 1000000; default = 10000; description = "How many of the cold wallet's addresses take fees."; };
      feePercent = mkOption { type = pool.feePercent; description = "The pool fee in percent (poolfees), e.g. \"7.50\"."; };
    };
    enableVoting = mkOption { type = types.bool; default = false; description = "Let the wallet vote itself (enablevoting=1). Never beside stakepoold, which votes: two voters would race."; };
    create = {
      seedFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "File holding the wallet seed (hex). While no wallet exists the wallet is created from it at start (create=1, seedfile); afterwards the seed is removed from /etc/exccwallet again."; };
      privatePassphraseFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "File holding the wallet's private passphrase (privpass at creation)."; };
    };
    unlock = {
      passphraseFile = mkOption { type = types.nullOr pool.secretPath; default = null; description = "Unlock the wallet after each start (walletpassphrase PASS 0) from this file, as poolctl apply does over SSH. null: the wallet stays locked until `poolctl apply` (or you) unlocks it; the passphrase then never stays on the host."; };
      syncAddressIndex = mkOption { type = types.nullOr types.ints.positive; default = null; description = "After unlocking, watch the default account's addresses up to this index (accountsyncaddressindex default 0 N; pool.toml's voting_address_count)."; };
    };
    settings = mkOption {
      type = types.listOf (types.submodule {
        options = {
          key = mkOption { type = types.strMatching "[a-z][a-z0-9]*"; description = "exccwallet.conf key."; };
          value = mkOption { type = types.strMatching "[^\n]*"; description = "Its value (one line)."; };
        };
      });
      default = [ ];
      description = "Extra exccwallet.conf lines, in order (pool.toml's [exccwallet.settings]).";
    };
    configScript = mkOption { type = types.str; readOnly = true; internal = true; description = "Shell commands printing exccwallet.conf once the wallet exists."; };
    creatingConfigScript = mkOption { type = types.str; readOnly = true; internal = true; description = "Shell commands printing exccwallet.conf for the wallet's creation."; };
  };

  config = mkIf cfg.enable {
    services.exccwallet.configScript = pool.partsScript (confParts false);
    services.exccwallet.creatingConfigScript = pool.partsScript (confParts true);
    assertions = [
      (pool.xpubAssertion "services.exccwallet.stakePool.coldWalletXpub" cfg.stakePool.coldWalletXpub cfg.network)
      {
        assertion = !(cfg.enableVoting && config.services.stakepoold.enable);
        message = "services.exccwallet.enableVoting is true beside services.stakepoold, which votes the pool's tickets: two voters would race. Set services.exccwallet.enableVoting = false.";
      }
      {
        assertion = (cfg.create.seedFile == null) == (cfg.create.privatePassphraseFile == null);
        message = "services.exccwallet.create: seedFile and privatePassphraseFile go together (the wallet is created from the seed with the private passphrase).";
      }
      {
        assertion = lib.all (s: !(builtins.elem s.key reserved)) cfg.settings;
        message = "services.exccwallet.settings: ${lib.concatStringsSep ", " (builtins.filter (k: builtins.elem k reserved) (map (s: s.key) cfg.settings))} is written by the module; set the matching option instead.";
      }
    ];
    users.users.exccwallet = { isSystemUser = true; group = "exccwallet"; description = "exccwallet"; };
    users.groups.exccwallet = { };
    systemd.services.exccwallet = {
      inherit (deps) description wants requires after wantedBy;
      serviceConfig = pool.hardeningOf "exccwallet" // {
        ExecStartPre = [ "+${pkgs.writeShellScript "exccwallet-files" script}" ];
        ExecStart = "${cfg.package}/bin/${if cfg.simulator then "excc-simnet wallet" else "exccwallet"} --configfile=/etc/exccwallet/exccwallet.conf --appdata=/var/lib/exccwallet";
      };
    };
    systemd.services.exccwallet-unlock = mkIf (cfg.unlock.passphraseFile != null) {
      description = "Unlock the EXCC voting wallet";
      after = [ "exccwallet.service" ];
      wantedBy = [ "exccwallet.service" ];
      path = [ pkgs.curl ];
      script = unlockScript;
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = false;
        RuntimeDirectory = "exccwallet-unlock";
        RuntimeDirectoryMode = "0700";
        DynamicUser = false;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        NoNewPrivileges = true;
      };
    };
  };
}
