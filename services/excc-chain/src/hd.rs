//! BIP32 hierarchical deterministic keys with EXCC's version bytes and SHA-256
//! checksums/fingerprints (byte-identical to Bitcoin BIP32 on mainnet).
//!
//! Private derivation is the strict BIP32 one (`ChildBIP32Std`); the pool only
//! ever derives public, non-hardened children from account xpubs, where exccd's
//! "modified Decred variation" and BIP32 agree.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::group::prime::PrimeCurveAffine;
use k256::{ProjectivePoint, Scalar};
use sha2::Sha512;

use crate::base58;
use crate::error::ChainError;
use crate::hash::hash160;
use crate::network::Network;
use crate::pubkey::PubKey;

/// First hardened child index.
pub const HARDENED: u32 = 0x8000_0000;
/// Branch of receiving (external) addresses.
pub const EXTERNAL_BRANCH: u32 = 0;
/// Branch of change (internal) addresses.
pub const INTERNAL_BRANCH: u32 = 1;

#[derive(Clone, PartialEq, Eq)]
enum KeyMaterial {
    Private(k256::SecretKey),
    Public(PubKey),
}

/// A BIP32 extended key (private or public) bound to a network.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtendedKey {
    network: Network,
    depth: u8,
    parent_fingerprint: [u8; 4],
    child_number: u32,
    chain_code: [u8; 32],
    key: KeyMaterial,
}

