//! `poolctl key …`: offline key tools built on the chain library.

use std::io::Write;

use anyhow::Context;
use excc_chain::hd::ExtendedKey;
use excc_chain::script::pool_ticket_multisig;
use excc_chain::{Address, Network, PubKey, stake_pool_ticket_fee};

use crate::cli::KeyCommand;

pub fn run(cmd: KeyCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Derive {
            network,
            xpub,
            branch,
            index,
        } => {
            let account = ExtendedKey::decode_xpub_for(&xpub, network).context("--xpub")?;
            let branch_key = account
                .child(branch)
                .with_context(|| format!("--branch {branch}"))?;
            for i in index.start..index.end {
                let child = branch_key.child(i).with_context(|| format!("index {i}"))?;
                let addr = Address::p2pkh_from_pubkey(network, &child.pubkey());
                writeln!(out, "{i} {addr}")?;
            }
        }
        KeyCommand::Multisig {
            network,
            json,
            pool_pubkey_addr,
            user_pubkey_addr,
        } => {
            let pool = pubkey_arg(&pool_pubkey_addr, network).context("pool key")?;
            let user = pubkey_arg(&user_pubkey_addr, network).context("user key")?;
            let m = pool_ticket_multisig(network, &pool, &user);
            let script = hex::encode(&m.redeem_script);
            if json {
                writeln!(
                    out,
                    "{{\"address\":\"{}\",\"redeemScript\":\"{script}\"}}",
                    m.address
                )?;
            } else {
                writeln!(out, "redeem_script {script}")?;
                writeln!(out, "address {}", m.address)?;
            }
        }
        KeyCommand::PoolFee {
            network,
            ticket_price,
            tx_fee,
            height,
            pool_fee_percent,
        } => {
            let fee = stake_pool_ticket_fee(
                network.params(),
                ticket_price,
                tx_fee,
                i64::from(height),
                pool_fee_percent,
            );
            writeln!(out, "{}", fee.atoms())?;
        }
    }
    Ok(())
}

/// A public key given as a P2PK address of `network` or as 66/130 hex characters.
fn pubkey_arg(s: &str, network: Network) -> anyhow::Result<PubKey> {
    let looks_hex = (s.len() == 66 || s.len() == 130) && s.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_hex {
        return Ok(PubKey::from_hex(s)?);
    }
    Address::decode_pubkey_for(s, network).with_context(|| format!("{s:?}"))
}
