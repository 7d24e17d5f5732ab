//! From legacy rows to ours, checked: each legacy user keeps their user id as derivation
//! index, so the ticket address and fee address the pool derives for it must be the ones
//! the legacy row stores; any user where they differ (or whose row cannot be used) is
//! listed and nothing is migrated.

use std::collections::HashMap;

use excc_chain::Address;

use super::legacy::{LegacyTicket, LegacyUser};
use crate::accounts::VERIFY_LIFETIME;
use crate::db::low_fee::AddedTicket;
use crate::db::migrated::MigratedUser;
use crate::db::users::TicketAddress;
use crate::pool::PoolSettings;

/// What the legacy rows become, and what was noticed on the way.
#[derive(Debug, Default)]
pub struct Converted {
    pub users: Vec<MigratedUser>,
    pub tickets: Vec<AddedTicket>,
    /// Low-fee tickets past their expiry: not moved.
    pub expired_tickets: usize,
    /// Users whose stored API token verifies with neither `api_secret` nor
    /// `legacy_api_secret_file` (they get a new one on their settings page).
    pub dead_tokens: Vec<i64>,
    /// Accounts whose e-mail addresses differ only by case: kept exactly as they were.
    pub kept_case: Vec<i64>,
}

/// Converts and checks every row; `Err` lists every user that cannot be moved as it is.
pub fn convert(
    s: &PoolSettings,
    users: &[LegacyUser],
    tickets: &[LegacyTicket],
    now: i64,
) -> Result<Converted, Vec<String>> {
    let mut problems = Vec::new();
    let mut out = Converted::default();
    let mut by_canonical: HashMap<String, Vec<&LegacyUser>> = HashMap::new();
    for u in users {
        by_canonical
            .entry(crate::email_address::canonical(&u.email))
            .or_default()
            .push(u);
    }
    for u in users {
        let who = format!("user {} ({})", u.id, u.email);
        let canonical = crate::email_address::canonical(&u.email);
        let same = &by_canonical[&canonical];
        let email = if same.len() == 1 {
            canonical
        } else if same
            .iter()
            .filter(|o| o.email.trim() == u.email.trim())
            .count()
            > 1
        {
            let ids: Vec<String> = same.iter().map(|o| o.id.to_string()).collect();
            problems.push(format!(
                "{who}: users {} have the same e-mail address; give all but one another address in the legacy pool first",
                ids.join(", ")
            ));
            continue;
        } else {
            out.kept_case.push(u.id);
            u.email.trim().to_owned()
        };
        if email.is_empty() {
            problems.push(format!("{who}: no e-mail address"));
            continue;
        }
        let password = String::from_utf8(u.password.clone()).unwrap_or_default();
        if !crate::passwords::is_legacy(&password) || password.len() != 60 {
            problems.push(format!(
                "{who}: Password is not a bcrypt hash ($2a$…, 60 characters)"
            ));
            continue;
        }
        let (Ok(vote_bits), Ok(vote_bits_version)) = (
            u16::try_from(u.vote_bits),
            u32::try_from(u.vote_bits_version),
        ) else {
            problems.push(format!(
                "{who}: VoteBits {} / VoteBitsVersion {} out of range",
                u.vote_bits, u.vote_bits_version
            ));
            continue;
        };
        let address = match ticket_address(s, u) {
            Ok(a) => a,
            Err(why) => {
                problems.push(format!("{who}: {why}"));
                continue;
            }
        };
        let legacy = s.legacy_api_secret.as_deref();
        if !u.api_token.is_empty()
            && crate::token::user_of_any(&s.api_secret, legacy, &u.api_token, now) != Some(u.id)
        {
            out.dead_tokens.push(u.id);
        }
        let verified = u.email_verified != 0;
        let pending_link = !verified && !u.email_token.is_empty();
        out.users.push(MigratedUser {
            id: u.id,
            email,
            password_hash: password,
            email_verified: verified,
            email_token_hash: match pending_link {
                true => crate::accounts::link_hash(&u.email_token),
                false => String::new(),
            },
            email_token_expires: if pending_link {
                now + VERIFY_LIFETIME
            } else {
                0
            },
            api_token: u.api_token.clone(),
            address,
            vote_bits,
            vote_bits_version,
        });
    }
    for t in tickets {
        if t.expires <= now {
            out.expired_tickets += 1;
        } else if !out.tickets.iter().any(|o| o.hash == t.hash) {
            out.tickets.push(AddedTicket {
                hash: t.hash.clone(),
                address: t.address.clone(),
                added_by: t.added_by,
                expires: t.expires,
            });
        }
    }
    match problems.is_empty() {
        true => Ok(out),
        false => Err(problems),
    }
}

/// The user's ticket address, checked against the derivation for index = user id.
fn ticket_address(s: &PoolSettings, u: &LegacyUser) -> Result<Option<TicketAddress>, String> {
    if u.multisig_address.is_empty() {
        return Ok(None);
    }
    let index = u32::try_from(u.id)
        .ok()
        .filter(|i| *i >= 1 && *i < s.max_users)
        .ok_or_else(|| {
            format!(
                "user id {} is outside this pool's address range 1..{} (pool.max_users)",
                u.id, s.max_users
            )
        })?;
    let user_key = Address::decode_pubkey_for(u.user_pubkey_addr.trim(), s.network)
        .map_err(|e| format!("UserPubKeyAddr {:?}: {e}", u.user_pubkey_addr))?;
    let d = crate::address::derive(s, index, user_key).map_err(|e| e.to_string())?;
    let multisig = d.multisig.address.encode();
    let script = hex::encode(&d.multisig.redeem_script);
    let mut wrong = Vec::new();
    if u.multisig_address.trim() != multisig {
        wrong.push(format!(
            "MultiSigAddress {} but voting_wallet_xpub/0/{index} and UserPubKeyAddr {} make {multisig}",
            u.multisig_address, u.user_pubkey_addr
        ));
    } else if !u.multisig_script.trim().eq_ignore_ascii_case(&script) {
        wrong.push(format!(
            "MultiSigScript is not the redeem script of {multisig} ({script})"
        ));
    }
    if u.fee_address.trim() != d.fee_address {
        wrong.push(format!(
            "UserFeeAddr {} but cold_wallet_xpub/0/{index} makes {}",
            u.fee_address, d.fee_address
        ));
    }
    if !wrong.is_empty() {
        return Err(wrong.join("; "));
    }
    Ok(Some(TicketAddress {
        multisig_address: multisig,
        multisig_script: script,
        pool_pubkey_addr: d.pool_pubkey_addr,
        user_pubkey_addr: d.user_pubkey_addr,
        fee_address: d.fee_address,
        height_registered: u.height_registered,
    }))
}
