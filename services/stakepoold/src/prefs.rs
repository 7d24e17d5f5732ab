//! Users' voting preferences, keyed by their 1-of-2 multisig (ticket) address.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One user's preferences as the web service pushes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPrefs {
    pub user_id: i64,
    pub vote_bits: u16,
    pub vote_bits_version: u32,
}

/// The vote a wallet casts by default (from `walletinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletVoteDefaults {
    pub vote_bits: u16,
    /// Hex, e.g. `"0a000000"` for vote version 10.
    pub vote_bits_extended: String,
    pub vote_version: u32,
}

/// Where the vote bits of one ticket came from (logged with every vote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitsSource {
    User(i64),
    /// The user's preferences are for another vote version: wallet defaults.
    StaleVersion(i64),
    /// No preferences known for this address: wallet defaults.
    Unknown,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefsBook {
    users: HashMap<String, UserPrefs>,
}

impl PrefsBook {
    /// Replaces every user's preferences.
    pub fn replace_all(&mut self, users: impl IntoIterator<Item = (String, UserPrefs)>) {
        self.users = users.into_iter().collect();
    }

    /// Adds or replaces some users' preferences.
    pub fn update(&mut self, users: impl IntoIterator<Item = (String, UserPrefs)>) {
        self.users.extend(users);
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Every user's multisig address.
    pub fn addresses(&self) -> impl Iterator<Item = &String> {
        self.users.keys()
    }

    /// Every user's multisig address and preferences.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &UserPrefs)> {
        self.users.iter()
    }

    pub fn get(&self, multisig_address: &str) -> Option<&UserPrefs> {
        self.users.get(multisig_address)
    }

    /// The vote bits to use for a ticket of `multisig_address`.
    pub fn vote_bits_for(
        &self,
        multisig_address: &str,
        defaults: &WalletVoteDefaults,
    ) -> (u16, BitsSource) {
        match self.users.get(multisig_address) {
            Some(p) if p.vote_bits_version == defaults.vote_version => {
                (p.vote_bits, BitsSource::User(p.user_id))
            }
            Some(p) => (defaults.vote_bits, BitsSource::StaleVersion(p.user_id)),
            None => (defaults.vote_bits, BitsSource::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> WalletVoteDefaults {
        WalletVoteDefaults {
            vote_bits: 1,
            vote_bits_extended: "0a000000".into(),
            vote_version: 10,
        }
    }

    #[test]
    fn user_bits_unless_stale_or_unknown() {
        let mut book = PrefsBook::default();
        book.replace_all([
            (
                "Sc1".to_string(),
                UserPrefs {
                    user_id: 1,
                    vote_bits: 0,
                    vote_bits_version: 10,
                },
            ),
            (
                "Sc2".to_string(),
                UserPrefs {
                    user_id: 2,
                    vote_bits: 5,
                    vote_bits_version: 9,
                },
            ),
        ]);
        assert_eq!(
            book.vote_bits_for("Sc1", &defaults()),
            (0, BitsSource::User(1))
        );
        assert_eq!(
            book.vote_bits_for("Sc2", &defaults()),
            (1, BitsSource::StaleVersion(2))
        );
        assert_eq!(
            book.vote_bits_for("Sc3", &defaults()),
            (1, BitsSource::Unknown)
        );
        book.update([(
            "Sc2".to_string(),
            UserPrefs {
                user_id: 2,
                vote_bits: 1,
                vote_bits_version: 10,
            },
        )]);
        assert_eq!(
            book.vote_bits_for("Sc2", &defaults()),
            (1, BitsSource::User(2))
        );
        book.replace_all([]);
        assert!(book.is_empty());
    }
}
