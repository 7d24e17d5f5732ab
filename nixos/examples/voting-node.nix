# An example voting node (mainnet). Secrets are files on the host, e.g. placed by agenix or
# sops-nix, or copied there by you (root, 0400): never in the Nix store. Certificates come
# from the pool CA (`poolctl nixos render` writes a complete configuration from pool.toml).
{ ... }:
let
  secrets = "/var/lib/excc-pool/secrets";
  certs = "/var/lib/excc-pool/certs";
in
{
  networking.hostName = "voting1";
  services.excc-pool.network = "mainnet";
  services.excc-pool.votingNode = {
    enable = true;
    pool = {
      feePercent = "7.50";
      coldWalletXpub = "xpub6BpcvynN5SeJND9vFj1noMPwb4SWqjKGmvPq65GToQnob9UbhirCetBWzXm7c3oXPzG9r5VcaPWcaFw6hgizKn6rFk29sLShxwKYFrf5LHR";
      feeAddressCount = 10000;
      votingAddressCount = 10000;
    };
    secrets = {
      exccdRpcPasswordFile = "${secrets}/exccd-rpc.password";
      walletRpcPasswordFile = "${secrets}/exccwallet-rpc.password";
      walletPassphraseFile = "${secrets}/wallet.passphrase";
      walletSeedFile = "${secrets}/wallet.seed";
    };
    certificates = {
      poolCa = "${certs}/pool-ca.cert";
      clientCrl = "${certs}/clients.crl";
      exccdRpc = { cert = "${certs}/exccd-rpc.cert"; keyFile = "${secrets}/exccd-rpc.key"; };
      walletRpc = { cert = "${certs}/exccwallet-rpc.cert"; keyFile = "${secrets}/exccwallet-rpc.key"; };
      grpc = { cert = "${certs}/stakepoold-grpc.cert"; keyFile = "${secrets}/stakepoold-grpc.key"; };
    };
  };
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