impl ExtendedKey {
    /// The master key of `seed` (16..64 bytes), as `hdkeychain.NewMaster`.
    pub fn master(network: Network, seed: &[u8]) -> Result<Self, ChainError> {
        if !(16..=64).contains(&seed.len()) {
            return Err(ChainError::Length {
                what: "HD seed (16 to 64 bytes)",
                expected: 32,
                got: seed.len(),
            });
        }
        let i = hmac512(b"Bitcoin seed", &[seed]);
        let (il, ir) = i.split_at(32);
        let secret = k256::SecretKey::from_slice(il).map_err(|_| {
            ChainError::BadPubKey("seed gives an invalid master key; use another seed".into())
        })?;
        Ok(ExtendedKey {
            network,
            depth: 0,
            parent_fingerprint: [0; 4],
            child_number: 0,
            chain_code: ir.try_into().expect("32 bytes"),
            key: KeyMaterial::Private(secret),
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }

    pub fn depth(&self) -> u8 {
        self.depth
    }

    pub fn is_private(&self) -> bool {
        matches!(self.key, KeyMaterial::Private(_))
    }

    /// The compressed public key of this node.
    pub fn pubkey(&self) -> PubKey {
        match &self.key {
            KeyMaterial::Private(sk) => PubKey::from_k256(&sk.public_key()),
            KeyMaterial::Public(pk) => *pk,
        }
    }

    /// The 32-byte private key, when this is a private extended key.
    pub fn secret_bytes(&self) -> Option<[u8; 32]> {
        match &self.key {
            KeyMaterial::Private(sk) => Some(sk.to_bytes().into()),
            KeyMaterial::Public(_) => None,
        }
    }

    /// The extended public key of this node (`Neuter`).
    pub fn neuter(&self) -> ExtendedKey {
        ExtendedKey {
            key: KeyMaterial::Public(self.pubkey()),
            ..self.clone()
        }
    }

    /// Derives child `index` (hardened when `index >= HARDENED`, which needs a private key).
    pub fn child(&self, index: u32) -> Result<ExtendedKey, ChainError> {
        let parent_pub = self.pubkey().serialize();
        let idx = index.to_be_bytes();
        let i = match (&self.key, index >= HARDENED) {
            (KeyMaterial::Public(_), true) => return Err(ChainError::Hardened(index)),
            (KeyMaterial::Private(sk), true) => {
                hmac512(&self.chain_code, &[&[0u8], &sk.to_bytes(), &idx])
            }
            _ => hmac512(&self.chain_code, &[&parent_pub, &idx]),
        };
        let (il, ir) = i.split_at(32);
        let il: [u8; 32] = il.try_into().expect("32 bytes");
        let il: Option<Scalar> = Scalar::from_repr(il.into()).into();
        let il = il.ok_or(ChainError::InvalidChild(index))?;
        let key = match &self.key {
            KeyMaterial::Private(sk) => {
                let k = *sk.to_nonzero_scalar().as_ref() + il;
                let sk = k256::SecretKey::from_bytes(&k.to_repr())
                    .map_err(|_| ChainError::InvalidChild(index))?;
                KeyMaterial::Private(sk)
            }
            KeyMaterial::Public(pk) => {
                let point = ProjectivePoint::GENERATOR * il + pk.to_k256().to_projective();
                let affine = point.to_affine();
                if bool::from(affine.is_identity()) {
                    return Err(ChainError::InvalidChild(index));
                }
                let pk = k256::PublicKey::from_affine(affine)
                    .map_err(|_| ChainError::InvalidChild(index))?;
                KeyMaterial::Public(PubKey::from_k256(&pk))
            }
        };
        Ok(ExtendedKey {
            network: self.network,
            depth: self.depth.saturating_add(1),
            parent_fingerprint: hash160(&parent_pub)[..4].try_into().expect("4 bytes"),
            child_number: index,
            chain_code: ir.try_into().expect("32 bytes"),
            key,
        })
    }

    /// Derives along a path of indices.
    pub fn derive_path(&self, path: &[u32]) -> Result<ExtendedKey, ChainError> {
        path.iter().try_fold(self.clone(), |k, &i| k.child(i))
    }

    /// The 78 serialized bytes (without checksum).
    fn serialize(&self) -> [u8; 78] {
        let p = &self.network.params().prefixes;
        let mut out = [0u8; 78];
        out[..4].copy_from_slice(match self.key {
            KeyMaterial::Private(_) => &p.hd_private,
            KeyMaterial::Public(_) => &p.hd_public,
        });
        out[4] = self.depth;
        out[5..9].copy_from_slice(&self.parent_fingerprint);
        out[9..13].copy_from_slice(&self.child_number.to_be_bytes());
        out[13..45].copy_from_slice(&self.chain_code);
        match &self.key {
            KeyMaterial::Private(sk) => out[46..].copy_from_slice(&sk.to_bytes()),
            KeyMaterial::Public(pk) => out[45..].copy_from_slice(&pk.serialize()),
        }
        out
    }

    /// Parses an extended key of any network (private or public).
    pub fn decode(s: &str) -> Result<Self, ChainError> {
        let data = base58::decode_check(s)?;
        if data.len() != 78 {
            return Err(ChainError::Length {
                what: "extended key",
                expected: 78,
                got: data.len(),
            });
        }
        let version: [u8; 4] = data[..4].try_into().expect("4 bytes");
        let (network, private) = Network::ALL
            .iter()
            .find_map(|n| {
                let p = &n.params().prefixes;
                (p.hd_public == version)
                    .then_some((*n, false))
                    .or((p.hd_private == version).then_some((*n, true)))
            })
            .ok_or(ChainError::UnknownXpubVersion(version))?;
        let key_bytes = &data[45..78];
        let key = if private {
            if key_bytes[0] != 0 {
                return Err(ChainError::BadPubKey(
                    "private key must start with 0x00".into(),
                ));
            }
            KeyMaterial::Private(
                k256::SecretKey::from_slice(&key_bytes[1..])
                    .map_err(|_| ChainError::BadPubKey("private key out of range".into()))?,
            )
        } else {
            KeyMaterial::Public(PubKey::from_sec1(key_bytes)?)
        };
        Ok(ExtendedKey {
            network,
            depth: data[4],
            parent_fingerprint: data[5..9].try_into().expect("4 bytes"),
            child_number: u32::from_be_bytes(data[9..13].try_into().expect("4 bytes")),
            chain_code: data[13..45].try_into().expect("32 bytes"),
            key,
        })
    }

    /// Parses an extended **public** key and checks that it belongs to `expected`.
    pub fn decode_xpub_for(s: &str, expected: Network) -> Result<Self, ChainError> {
        let key = Self::decode(s)?;
        if key.is_private() {
            return Err(ChainError::PrivateXpub);
        }
        if key.network != expected {
            return Err(ChainError::XpubWrongNetwork {
                expected,
                found: key.network,
            });
        }
        Ok(key)
    }
}

impl fmt::Display for ExtendedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base58::encode_check(&self.serialize()))
    }
}

impl fmt::Debug for ExtendedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print private material in debug output.
        write!(f, "ExtendedKey({}, {})", self.network, self.neuter())
    }
}

impl FromStr for ExtendedKey {
    type Err = ChainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::decode(s)
    }
}

fn hmac512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}
