//! Network parameters of mainnet, testnet, simnet and regnet (exccd 2.7.6
//! `chaincfg`, exccwallet `internal/netparams`).

use std::fmt;
use std::str::FromStr;

use crate::error::ChainError;

/// An EXCC network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Mainnet,
    Testnet,
    Simnet,
    Regnet,
}

impl Network {
    pub const ALL: [Network; 4] = [
        Network::Mainnet,
        Network::Testnet,
        Network::Simnet,
        Network::Regnet,
    ];

    pub fn params(self) -> &'static Params {
        match self {
            Network::Mainnet => &MAINNET,
            Network::Testnet => &TESTNET,
            Network::Simnet => &SIMNET,
            Network::Regnet => &REGNET,
        }
    }

    pub fn name(self) -> &'static str {
        self.params().name
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Network {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mainnet" => Ok(Network::Mainnet),
            "testnet" | "testnet3" => Ok(Network::Testnet),
            "simnet" => Ok(Network::Simnet),
            "regnet" => Ok(Network::Regnet),
            _ => Err(ChainError::UnknownNetwork(s.into())),
        }
    }
}

/// Default listening ports of the pool's daemons on one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// exccd peer-to-peer.
    pub node_p2p: u16,
    /// exccd JSON-RPC (HTTPS POST and `/ws`).
    pub node_rpc: u16,
    /// exccwallet JSON-RPC; `None` where no wallet parameters exist (regnet).
    pub wallet_rpc: Option<u16>,
    /// exccwallet gRPC.
    pub wallet_grpc: Option<u16>,
    /// stakepoold gRPC (the pool's own daemon).
    pub stakepoold_grpc: u16,
}

/// Address and HD-key version bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressPrefixes {
    /// secp256k1 P2PK (`PubKeyAddrID`).
    pub p2pk: [u8; 2],
    /// secp256k1 ECDSA P2PKH (`PubKeyHashAddrID`).
    pub p2pkh: [u8; 2],
    /// ed25519 P2PKH (`PKHEdwardsAddrID`).
    pub p2pkh_ed25519: [u8; 2],
    /// secp256k1 Schnorr P2PKH (`PKHSchnorrAddrID`).
    pub p2pkh_schnorr: [u8; 2],
    /// P2SH (`ScriptHashAddrID`).
    pub p2sh: [u8; 2],
    /// WIF private key (one byte).
    pub wif: u8,
    pub hd_private: [u8; 4],
    pub hd_public: [u8; 4],
}

/// Stake and subsidy parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StakeParams {
    pub ticket_pool_size: u32,
    pub tickets_per_block: u32,
    pub ticket_maturity: u32,
    pub ticket_expiry: u32,
    pub coinbase_maturity: u32,
    pub sstx_change_maturity: u32,
    pub stake_enabled_height: u32,
    pub stake_validation_height: u32,
    /// Minimum ticket price in atoms.
    pub minimum_stake_diff: i64,
    pub max_fresh_stake_per_block: u32,
    pub stake_diff_window_size: u32,
    pub stake_diff_windows: u32,
    pub stake_version_interval: u32,
    /// Vote version the 2.7.6 wallet writes into votes.
    pub wallet_vote_version: u32,
}

/// Block subsidy schedule: `base` reduced by `mul/div` every `reduction_interval`
/// blocks, split `work : stake` (no treasury on EXCC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubsidyParams {
    pub base_subsidy: i64,
    pub mul_subsidy: i64,
    pub div_subsidy: i64,
    pub reduction_interval: i64,
    pub work_proportion: i64,
    pub stake_proportion: i64,
}

/// Everything the pool needs to know about one network.
#[derive(Debug, PartialEq, Eq)]
pub struct Params {
    pub network: Network,
    pub name: &'static str,
    /// Wire magic; `getcurrentnet` returns it as a decimal u32.
    pub magic: u32,
    /// First character of every address on this network.
    pub address_char: char,
    /// Genesis block hash as displayed (byte-reversed hex).
    pub genesis_hash: &'static str,
    /// Target time between blocks, seconds.
    pub target_block_time_secs: u64,
    pub ports: Ports,
    pub prefixes: AddressPrefixes,
    pub stake: StakeParams,
    pub subsidy: SubsidyParams,
    /// SLIP-0044 coin type (BIP44 accounts of current wallets).
    pub slip44_coin_type: u32,
    /// Legacy coin type of 2018-era wallets.
    pub legacy_coin_type: u32,
}

