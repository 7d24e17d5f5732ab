# Evaluates NixOS modules with the vendored nixpkgs lib/ and the test-only NixOS options, and
# checks their assertions as NixOS does (a failed one stops evaluation with its message):
#   nix-instantiate --readonly-mode --eval --strict --json nixos/tests/eval.nix \
#     --arg modules '[ ./nixos/examples/voting-node.nix ]' -A services
{ modules, lib ? import ./vendor/nixpkgs-lib/lib }:
let
  eval = lib.evalModules {
    modules = [ ./nixos-options.nix ../modules ] ++ modules;
  };
  cfg = eval.config;
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) cfg.assertions);
  checked = if failed == [ ] then cfg else throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}";
in
{
  config = checked;
  services = lib.mapAttrs (_: s: { inherit (s) description wants requires after wantedBy serviceConfig; }) checked.systemd.services;
  users = { inherit (checked.users) users groups; };
  firewall = checked.networking.firewall;
  # The config files' contents, as shell commands that print them.
  scripts = lib.filterAttrs (_: v: v != null) {
    exccd = if checked.services.exccd.enable then checked.services.exccd.configScript else null;
    exccwallet = if checked.services.exccwallet.enable then checked.services.exccwallet.configScript else null;
    exccwallet-creating = if checked.services.exccwallet.enable then checked.services.exccwallet.creatingConfigScript else null;
    stakepoold = if checked.services.stakepoold.enable then checked.services.stakepoold.configScript else null;
    exccstakepool = if checked.services.exccstakepool.enable then checked.services.exccstakepool.configScript else null;
  };
}
