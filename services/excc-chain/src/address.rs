//! EXCC addresses: P2PKH, P2SH and secp256k1 P2PK, with network detection.

use std::fmt;

use crate::base58;
use crate::error::ChainError;
use crate::hash::hash160;
use crate::network::Network;
use crate::pubkey::PubKey;

/// The kind and payload of an address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AddressKind {
    /// secp256k1 ECDSA pay-to-pubkey-hash: Hash160 of the compressed key.
    P2pkh([u8; 20]),
    /// ed25519 pay-to-pubkey-hash (recognised, never produced by the pool).
    P2pkhEd25519([u8; 20]),
    /// secp256k1 Schnorr pay-to-pubkey-hash (recognised, never produced by the pool).
    P2pkhSchnorr([u8; 20]),
    /// Pay-to-script-hash: Hash160 of the redeem script.
    P2sh([u8; 20]),
    /// secp256k1 pay-to-pubkey (what `validateaddress` reports as `pubkeyaddr`).
    P2pk(PubKey),
}

/// An address bound to its network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Address {
    pub network: Network,
    pub kind: AddressKind,
}

impl Address {
    pub fn p2pkh_from_pubkey(network: Network, key: &PubKey) -> Self {
        Address {
            network,
            kind: AddressKind::P2pkh(hash160(&key.serialize())),
        }
    }

    pub fn p2pk(network: Network, key: PubKey) -> Self {
        Address {
            network,
            kind: AddressKind::P2pk(key),
        }
    }

    pub fn p2sh_from_script(network: Network, script: &[u8]) -> Self {
        Address {
            network,
            kind: AddressKind::P2sh(hash160(script)),
        }
    }

    /// Decodes an address of any EXCC network (detected from its version bytes).
    pub fn decode(s: &str) -> Result<Self, ChainError> {
        let data = base58::decode_check(s)?;
        let prefix = [data[0], data.get(1).copied().unwrap_or(0)];
        let payload = &data[2.min(data.len())..];
        for network in Network::ALL {
            let p = &network.params().prefixes;
            let kind = if prefix == p.p2pkh {
                AddressKind::P2pkh(hash20(payload)?)
            } else if prefix == p.p2sh {
                AddressKind::P2sh(hash20(payload)?)
            } else if prefix == p.p2pkh_ed25519 {
                AddressKind::P2pkhEd25519(hash20(payload)?)
            } else if prefix == p.p2pkh_schnorr {
                AddressKind::P2pkhSchnorr(hash20(payload)?)
            } else if prefix == p.p2pk {
                AddressKind::P2pk(PubKey::from_p2pk_payload(payload)?)
            } else {
                continue;
            };
            return Ok(Address { network, kind });
        }
        Err(ChainError::UnknownAddressPrefix(u16::from_be_bytes(prefix)))
    }

    /// Decodes an address and rejects one of another network with an error naming both.
    pub fn decode_for(s: &str, expected: Network) -> Result<Self, ChainError> {
        let addr = Self::decode(s)?;
        if addr.network != expected {
            return Err(ChainError::WrongNetwork {
                expected,
                found: addr.network,
            });
        }
        Ok(addr)
    }

    /// Decodes a secp256k1 pay-to-pubkey address of `expected` network and returns its key.
    pub fn decode_pubkey_for(s: &str, expected: Network) -> Result<PubKey, ChainError> {
        match Self::decode_for(s, expected)?.kind {
            AddressKind::P2pk(key) => Ok(key),
            _ => Err(ChainError::NotPubKeyAddress(
                s.into(),
                expected.params().address_char,
            )),
        }
    }

    /// The Hash160 this address pays to (for P2PK: the hash of its key).
    pub fn hash160(&self) -> [u8; 20] {
        match self.kind {
            AddressKind::P2pkh(h)
            | AddressKind::P2pkhEd25519(h)
            | AddressKind::P2pkhSchnorr(h)
            | AddressKind::P2sh(h) => h,
            AddressKind::P2pk(k) => hash160(&k.serialize()),
        }
    }