pub static MAINNET: Params = Params {
    network: Network::Mainnet,
    name: "mainnet",
    magic: 0x9917_d7e1,
    address_char: '2',
    genesis_hash: "5f91ddfa5e9ffc4b837b81035dd0b0ddf1a1c59116aa5f5ef5f4121a64a69478",
    target_block_time_secs: 150,
    ports: Ports {
        node_p2p: 9666,
        node_rpc: 9109,
        wallet_rpc: Some(9110),
        wallet_grpc: Some(9111),
        stakepoold_grpc: 9113,
    },
    prefixes: AddressPrefixes {
        p2pk: [0x02, 0xdc],
        p2pkh: [0x21, 0xb9],
        p2pkh_ed25519: [0x35, 0xcf],
        p2pkh_schnorr: [0x2f, 0x0d],
        p2sh: [0x34, 0xaf],
        wif: 0x80,
        hd_private: [0x04, 0x88, 0xad, 0xe4],
        hd_public: [0x04, 0x88, 0xb2, 0x1e],
    },
    stake: StakeParams {
        ticket_pool_size: 8192,
        tickets_per_block: 5,
        ticket_maturity: 256,
        ticket_expiry: 40960,
        coinbase_maturity: 256,
        sstx_change_maturity: 1,
        stake_enabled_height: 512,
        stake_validation_height: 768,
        minimum_stake_diff: 2 * 100_000_000,
        max_fresh_stake_per_block: 20,
        stake_diff_window_size: 144,
        stake_diff_windows: 20,
        stake_version_interval: 2016,
        wallet_vote_version: 9,
    },
    subsidy: SubsidyParams {
        base_subsidy: 38 * 100_000_000,
        mul_subsidy: 100_000,
        div_subsidy: 103_183,
        reduction_interval: 16128,
        work_proportion: 7,
        stake_proportion: 3,
    },
    slip44_coin_type: 21370,
    legacy_coin_type: 0,
};

pub static TESTNET: Params = Params {
    network: Network::Testnet,
    name: "testnet",
    magic: 0x5aa4_752a,
    address_char: 'T',
    genesis_hash: "38f3ab514a59d5a682a780b89a204154513c008f7590d023842bf58a5fc549c0",
    target_block_time_secs: 150,
    ports: Ports {
        node_p2p: 11999,
        node_rpc: 19109,
        wallet_rpc: Some(19110),
        wallet_grpc: Some(19111),
        stakepoold_grpc: 19113,
    },
    prefixes: AddressPrefixes {
        p2pk: [0x28, 0xf7],
        p2pkh: [0x0f, 0x21],
        p2pkh_ed25519: [0x0f, 0x01],
        p2pkh_schnorr: [0x0e, 0xe3],
        p2sh: [0x0e, 0xfc],
        wif: 0xef,
        hd_private: [0x04, 0x35, 0x83, 0x97],
        hd_public: [0x04, 0x35, 0x87, 0xd1],
    },
    stake: StakeParams {
        ticket_pool_size: 1024,
        tickets_per_block: 5,
        ticket_maturity: 16,
        ticket_expiry: 6144,
        coinbase_maturity: 16,
        sstx_change_maturity: 1,
        stake_enabled_height: 32,
        stake_validation_height: 192,
        minimum_stake_diff: 20_000_000,
        max_fresh_stake_per_block: 20,
        stake_diff_window_size: 144,
        stake_diff_windows: 20,
        stake_version_interval: 2016,
        wallet_vote_version: 10,
    },
    subsidy: SubsidyParams {
        base_subsidy: 38 * 100_000_000,
        mul_subsidy: 100_000,
        div_subsidy: 103_183,
        reduction_interval: 16128,
        work_proportion: 7,
        stake_proportion: 3,
    },
    slip44_coin_type: 1,
    legacy_coin_type: 0,
};

