//! The pool's own client (`excc-rpc`) against the simulator: typed node and
//! wallet calls over HTTPS (P-256 node cert, Ed25519 wallet cert) and the
//! reconnecting websocket session with all four subscriptions.

mod common;

use std::time::Duration;

use common::*;
use excc_chain::Amount;
use excc_rpc::types::Notification;
use excc_rpc::{
    ClientConfig, Event, NodeClient, PinnedCert, PurchaseTicket, Subscription, WalletClient,
    WsSession,
};

fn cfg(d: &Daemon) -> ClientConfig {
    ClientConfig::new(
        d.addr.clone(),
        USER,
        PASS,
        PinnedCert::from_pem_file(&d.cert).expect("cert"),
    )
}

#[test]
fn the_pools_client_speaks_to_the_simulator() {
    run(the_pools_client_speaks_to_the_simulator_scenario());
}

async fn the_pools_client_speaks_to_the_simulator_scenario() {
    let node_d = start_node("interop-node", &[]).await;
    let wallet_d = start_wallet("interop-wallet", &node_d, &["--createtemp"]).await;
    let node = NodeClient::new(cfg(&node_d));
    let wallet = WalletClient::new(cfg(&wallet_d));

    assert_eq!(node.get_current_net().await.unwrap(), 3_162_994_431);
    assert!(
        node.version()
            .await
            .unwrap()
            .contains_key("exccdjsonrpcapi")
    );
    assert!(
        wallet
            .version()
            .await
            .unwrap()
            .contains_key("exccwalletjsonrpcapi")
    );

    let (session, mut events) = WsSession::start(cfg(&node_d), &Subscription::ALL);
    let first = tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("websocket event")
        .expect("open channel");
    assert_eq!(first, Event::Connected);

    node.generate(31).await.unwrap();
    wallet.wallet_passphrase("password", 0).await.unwrap();
    let bought = wallet
        .purchase_ticket(&PurchaseTicket {
            from_account: "default".into(),
            spend_limit: Amount(1000 * 100_000_000),
            min_conf: 1,
            ticket_address: None,
            num_tickets: 2,
            pool_address: None,
            pool_fees: None,
            expiry: None,
        })
        .await
        .unwrap();
    assert_eq!(bought.len(), 2);
    let hashes = node.generate(17).await.unwrap();
    assert!(node.exists_live_ticket(&bought[0]).await.unwrap());
    assert_eq!(wallet.get_tickets(false).await.unwrap().len(), 2);
    let info = wallet.get_stake_info().await.unwrap();
    assert_eq!(info.live, 2);

    // Notifications arrive typed: 48 blocks connected, the tickets matured at 48.
    let (mut blocks, mut matured) = (0, Vec::new());
    while matured.len() < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("notification")
            .expect("open channel");
        match ev {
            Event::Notification(Notification::BlockConnected { header, .. }) => {
                blocks += 1;
                if blocks == 48 {
                    assert_eq!(header.hash(), Some(*hashes.last().unwrap()));
                }
            }
            Event::Notification(Notification::NewTickets { tickets, .. }) => {
                matured.extend(tickets)
            }
            _ => {}
        }
    }
    assert_eq!(blocks, 48);
    assert!(bought.iter().all(|t| matured.contains(t)), "{matured:?}");
    drop(session);
}
