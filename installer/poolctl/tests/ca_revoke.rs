//! `poolctl ca revoke --client NAME` puts the certificate's serial on the pool CA's
//! revocation list and lets the next plan issue a new certificate of that name.

use std::process::{Command, Output};

use poolctl::ca::PoolCa;

fn poolctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(args)
        .output()
        .expect("run poolctl")
}

#[test]
fn revokes_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pool_toml = dir.path().join("pool.toml");
    let file = pool_toml.to_str().unwrap();

    // No CA yet: nothing is created, the error says how to get one.
    let out = poolctl(&["ca", "revoke", "-f", file, "--client", "web"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no CA in") && err.contains("poolctl plan"),
        "{err}"
    );
    assert!(!dir.path().join(".poolctl").exists());

    let ca = PoolCa::open_or_create(&dir.path().join(".poolctl")).unwrap();
    let web = ca.client_cert("web").unwrap();
    let crl_before = ca.crl_pem().unwrap();

    let out = poolctl(&["ca", "revoke", "-f", file, "--client", "web"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = ca.revoked().unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].name, "web");
    assert!(
        text.contains(&hex::encode(&revoked[0].serial)) && text.contains("poolctl apply"),
        "{text}"
    );
    // A new list (signed again) and a new certificate for the next plan.
    assert_ne!(ca.crl_pem().unwrap(), crl_before);
    let next = ca.client_cert("web").unwrap();
    assert_ne!(next.cert_pem, web.cert_pem);

    let out = poolctl(&["ca", "revoke", "-f", file, "--client", "nobody"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no client certificate nobody"), "{err}");
}