pub static SIMNET: Params = Params {
    network: Network::Simnet,
    name: "simnet",
    magic: 0xbc87_76ff,
    address_char: 'S',
    genesis_hash: "9e57347692a4a6cd8a1e56076cc753c0827da88fff810c8e8a5567b356e802fd",
    target_block_time_secs: 1,
    ports: Ports {
        node_p2p: 11998,
        node_rpc: 19556,
        wallet_rpc: Some(19557),
        wallet_grpc: Some(19558),
        stakepoold_grpc: 19560,
    },
    prefixes: AddressPrefixes {
        p2pk: [0x27, 0x6f],
        p2pkh: [0x0e, 0x91],
        p2pkh_ed25519: [0x0e, 0x71],
        p2pkh_schnorr: [0x0e, 0x53],
        p2sh: [0x0e, 0x6c],
        wif: 0xef,
        hd_private: [0x04, 0x20, 0xb9, 0x03],
        hd_public: [0x04, 0x20, 0xbd, 0x3d],
    },
    stake: StakeParams {
        ticket_pool_size: 64,
        tickets_per_block: 5,
        ticket_maturity: 16,
        ticket_expiry: 384,
        coinbase_maturity: 16,
        sstx_change_maturity: 1,
        stake_enabled_height: 32,
        stake_validation_height: 144,
        minimum_stake_diff: 20_000_000,
        max_fresh_stake_per_block: 20,
        stake_diff_window_size: 8,
        stake_diff_windows: 8,
        stake_version_interval: 112,
        wallet_vote_version: 10,
    },
    subsidy: SubsidyParams {
        base_subsidy: 500 * 100_000_000,
        mul_subsidy: 100,
        div_subsidy: 101,
        reduction_interval: 128,
        work_proportion: 6,
        stake_proportion: 3,
    },
    slip44_coin_type: 1,
    legacy_coin_type: 2,
};

pub static REGNET: Params = Params {
    network: Network::Regnet,
    name: "regnet",
    magic: 0xeceb_6037,
    address_char: 'R',
    genesis_hash: "97073ced6852d5cf90a2572866a0bb18e0c7543c57e5db01019e43ea01b9a6c4",
    target_block_time_secs: 1,
    ports: Ports {
        node_p2p: 11997,
        node_rpc: 18656,
        wallet_rpc: None,
        wallet_grpc: None,
        stakepoold_grpc: 18660,
    },
    prefixes: AddressPrefixes {
        p2pk: [0x25, 0xe5],
        p2pkh: [0x0e, 0x00],
        p2pkh_ed25519: [0x0d, 0xe0],
        p2pkh_schnorr: [0x0d, 0xc2],
        p2sh: [0x0d, 0xdb],
        wif: 0xef,
        hd_private: [0xea, 0xb4, 0x04, 0x48],
        hd_public: [0xea, 0xb4, 0xf9, 0x87],
    },
    stake: StakeParams {
        ticket_pool_size: 64,
        tickets_per_block: 5,
        ticket_maturity: 16,
        ticket_expiry: 384,
        coinbase_maturity: 16,
        sstx_change_maturity: 1,
        stake_enabled_height: 32,
        stake_validation_height: 144,
        minimum_stake_diff: 20_000,
        max_fresh_stake_per_block: 20,
        stake_diff_window_size: 8,
        stake_diff_windows: 8,
        stake_version_interval: 112,
        wallet_vote_version: 10,
    },
    subsidy: SubsidyParams {
        base_subsidy: 500 * 100_000_000,
        mul_subsidy: 100,
        div_subsidy: 101,
        reduction_interval: 128,
        work_proportion: 6,
        stake_proportion: 3,
    },
    slip44_coin_type: 1,
    legacy_coin_type: 1,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simnet_magic_matches_getcurrentnet() {
        // node-getcurrentnet.json: result 3162994431
        assert_eq!(SIMNET.magic, 3_162_994_431);
    }

    #[test]
    fn names_parse_back() {
        for n in Network::ALL {
            assert_eq!(n.name().parse::<Network>().unwrap(), n);
            assert_eq!(n.params().network, n);
        }
        let err = "bitcoin".parse::<Network>().unwrap_err().to_string();
        assert!(err.contains("mainnet, testnet, simnet or regnet"), "{err}");
    }
}
