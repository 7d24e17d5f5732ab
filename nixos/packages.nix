# The pool's programs as Nix packages. Our Rust binaries build from this repository with its
# Cargo.lock; exccd and exccwallet from the EXCCoin sources with buildGoModule.
#
# Hashes to fill in (nix prints the right value on the first build with a fake one):
#   exccd/exccwallet `hash`: the source tarball of the tag (nix-prefetch-url --unpack URL, or
#     build once with lib.fakeHash);
#   exccd/exccwallet `vendorHash`: the Go modules (build once with lib.fakeHash).
{ pkgs, src }:
let
  inherit (pkgs) lib rustPlatform buildGoModule fetchFromGitHub;
  workspace = args: rustPlatform.buildRustPackage ({
    version = "0.1.0";
    src = lib.cleanSource src;
    cargoLock.lockFile = ../Cargo.lock;
    nativeBuildInputs = [ pkgs.pkg-config ];
    # Tests need MariaDB, Chromium and lab hosts; they run in the repository's CI instead.
    doCheck = false;
  } // args);
  excc = { pname, repo, version, hash, vendorHash, subPackages }: buildGoModule {
    inherit pname version vendorHash subPackages;
    src = fetchFromGitHub { owner = "EXCCoin"; inherit repo hash; rev = "v${version}"; };
    ldflags = [ "-s" "-w" ];
    meta = { license = lib.licenses.isc; mainProgram = pname; };
  };
in
{
  stakepoold = workspace { pname = "stakepoold"; cargoBuildFlags = [ "-p" "stakepoold" "--bin" "stakepoold" ]; };
  exccstakepool = workspace { pname = "exccstakepool"; cargoBuildFlags = [ "-p" "exccstakepool" "--bin" "exccstakepool" ]; };
  poolctl = workspace { pname = "poolctl"; cargoBuildFlags = [ "-p" "poolctl" "--bin" "poolctl" ]; };
  excc-simnet = workspace { pname = "excc-simnet"; cargoBuildFlags = [ "-p" "excc-simnet" ]; };
  exccd = excc {
    pname = "exccd";
    repo = "exccd";
    version = "2.7.6";
    hash = lib.fakeHash; # fill in
    vendorHash = lib.fakeHash; # fill in
    subPackages = [ "." "cmd/exccctl" ];
  };
  exccwallet = excc {
    pname = "exccwallet";
    repo = "exccwallet";
    version = "2.7.6";
    hash = lib.fakeHash; # fill in
    vendorHash = lib.fakeHash; # fill in
    subPackages = [ "." ];
  };
}