    pub fn is_p2sh(&self) -> bool {
        matches!(self.kind, AddressKind::P2sh(_))
    }

    /// The output script paying to this address (version-0 scripts).
    pub fn pk_script(&self) -> Vec<u8> {
        match self.kind {
            AddressKind::P2sh(h) => crate::script::p2sh_script(&h),
            AddressKind::P2pk(k) => crate::script::p2pk_script(&k),
            _ => crate::script::p2pkh_script(&self.hash160()),
        }
    }

    pub fn encode(&self) -> String {
        let p = &self.network.params().prefixes;
        let mut data = Vec::with_capacity(35);
        match &self.kind {
            AddressKind::P2pkh(h) => push(&mut data, p.p2pkh, h),
            AddressKind::P2pkhEd25519(h) => push(&mut data, p.p2pkh_ed25519, h),
            AddressKind::P2pkhSchnorr(h) => push(&mut data, p.p2pkh_schnorr, h),
            AddressKind::P2sh(h) => push(&mut data, p.p2sh, h),
            AddressKind::P2pk(k) => push(&mut data, p.p2pk, &k.to_p2pk_payload()),
        }
        base58::encode_check(&data)
    }
}

fn push(data: &mut Vec<u8>, prefix: [u8; 2], payload: &[u8]) {
    data.extend_from_slice(&prefix);
    data.extend_from_slice(payload);
}

fn hash20(payload: &[u8]) -> Result<[u8; 20], ChainError> {
    payload.try_into().map_err(|_| ChainError::Length {
        what: "address hash",
        expected: 20,
        got: payload.len(),
    })
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl std::str::FromStr for Address {
    type Err = ChainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::decode(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fixture_addresses_decode_on_simnet() {
        // ../shared/fixtures/excc-2.7.6-simnet/README.md
        for s in [
            "SkLUb419D3fMKYdEexrP15M7oiqSxFJoyJ7epjK2TddLVcauL9YkK",
            "SkLVFhAKGCqemCSss6Cz1WLRnB5eJEvMweBPHaDz6jUe5c7hR1U9d",
        ] {
            let a = Address::decode_for(s, Network::Simnet).unwrap();
            assert!(matches!(a.kind, AddressKind::P2pk(_)));
            assert_eq!(a.encode(), s);
        }
        let p2sh = Address::decode("ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC").unwrap();
        assert!(p2sh.is_p2sh());
        assert_eq!(p2sh.network, Network::Simnet);
    }

    #[test]
    fn wrong_network_names_both() {
        let err = Address::decode_for("ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC", Network::Mainnet)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "address is for simnet, but mainnet was expected");
    }

    #[test]
    fn p2pkh_is_not_a_pubkey_address() {
        let err =
            Address::decode_pubkey_for("Sshabny3QGDKvfMYDES2vFrYc9SxqJQLiLW", Network::Simnet)
                .unwrap_err()
                .to_string();
        assert!(err.contains("not a secp256k1 public-key address"), "{err}");
    }

    proptest! {
        #[test]
        fn hash_addresses_round_trip(h in any::<[u8; 20]>(), n in 0usize..4, k in 0usize..4) {
            let network = Network::ALL[n];
            let kind = [AddressKind::P2pkh(h), AddressKind::P2sh(h),
                AddressKind::P2pkhEd25519(h), AddressKind::P2pkhSchnorr(h)][k];
            let a = Address { network, kind };
            let s = a.encode();
            prop_assert!(s.starts_with(network.params().address_char));
            prop_assert_eq!(Address::decode_for(&s, network).unwrap(), a);
        }

        #[test]
        fn decode_never_panics(s in "[1-9A-HJ-NP-Za-km-z]{0,60}") {
            let _ = Address::decode(&s);
        }
    }
}
