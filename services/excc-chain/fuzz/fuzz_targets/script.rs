//! Script and transaction parsers (tickets, votes) never panic on arbitrary bytes.
#![no_main]
use excc_chain::script::{extract_address, parse_multisig};
use excc_chain::ticket::parse_commitment;
use excc_chain::{Network, Ticket, Transaction, Vote};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_multisig(data);
    let _ = parse_commitment(Network::Simnet, data);
    let _ = extract_address(Network::Mainnet, data);
    if let Ok(h) = excc_chain::BlockHeader::parse(data) {
        assert_eq!(h.serialize().as_slice(), data);
    }
    if let Ok(tx) = Transaction::parse(data) {
        if let Ok(ticket) = Ticket::from_tx(Network::Simnet, &tx) {
            let _ = ticket.check_pool_fee(|_| true, 200, "7.5".parse().unwrap());
        }
        if let Ok(vote) = Vote::from_tx(&tx) {
            assert_eq!(vote.ticket, tx.inputs[1].prev_hash);
        }
    }
});
