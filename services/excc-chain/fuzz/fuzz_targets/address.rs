//! Address decoding never panics, and whatever decodes re-encodes to the same string.
#![no_main]
use excc_chain::{Address, Network};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(addr) = Address::decode(s) {
        assert_eq!(addr.encode(), s);
        for n in Network::ALL {
            let _ = Address::decode_for(s, n);
            let _ = Address::decode_pubkey_for(s, n);
        }
        let _ = addr.pk_script();
    }
});
