//! Block and vote subsidy (exccd `blockchain/standalone/subsidy.go`, no treasury,
//! no DCP0010 split on EXCC).

use crate::network::Params;

/// Full block subsidy at `height` (0 for the genesis block).
pub fn block_subsidy(params: &Params, height: i64) -> i64 {
    if height <= 0 {
        return 0;
    }
    let s = &params.subsidy;
    let reductions = height / s.reduction_interval;
    let mut subsidy = s.base_subsidy;
    for _ in 0..reductions {
        subsidy = subsidy * s.mul_subsidy / s.div_subsidy;
        if subsidy == 0 {
            break;
        }
    }
    subsidy
}

/// Subsidy paid to one vote on the block at `height`; 0 before StakeValidationHeight − 1.
pub fn vote_subsidy(params: &Params, height: i64) -> i64 {
    if height < i64::from(params.stake.stake_validation_height) - 1 {
        return 0;
    }
    let s = &params.subsidy;
    let total = s.work_proportion + s.stake_proportion;
    block_subsidy(params, height) * s.stake_proportion
        / (total * i64::from(params.stake.tickets_per_block))
}
