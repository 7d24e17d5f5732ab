# Test only: the few options of NixOS itself that our modules set, declared with the types
# NixOS gives them (nixos/modules/misc/assertions.nix, config/users-groups.nix,
# services/networking/firewall.nix, system/boot/systemd.nix + lib/systemd-unit-options.nix,
# system/etc/etc.nix, services/web-servers/nginx), and a stand-in `pkgs` whose packages are
# store paths that are never built. Evaluated with the vendored nixpkgs lib/ only.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  # nixos/lib/systemd-unit-options.nix: unitOption
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      let defs' = lib.filterOverrides defs; in
      if lib.any (def: lib.isList def.value) defs' then lib.concatMap (def: lib.toList def.value) defs'
      else lib.mergeEqualOption loc defs';
  };
  atomOrList = types.oneOf [ types.bool types.int types.str types.path (types.listOf (types.oneOf [ types.bool types.int types.str types.path ])) ];
  unitList = mkOption { type = types.listOf types.str; default = [ ]; };
  fakeStorePath = name: "/nix/store/00000000000000000000000000000000-${name}";
  fakePackage = name: { type = "derivation"; inherit name; outPath = fakeStorePath name; };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; internal = true; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; internal = true; default = [ ]; };
    networking.hostName = mkOption { type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$"; default = "nixos"; };
    networking.firewall = {
      enable = mkOption { type = types.bool; default = true; };
      allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; apply = lib.unique; };
      allowedUDPPorts = mkOption { type = types.listOf types.port; default = [ ]; apply = lib.unique; };
    };
    users.users = mkOption {
      default = { };
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options = {
          name = mkOption { type = types.str; default = name; };
          isSystemUser = mkOption { type = types.bool; default = false; };
          isNormalUser = mkOption { type = types.bool; default = false; };
          group = mkOption { type = types.str; default = ""; };
          extraGroups = mkOption { type = types.listOf types.str; default = [ ]; };
          description = mkOption { type = types.str; default = ""; };
          home = mkOption { type = types.path; default = "/var/empty"; };
          createHome = mkOption { type = types.bool; default = false; };
          openssh.authorizedKeys.keys = mkOption { type = types.listOf types.singleLineStr; default = [ ]; };
        };
      }));
    };
    users.groups = mkOption {
      default = { };
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options = {
          name = mkOption { type = types.str; default = name; };
          gid = mkOption { type = types.nullOr types.int; default = null; };
          members = mkOption { type = types.listOf types.str; default = [ ]; };
        };
      }));
    };
    environment.etc = mkOption {
      default = { };
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options = {
          target = mkOption { type = types.str; default = name; };
          text = mkOption { type = types.nullOr types.lines; default = null; };
          source = mkOption { type = types.nullOr types.path; default = null; };
          mode = mkOption { type = types.str; default = "symlink"; };
          user = mkOption { type = types.str; default = "+0"; };
          group = mkOption { type = types.str; default = "+0"; };
        };
      }));
    };
    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
    systemd.services = mkOption {
      default = { };
      type = types.attrsOf (types.submodule {
        options = {
          enable = mkOption { type = types.bool; default = true; };
          description = mkOption { type = types.singleLineStr; default = ""; };
          wants = unitList;
          requires = unitList;
          after = unitList;
          before = unitList;
          wantedBy = unitList;
          requiredBy = unitList;
          path = mkOption { type = types.listOf (types.either types.package types.str); default = [ ]; };
          environment = mkOption { type = types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ])); default = { }; };
          script = mkOption { type = types.lines; default = ""; };
          unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
          serviceConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
          startAt = mkOption { type = types.either types.str (types.listOf types.str); default = [ ]; };
        };
      });
    };
    services.nginx = {
      enable = mkOption { type = types.bool; default = false; };
      appendHttpConfig = mkOption { type = types.lines; default = ""; };
    };
    # Image builders (nixpkgs' nixos/modules/image/repart.nix and installer/cd-dvd); only
    # what the examples set.
    boot.loader.systemd-boot.enable = mkOption { type = types.bool; default = false; };
    boot.loader.efi.canTouchEfiVariables = mkOption { type = types.bool; default = false; };
    fileSystems = mkOption { type = types.attrsOf types.unspecified; default = { }; };
    services.openssh.enable = mkOption { type = types.bool; default = false; };
    system.stateVersion = mkOption { type = types.str; default = "25.05"; };
  };
  config._module.args.pkgs = {
    writeShellScript = name: text: builtins.seq text (fakeStorePath name);
    writeText = name: text: builtins.seq text (fakeStorePath name);
    curl = fakePackage "curl";
    excc-pool = { exccd = fakePackage "exccd"; exccwallet = fakePackage "exccwallet"; stakepoold = fakePackage "stakepoold"; exccstakepool = fakePackage "exccstakepool"; excc-simnet = fakePackage "excc-simnet"; };
  };
}
