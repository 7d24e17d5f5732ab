//! stakepoold's operations surface without a chain: mutual TLS on the gRPC API,
//! health when exccd and exccwallet are unreachable, config checking.

use pool_tests::pki::TestCa;
use pool_tests::proc::free_port;
use pool_tests::stakepoold::{PoolPki, Stakepoold, check_config};
use stakepoold_proto::v1 as pb;

/// A simnet account xpub (the chain document's seed 00..1f master key).
const SPUB: &str = "spubVNx6fk6e22GL2Bt9qER4e1nhGRpm7UN8fEDxMwRrpLQxpqbm4VJ6VQ5RrZyV6H9rV5PDiLmi2Ac2HkxDBmgU6UGHjXH4GCw7NfbiDKGKciT";

async fn start_alone(root: &std::path::Path, pki: &PoolPki) -> Stakepoold {
    // exccd and exccwallet are down: nothing listens on these ports.
    let cert = pki.ca.write_cert(&root.join("some.cert"));
    let node = format!("127.0.0.1:{}", free_port());
    let wallet = format!("127.0.0.1:{}", free_port());
    Stakepoold::start_with(
        root,
        "stakepoold",
        pki,
        (&node, &cert),
        (&wallet, &cert),
        SPUB,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_api_and_reports_unhealthy_while_node_and_wallet_are_down() {
    let dir = pool_tests::test_dir("stakepoold-api");
    let pki = PoolPki::new(&dir.path().join("pki"));
    let spd = start_alone(dir.path(), &pki).await;

    let (status, body) = spd.get("/healthz").await.unwrap();
    assert_eq!(status, 503, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["healthy"], false);
    let problems = health["problems"].to_string();
    assert!(
        problems.contains("exccd is not connected")
            && problems.contains("exccwallet is not connected"),
        "{problems}"
    );
    let metrics = spd.get("/metrics").await.unwrap().1;
    assert!(
        metrics.contains("stakepoold_tickets{state=\"live\"} 0"),
        "{metrics}"
    );

    // The API answers although the wallet is down; wallet calls fail as unavailable.
    let mut api = pki.client(spd.grpc_port, "web", None).await.unwrap();
    let prefs = pb::UserVotingPrefs {
        user_id: 1,
        multisig_address: "Scfa6XtqDMrforJsrt5ekAsxmaHgqhYExXq".into(),
        vote_bits: 1,
        vote_bits_version: 10,
    };
    api.set_user_voting_prefs(pb::SetUserVotingPrefsRequest {
        users: vec![prefs.clone()],
    })
    .await
    .unwrap();
    // Read back as set (what poolctl copies to a rebuilt node).
    let held = api
        .get_user_voting_prefs(pb::GetUserVotingPrefsRequest {})
        .await
        .unwrap()
        .into_inner()
        .users;
    assert_eq!(held, [prefs]);
    let live = api
        .get_live_tickets(pb::GetLiveTicketsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(live.tickets.is_empty());
    let err = api.wallet_info(pb::WalletInfoRequest {}).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(err.message().contains("exccwallet"), "{err}");
    let health = api.health(pb::HealthRequest {}).await.unwrap().into_inner();
    assert!(!health.healthy && !health.problems.is_empty());

    // Bad input names the field.
    let bad = pb::UserVotingPrefs {
        multisig_address: "2cZy9GzWSBsuVtNqYPcSBTy11dRJJPG2dbp9".into(),
        ..Default::default()
    };
    let err = api
        .set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: vec![bad] })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("multisig_address") && err.message().contains("mainnet"),
        "{err}"
    );

    // The version call.
    let mut v = stakepoold_proto::v1::version_service_client::VersionServiceClient::new(
        pki.channel(spd.grpc_port, "web2", None).await.unwrap(),
    );
    let version = v.version(pb::VersionRequest {}).await.unwrap().into_inner();
    stakepoold_proto::check_compatible("test", &version, 0).unwrap();

    // Preferences survived in the state directory (mode 0600).
    let state = dir.path().join("stakepoold/state/state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        text.contains("Scfa6XtqDMrforJsrt5ekAsxmaHgqhYExXq"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_clients_without_a_pool_certificate() {
    let dir = pool_tests::test_dir("stakepoold-mtls");
    let pki = PoolPki::new(&dir.path().join("pki"));
    let spd = start_alone(dir.path(), &pki).await;

    let intruder_ca = TestCa::new("intruder CA");
    let refused = match pki
        .client(spd.grpc_port, "intruder", Some(&intruder_ca))
        .await
    {
        Err(e) => format!("{e:?}"),
        Ok(mut c) => format!(
            "{:?}",
            c.get_live_tickets(pb::GetLiveTicketsRequest {})
                .await
                .unwrap_err()
        ),
    };
    assert!(!refused.is_empty());
    // The server names the refused certificate's subject.
    pool_tests::wait_for(10, "the refusal in stakepoold's log", || async {
        spd.proc.log_text().contains("CN=intruder").then_some(())
    })
    .await;

    // Without any client certificate the handshake fails too.
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(&pki.ca.cert_pem))
        .domain_name("localhost");
    let result = async {
        let ch =
            tonic::transport::Channel::from_shared(format!("https://127.0.0.1:{}", spd.grpc_port))
                .unwrap()
                .tls_config(tls)?
                .connect()
                .await?;
        let mut c =
            stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient::new(ch);
        c.get_live_tickets(pb::GetLiveTicketsRequest {})
            .await
            .map_err(|s| anyhow::anyhow!(s))?;
        anyhow::Ok(())
    }
    .await;
    assert!(result.is_err(), "a client without certificate was served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_revoked_client_certificates() {
    let dir = pool_tests::test_dir("stakepoold-crl");
    let mut pki = PoolPki::new(&dir.path().join("pki"));
    let leaked = pki.ca.issue("web-leaked", &pki.dir);
    let crl = pki.dir.join("client.crl");
    std::fs::write(&crl, pki.ca.revocation_list(&[leaked.serial])).unwrap();
    pki.client_crl = Some(crl);
    let spd = start_alone(dir.path(), &pki).await;

    let refused = async {
        let mut c = stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient::new(
            pki.channel_as(spd.grpc_port, &leaked).await?,
        );
        c.get_live_tickets(pb::GetLiveTicketsRequest {})
            .await
            .map_err(|s| anyhow::anyhow!(s))?;
        anyhow::Ok(())
    }
    .await;
    assert!(refused.is_err(), "a revoked client certificate was served");
    pool_tests::wait_for(10, "the revocation in stakepoold's log", || async {
        let log = spd.proc.log_text();
        (log.contains("CN=web-leaked") && log.contains("Revoked")).then_some(())
    })
    .await;

    // A fresh certificate of the same CA is served.
    let mut fresh = pki.client(spd.grpc_port, "web-fresh", None).await.unwrap();
    fresh
        .get_live_tickets(pb::GetLiveTicketsRequest {})
        .await
        .unwrap();
}

#[test]
fn check_config_names_missing_files_and_bad_keys() {
    let dir = pool_tests::test_dir("stakepoold-check");
    let config = dir.path().join("stakepoold.toml");
    std::fs::write(
        &config,
        format!(
            "network = \"simnet\"\npool_fees = 7.5\ncold_wallet_ext_pub = \"{SPUB}\"\n\
             [node]\nuser = \"u\"\npassword = \"p\"\ncert = \"nope/exccd.cert\"\n\
             [wallet]\nuser = \"u\"\npassword = \"p\"\ncert = \"nope/wallet.cert\"\n\
             [grpc]\ncert = \"grpc.cert\"\nkey = \"grpc.key\"\nclient_ca = \"ca.cert\"\n"
        ),
    )
    .unwrap();
    let (ok, text) = check_config(&config);
    assert!(!ok);
    assert!(
        text.contains("node.cert: file") && text.contains("nope/exccd.cert"),
        "{text}"
    );
    assert!(text.contains("grpc.client_ca: file"), "{text}");
    assert!(text.contains("5 problem(s)"), "{text}");
    assert!(
        text.contains("grpc.key: file") && text.contains("grpc.cert: file"),
        "{text}"
    );
}
