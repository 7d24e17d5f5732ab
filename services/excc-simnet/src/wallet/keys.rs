//! The wallet's HD keys: BIP44 account 0 (`m/44'/<legacy coin type>'/0'`, coin
//! type 2 on simnet as exccwallet reports), branches 0 (external) and 1
//! (internal), with lookups from Hash160 or public key to (branch, index).

use std::collections::HashMap;

use excc_chain::hd::HARDENED;
use excc_chain::{Address, ChainError, ExtendedKey, Network, PubKey};

/// Addresses derived beyond the last returned index (BIP44 gap limit).
pub const GAP: u32 = 20;

pub struct Keyring {
    network: Network,
    account_priv: ExtendedKey,
    account_pub: ExtendedKey,
    branch_pub: [ExtendedKey; 2],
    derived: [u32; 2],
    by_hash: HashMap<[u8; 20], (u32, u32)>,
    by_pub: HashMap<[u8; 33], (u32, u32)>,
}

impl Keyring {
    pub fn new(network: Network, seed: &[u8]) -> Result<Self, ChainError> {
        let p = network.params();
        let master = ExtendedKey::master(network, seed)?;
        let account_priv =
            master.derive_path(&[44 + HARDENED, p.legacy_coin_type + HARDENED, HARDENED])?;
        let account_pub = account_priv.neuter();
        let branch_pub = [account_pub.child(0)?, account_pub.child(1)?];
        Ok(Keyring {
            network,
            account_priv,
            account_pub,
            branch_pub,
            derived: [0, 0],
            by_hash: HashMap::new(),
            by_pub: HashMap::new(),
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// The account extended public key (`getmasterpubkey`).
    pub fn account_xpub(&self) -> String {
        self.account_pub.to_string()
    }

    /// Derives (and indexes) every key up to and including `index` of `branch`.
    pub fn ensure(&mut self, branch: u32, index: u32) {
        let b = (branch & 1) as usize;
        while self.derived[b] <= index {
            let i = self.derived[b];
            if let Ok(k) = self.branch_pub[b].child(i) {
                let pk = k.pubkey();
                let addr = Address::p2pkh_from_pubkey(self.network, &pk);
                self.by_hash.insert(addr.hash160(), (b as u32, i));
                self.by_pub.insert(pk.serialize(), (b as u32, i));
            }
            self.derived[b] += 1;
        }
    }

    pub fn pubkey(&mut self, branch: u32, index: u32) -> PubKey {
        self.ensure(branch, index);
        self.branch_pub[(branch & 1) as usize]
            .child(index)
            .map(|k| k.pubkey())
            .unwrap_or_else(|_| self.account_pub.pubkey())
    }

    pub fn address(&mut self, branch: u32, index: u32) -> Address {
        let pk = self.pubkey(branch, index);
        Address::p2pkh_from_pubkey(self.network, &pk)
    }

    pub fn lookup_hash(&self, h: &[u8; 20]) -> Option<(u32, u32)> {
        self.by_hash.get(h).copied()
    }

    pub fn lookup_pub(&self, k: &PubKey) -> Option<(u32, u32)> {
        self.by_pub.get(&k.serialize()).copied()
    }

    /// The public key of an already derived (branch, index).
    pub fn lookup_pub_by_index(&self, branch: u32, index: u32) -> Option<PubKey> {
        if index >= self.derived[(branch & 1) as usize] {
            return None;
        }
        self.branch_pub[(branch & 1) as usize]
            .child(index)
            .ok()
            .map(|k| k.pubkey())
    }

    /// The private key of (branch, index).
    pub fn secret(&self, branch: u32, index: u32) -> Option<[u8; 32]> {
        self.account_priv
            .child(branch)
            .and_then(|b| b.child(index))
            .ok()?
            .secret_bytes()
    }

    /// Every derived P2PKH address (for asking the node about owned tickets).
    pub fn all_addresses(&self) -> Vec<String> {
        self.by_hash
            .keys()
            .map(|h| {
                Address {
                    network: self.network,
                    kind: excc_chain::AddressKind::P2pkh(*h),
                }
                .encode()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_public_derivation_agree() {
        let mut k = Keyring::new(Network::Simnet, &[3u8; 32]).unwrap();
        let pk = k.pubkey(0, 5);
        let sk = k.secret(0, 5).unwrap();
        let from_secret = k256::SecretKey::from_slice(&sk).unwrap().public_key();
        assert_eq!(PubKey::from_sec1(&from_secret.to_sec1_bytes()).unwrap(), pk);
        assert_eq!(k.lookup_pub(&pk), Some((0, 5)));
        assert!(k.account_xpub().starts_with("spub"));
    }
}
