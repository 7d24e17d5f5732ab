//! Simplified stake difficulty (ticket price).
//!
//! Rule: the price changes only at blocks whose height `h` satisfies
//! `(h + 1) % StakeDiffWindowSize == 0` (on simnet 151, 159, … as observed).
//! There the new price is `old × (live + immature) / (TicketPoolSize ×
//! TicketsPerBlock)`, the ratio clamped to [1/2, 2], and the result clamped to
//! [`MinimumStakeDiff`, `MAX_PRICE`]. Elsewhere it stays the parent's price.

use excc_chain::Params;

/// Upper bound so simulated prices never overflow (1,000,000 EXCC).
pub const MAX_PRICE: i64 = 1_000_000 * 100_000_000;

/// Price of tickets in the block at `height`, given the parent's price and pool counts.
pub fn next_price(params: &Params, height: u32, parent_price: i64, pool: u64) -> i64 {
    let min = params.stake.minimum_stake_diff;
    let window = params.stake.stake_diff_window_size.max(1);
    if parent_price < min {
        return min;
    }
    if !(height + 1).is_multiple_of(window) {
        return parent_price;
    }
    let target = u64::from(params.stake.ticket_pool_size * params.stake.tickets_per_block).max(1);
    let old = i128::from(parent_price);
    let scaled = old * i128::from(pool) / i128::from(target);
    let clamped = scaled.clamp(old / 2, old * 2);
    (clamped as i64).clamp(min, MAX_PRICE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use excc_chain::Network;

    #[test]
    fn price_moves_only_at_window_ends_and_stays_in_bounds() {
        let p = Network::Simnet.params();
        let min = p.stake.minimum_stake_diff;
        assert_eq!(next_price(p, 1, 0, 0), min);
        assert_eq!(next_price(p, 148, 1000 * min, 10_000), 1000 * min);
        assert_eq!(next_price(p, 151, 1000 * min, 10_000), 2000 * min);
        assert_eq!(next_price(p, 151, 1000 * min, 0), 500 * min);
        assert_eq!(next_price(p, 151, min, 0), min);
        assert_eq!(next_price(p, 151, MAX_PRICE, 100_000), MAX_PRICE);
        assert_eq!(next_price(p, 151, 1000 * min, 320), 1000 * min);
    }
}
