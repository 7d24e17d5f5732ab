//! Deterministic draw of the tickets eligible to vote on a block: a SHA-256
//! counter-mode stream seeded with the chain's lottery seed and the block hash
//! picks distinct indices of the live pool.

use excc_chain::ChainHash;
use sha2::{Digest, Sha256};

use super::tickets::LivePool;

/// Draws `n` distinct winners (fewer if the pool is smaller).
pub fn draw(seed: &[u8; 32], block: &ChainHash, pool: &LivePool, n: usize) -> Vec<ChainHash> {
    let want = n.min(pool.len());
    let mut picked: Vec<usize> = Vec::with_capacity(want);
    let mut counter: u64 = 0;
    while picked.len() < want {
        let mut h = Sha256::new();
        h.update(seed);
        h.update(block.as_bytes());
        h.update(counter.to_le_bytes());
        counter += 1;
        let digest = h.finalize();
        let r = u64::from_le_bytes(digest[..8].try_into().expect("8"));
        let i = (r % pool.len() as u64) as usize;
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked
        .into_iter()
        .filter_map(|i| pool.get(i).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_is_deterministic_and_distinct() {
        let mut pool = LivePool::default();
        for i in 0..50u8 {
            pool.insert(ChainHash([i; 32]));
        }
        let a = draw(&[1; 32], &ChainHash([2; 32]), &pool, 5);
        let b = draw(&[1; 32], &ChainHash([2; 32]), &pool, 5);
        let c = draw(&[1; 32], &ChainHash([3; 32]), &pool, 5);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut d = a.clone();
        d.sort_by_key(|h| h.0);
        d.dedup();
        assert_eq!(d.len(), 5);
        assert_eq!(draw(&[1; 32], &ChainHash([2; 32]), &pool, 80).len(), 50);
    }
}
