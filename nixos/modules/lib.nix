# Shared pieces of the EXCC pool modules: network parameters, option types, the systemd units
# of ../../systemd/ read as the one source of every service's [Service] settings, and the
# script that installs a service's files at each start.
{ lib }:
let
  inherit (lib) types mkOption;
in
rec {
  # The parameters poolctl and the programs use (services/excc-chain/src/network.rs): default
  # ports and the account xpub prefix (HDPublicKeyID) of each network.
  networks = {
    mainnet = { xpubPrefix = "xpub"; nodeRpc = 9109; walletRpc = 9110; grpc = 9113; line = ""; };
    testnet = { xpubPrefix = "tpub"; nodeRpc = 19109; walletRpc = 19110; grpc = 19113; line = "testnet=1\n"; };
    simnet = { xpubPrefix = "spub"; nodeRpc = 19556; walletRpc = 19557; grpc = 19560; line = "simnet=1\n"; };
    regnet = { xpubPrefix = "rpub"; nodeRpc = 18656; walletRpc = 18657; grpc = 18660; line = "regnet=1\n"; };
  };

  networkType = types.enum [ "mainnet" "testnet" "simnet" "regnet" ];

  # An absolute path as a string: secrets are named, never copied into the world-readable
  # Nix store (a Nix path literal such as ./key is refused for that reason). Works with
  # agenix (`config.age.secrets.NAME.path`) and sops-nix (`config.sops.secrets.NAME.path`).
  secretPath = types.addCheck types.str (s: lib.hasPrefix "/" s && !(lib.hasPrefix builtins.storeDir s)) // {
    name = "secretPath";
    description = "absolute path of a secret file outside the Nix store (a string)";
  };

  # An absolute path on the host (a string).
  absolutePath = types.addCheck types.str (lib.hasPrefix "/") // {
    name = "absolutePath";
    description = "absolute path (a string)";
  };

  # A public file: a Nix path (copied into the store) or an absolute path string.
  publicFile = types.either types.path absolutePath;

  # The pool fee in percent as the programs print it: 0.01 to 100, two decimals ("7.50").
  feePercent = types.addCheck (types.strMatching "(100\\.00|[0-9]{1,2}\\.[0-9]{2})") (s: s != "0.00") // {
    name = "feePercent";
    description = "pool fee in percent with two decimals, 0.01 to 100.00 (a string such as \"7.50\")";
  };

  # An account xpub (base58, 111 characters).
  xpub = types.strMatching "[1-9A-HJ-NP-Za-km-z]{111}" // {
    name = "xpub";
    description = "account extended public key (base58check, 111 characters)";
  };

  # An address to listen on / connect to (IPv4, IPv6 without brackets, or a name).
  address = types.strMatching "[0-9A-Za-z.:_-]+";

  # Assertion: `key` is an xpub of `network`.
  xpubAssertion = option: key: network: {
    assertion = lib.hasPrefix networks.${network}.xpubPrefix key;
    message = "${option} is not a ${network} account xpub: it starts with \"${builtins.substring 0 4 key}\", a ${network} one with \"${networks.${network}.xpubPrefix}\".";
  };

  mkSecretOption = description: mkOption { type = secretPath; inherit description; };

  # The header poolctl writes on each file (plan/conf.rs).
  header = comment: file: hostName: generatedBy:
    "${comment} ${file} on ${hostName}, written by ${generatedBy}; local edits are overwritten.\n";

  # ----- systemd units of ../../systemd/: the one source of [Service] settings -----

  # "[Service]\nA=1\nB=x\nB=y" → { Service = { A = "1"; B = [ "x" "y" ]; }; … }; comments and
  # blank lines skipped, a repeated key becomes a list (as NixOS renders lists).
  parseUnit = text:
    let
      lines = lib.splitString "\n" text;
      step = acc: line:
        let l = lib.trim line; in
        if l == "" || lib.hasPrefix "#" l || lib.hasPrefix ";" l then acc
        else if lib.hasPrefix "[" l then acc // { section = lib.removeSuffix "]" (lib.removePrefix "[" l); }
        else
          let
            m = builtins.match "([A-Za-z]+)=(.*)" l;
            k = builtins.elemAt m 0;
            v = builtins.elemAt m 1;
            sec = acc.sections.${acc.section} or { };
            old = sec.${k} or null;
            new = if old == null then v else lib.toList old ++ [ v ];
          in
          assert m != null;
          acc // { sections = acc.sections // { ${acc.section} = sec // { ${k} = new; }; }; };
    in
    (builtins.foldl' step { section = ""; sections = { }; } lines).sections;

  unitOf = name: parseUnit (builtins.readFile (../../systemd + "/${name}.service"));

  # The unit's [Service] settings without its Exec* lines (those name /usr/local/bin).
  hardeningOf = name: lib.filterAttrs (k: _: !(lib.hasPrefix "Exec" k)) (unitOf name).Service;

  # The unit's dependencies ([Unit] Wants/Requires/After, [Install] WantedBy) as NixOS lists.
  dependenciesOf = name:
    let
      u = unitOf name;
      words = v: lib.concatMap (lib.splitString " ") (lib.toList v);
      get = sec: k: if (u.${sec} or { }) ? ${k} then words u.${sec}.${k} else [ ];
    in
    {
      description = u.Unit.Description;
      wants = get "Unit" "Wants";
      requires = get "Unit" "Requires";
      after = get "Unit" "After";
      wantedBy = get "Install" "WantedBy";
    };

  # ----- the files a service installs at each start -----

  # A file's content is a list of parts: a string, { file = path; } (copied byte for byte) or
  # { secret = "/path"; } (the file's content without trailing newlines, as poolctl's secret
  # references read it).
  # partsScript parts → shell commands printing the content to stdout.
  partsScript = parts: lib.concatMapStrings
    (p:
      if builtins.isString p then (if p == "" then "" else "printf '%s' ${lib.escapeShellArg p}\n")
      else if p ? file then "cat ${lib.escapeShellArg (if builtins.isPath p.file then "${p.file}" else p.file)}\n"
      else "printf '%s' \"$(cat ${lib.escapeShellArg p.secret})\"\n")
    parts;

  # Files: [ { path; mode; parts; } ]. The script (run as root, `+` in ExecStartPre, before
  # the sandbox) writes each to a temporary file and renames it over `path`, owned by `user`,
  # as `poolctl apply` installs the same files on a Debian host.
  installScript = user: files: ''
    set -eu
    umask 077
  '' + lib.concatMapStrings
    (f: ''
      mkdir -p ${lib.escapeShellArg (builtins.dirOf f.path)}
      {
      ${partsScript f.parts}} > ${lib.escapeShellArg "${f.path}.new"}
      chown ${user}:${user} ${lib.escapeShellArg "${f.path}.new"}
      chmod ${f.mode} ${lib.escapeShellArg "${f.path}.new"}
      mv -f ${lib.escapeShellArg "${f.path}.new"} ${lib.escapeShellArg f.path}
    '')
    files;

  # A file copied byte for byte (a certificate from the Nix store, or a key from a secret path).
  fileParts = p: [{ file = p; }];
}
