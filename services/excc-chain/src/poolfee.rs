//! The stake-pool fee rule (`StakePoolTicketFee`, exccwallet `wallet/txrules/poolfees.go`).

use std::fmt;
use std::str::FromStr;

use crate::amount::Amount;
use crate::error::ChainError;
use crate::network::Params;
use crate::subsidy::vote_subsidy;

/// A pool fee rate in hundredths of a percent (7.5 % = 750), valid 0.01 %–100.00 %
/// with at most two decimals, as exccwallet's `--poolfees` (`ValidPoolFeeRate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolFeePercent(u32);

impl PoolFeePercent {
    pub fn from_hundredths(h: u32) -> Result<Self, ChainError> {
        if !(1..=10_000).contains(&h) {
            return Err(ChainError::PoolFeePercent(format!(
                "{}.{:02}",
                h / 100,
                h % 100
            )));
        }
        Ok(PoolFeePercent(h))
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// The value as the float the wallet is configured with (`poolfees=7.5`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// The integer the wallet actually computes with: `floor(poolfees * 100.0)` in
    /// float64, which for some rates (e.g. 1.15) is one less than the decimal value.
    /// Using it keeps our fee check identical to the wallet's.
    pub fn wallet_basis_points(self) -> i64 {
        (self.as_f64() * 100.0).floor() as i64
    }
}

impl FromStr for PoolFeePercent {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ChainError::PoolFeePercent(s.into());
        let t = s.trim().trim_end_matches('%');
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !digits(whole) || !digits(frac)
        {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        Self::from_hundredths(whole * 100 + frac).map_err(|_| bad())
    }
}

impl fmt::Display for PoolFeePercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The pool fee a ticket must commit to the pool's fee address.
///
/// `ticket_price` is the ticket's `vout[0]` value, `ticket_tx_fee` the ticket's
/// transaction fee and `height` the height of the block the ticket was mined in.
pub fn stake_pool_ticket_fee(
    params: &Params,
    ticket_price: Amount,
    ticket_tx_fee: Amount,
    height: i64,
    pool_fee: PoolFeePercent,
) -> Amount {
    let p = i128::from(pool_fee.wallet_basis_points());
    let mut s = i128::from(vote_subsidy(params, height));
    // Hard-coded 100/101, even on mainnet, as the wallet does.
    let adjustments = params
        .stake
        .ticket_pool_size
        .div_ceil(params.subsidy.reduction_interval as u32);
    for _ in 0..adjustments {
        s = s * 100 / 101;
    }
    let v = i128::from(ticket_price.atoms());
    let z = i128::from(ticket_tx_fee.atoms());
    let den = 10_000 * (s + v);
    if den <= 0 {
        return Amount::ZERO;
    }
    // floor(((p*s*(v+z)) << 64) / den) >> 64 == floor(p*s*(v+z) / den)
    let fee = p * s * (v + z) / den;
    Amount(fee.clamp(0, i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{MAINNET, SIMNET};
    use crate::subsidy::{block_subsidy, vote_subsidy};

    #[test]
    fn chain_document_example_simnet_height_145() {
        // excc-chain-and-rpc.md 5.3: s0 = 3300330033, v = 53798951531, z = 54200, p = 750
        assert_eq!(vote_subsidy(&SIMNET, 145), 3_300_330_033);
        let fee = stake_pool_ticket_fee(
            &SIMNET,
            Amount(53_798_951_531),
            Amount(54_200),
            145,
            "7.5".parse().unwrap(),
        );
        assert_eq!(fee, Amount(231_041_222));
        assert_eq!(fee.to_string(), "2.31041222");
    }

    #[test]
    fn no_vote_subsidy_before_svh_minus_one() {
        assert_eq!(vote_subsidy(&SIMNET, 142), 0);
        assert!(vote_subsidy(&SIMNET, 143) > 0);
        let fee = stake_pool_ticket_fee(&SIMNET, Amount(1), Amount(0), 100, "7.5".parse().unwrap());
        assert_eq!(fee, Amount::ZERO);
    }

    #[test]
    fn mainnet_subsidy_schedule() {
        assert_eq!(block_subsidy(&MAINNET, 100), 38 * 100_000_000);
        assert_eq!(
            block_subsidy(&MAINNET, 16128),
            38 * 100_000_000 * 100_000 / 103_183
        );
        // 3/10 of the block to five votes.
        assert_eq!(vote_subsidy(&MAINNET, 800), 38 * 100_000_000 * 3 / 50);
    }

    #[test]
    fn pool_fee_percent_parsing() {
        assert_eq!("7.5".parse::<PoolFeePercent>().unwrap().hundredths(), 750);
        assert_eq!(
            "100".parse::<PoolFeePercent>().unwrap().hundredths(),
            10_000
        );
        assert_eq!("0.01%".parse::<PoolFeePercent>().unwrap().hundredths(), 1);
        for bad in ["0", "0.001", "100.01", "-1", "abc", "", "1e2"] {
            assert!(bad.parse::<PoolFeePercent>().is_err(), "{bad}");
        }
        // The wallet's float truncation: 1.15 * 100.0 = 114.999…
        assert_eq!(
            "1.15"
                .parse::<PoolFeePercent>()
                .unwrap()
                .wallet_basis_points(),
            114
        );
        assert_eq!(
            "7.5"
                .parse::<PoolFeePercent>()
                .unwrap()
                .wallet_basis_points(),
            750
        );
    }
}
