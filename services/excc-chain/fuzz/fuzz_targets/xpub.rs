//! Extended-key decoding never panics; decoded keys re-encode and derive without panicking.
#![no_main]
use excc_chain::{ExtendedKey, Network};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(key) = ExtendedKey::decode(s) {
        assert_eq!(key.to_string(), s);
        let _ = key.child(0).and_then(|k| k.child(1));
        let _ = key.child(0x8000_0000);
    }
    for n in Network::ALL {
        let _ = ExtendedKey::decode_xpub_for(s, n);
    }
});
