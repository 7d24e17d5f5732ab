//! `validateaddress` in its node and wallet forms.

use serde::{Deserialize, Serialize};

use super::serde_util::{is_false, is_zero};

/// exccd's `validateaddress`: `{isvalid, address?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeValidateAddress {
    /// Whether the address decodes for the node's network.
    pub isvalid: bool,
    /// The address (omitted when invalid).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
}

/// exccwallet's `validateaddress` (2.7.6). Everything but `isvalid` is
/// `omitempty`; `accountn`/`branch`/`index` are Go pointers, so `0` is written
/// when set. An invalid address answers `{"isvalid":false,"script":"nonstandard"}`;
/// an imported 1-of-2 P2SH has `hex` = redeem script, `addresses` = the two P2PK
/// addresses, `script` = `multisig` and (quirk) `iscompressed: true`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletValidateAddress {
    /// Whether the address decodes for the wallet's network.
    pub isvalid: bool,
    /// The address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Controlled (or imported) by the wallet.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ismine: bool,
    /// Watch-only (unused by exccwallet).
    #[serde(default, skip_serializing_if = "is_false")]
    pub iswatchonly: bool,
    /// Pay-to-script-hash address.
    #[serde(default, skip_serializing_if = "is_false")]
    pub isscript: bool,
    /// The P2PK (`Sk…`) address of the key, for owned P2PKH/P2PK addresses.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pubkeyaddr: String,
    /// Public key, hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pubkey: String,
    /// Compressed key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub iscompressed: bool,
    /// Account name (`imported` for imported scripts).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account: String,
    /// Addresses of a script's keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Redeem script, hex (P2SH).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hex: String,
    /// Script class (`pubkeyhash`, `pubkey`, `multisig`, `nonstandard`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub script: String,
    /// Signatures required by a multisig script.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sigsrequired: i32,
    /// Account number (owned HD addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountn: Option<u32>,
    /// HD branch (0 external, 1 internal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<u32>,
    /// HD child index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}
