//! Amount and pool-fee parsing never panics; parsed amounts round-trip exactly.
#![no_main]
use excc_chain::{Amount, PoolFeePercent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(a) = s.parse::<Amount>() {
        assert_eq!(a.to_string().parse::<Amount>().unwrap(), a);
    }
    let _ = s.parse::<PoolFeePercent>();
    if data.len() >= 8 {
        let f = f64::from_le_bytes(data[..8].try_into().unwrap());
        let _ = Amount::from_excc_f64(f);
    }
});
