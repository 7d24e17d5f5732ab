# An example web host (mainnet, SQLite) in front of two voting nodes.
{ ... }:
let
  secrets = "/var/lib/excc-pool/secrets";
  certs = "/var/lib/excc-pool/certs";
in
{
  networking.hostName = "web1";
  services.excc-pool.network = "mainnet";
  services.excc-pool.webHost = {
    enable = true;
    tls = { cert = "${certs}/pool.example.org.fullchain.pem"; keyFile = "${secrets}/pool.example.org.key"; };
  };
  services.exccstakepool = {
    baseUrl = "https://pool.example.org";
    poolEmail = "admin@pool.example.org";
    adminEmails = [ "you@example.org" ];
    apiSecretFile = "${secrets}/web-api.secret";
    pool = {
      feePercent = "7.5";
      coldWalletXpub = "xpub6BpcvynN5SeJND9vFj1noMPwb4SWqjKGmvPq65GToQnob9UbhirCetBWzXm7c3oXPzG9r5VcaPWcaFw6hgizKn6rFk29sLShxwKYFrf5LHR";
      votingWalletXpub = "xpub6BpcvynN5SeJND9vFj1noMPwb4SWqjKGmvPq65GToQnob9UbhirCetBWzXm7c3oXPzG9r5VcaPWcaFw6hgizKn6rFk29sLShxwKYFrf5LHR";
    };
    tls = { ca = "${certs}/pool-ca.cert"; clientCert = "${certs}/web.cert"; clientKeyFile = "${secrets}/web.key"; };
    votingNodes = [
      { name = "voting1"; address = "192.0.2.11"; port = 9113; }
      { name = "voting2"; address = "192.0.2.12"; port = 9113; }
    ];
  };
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
