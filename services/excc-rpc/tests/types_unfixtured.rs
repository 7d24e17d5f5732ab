//! Results the fixtures do not contain, written in the field order and with the
//! `omitempty` behaviour of the Go structs (exccd `chainsvrresults.go`,
//! exccwallet `rpc/jsonrpc/types/results.go`): they must round-trip byte for byte.

use excc_chain::Amount;
use excc_rpc::types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: DeserializeOwned + Serialize>(json: &str) -> T {
    let t: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(serde_json::to_string(&t).unwrap(), json);
    t
}

#[test]
fn stake_difficulty() {
    let d: StakeDifficulty = round_trip(r#"{"current":537.98951531,"next":612}"#);
    assert_eq!(d.next, Amount::from_atoms(61_200_000_000));
}

#[test]
fn vote_info_with_and_without_agendas() {
    round_trip::<VoteInfo>(
        r#"{"currentheight":147,"startheight":0,"endheight":2015,"hash":"0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4","voteversion":10,"quorum":4032,"totalvotes":0}"#,
    );
    let v: VoteInfo = round_trip(
        r#"{"currentheight":147,"startheight":0,"endheight":2015,"hash":"0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4","voteversion":10,"quorum":4032,"totalvotes":5,"agendas":[{"id":"a","description":"d","mask":6,"starttime":1,"expiretime":2,"status":"started","quorumprogress":0.5,"choices":[{"id":"abstain","description":"x","bits":0,"isabstain":true,"isno":false,"count":0,"progress":0},{"id":"yes","description":"y","bits":2,"isabstain":false,"isno":false,"count":5,"progress":1}]}]}"#,
    );
    assert_eq!(v.agendas[0].choices.len(), 2);
}

#[test]
fn node_validate_address() {
    round_trip::<NodeValidateAddress>(
        r#"{"isvalid":true,"address":"SsasCEBqQgrcywZb5yAw1rAkwbAAkVtQwiG"}"#,
    );
    round_trip::<NodeValidateAddress>(r#"{"isvalid":false}"#);
}

#[test]
fn wallet_transaction_mined_and_unmined() {
    let t: WalletTransaction = round_trip(
        r#"{"amount":0,"fee":0.000542,"confirmations":39,"blockhash":"0003a8824cc8d402332cae216e38e0b29c4dc640d99a47d10def7012ff15b7c3","blockindex":9,"blocktime":1795523646,"txid":"df8b3e1677be2d775713785b36d13ebbf38494fa3054238e0a0daf5a5b2930ac","walletconflicts":[],"time":1795523600,"timereceived":1795523600,"details":[{"account":"imported","address":"ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC","amount":537.98951531,"category":"ticket","vout":0},{"account":"default","amount":-537.98951531,"category":"send","fee":-0.000542,"vout":0}],"hex":"0100","type":"ticket","ticketstatus":"live"}"#,
    );
    assert_eq!(t.details[0].address, "ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC");
    let u: WalletTransaction = round_trip(
        r#"{"amount":-1,"confirmations":0,"blockhash":"","blockindex":0,"blocktime":0,"txid":"df8b3e1677be2d775713785b36d13ebbf38494fa3054238e0a0daf5a5b2930ac","walletconflicts":[],"time":1,"timereceived":1,"details":[],"hex":"00","type":"regular"}"#,
    );
    assert_eq!(u.blockhash, None);
}

#[test]
fn vote_choices() {
    round_trip::<VoteChoices>(r#"{"version":10,"choices":[]}"#);
    round_trip::<VoteChoices>(
        r#"{"version":10,"choices":[{"agendaid":"a","agendadescription":"d","choiceid":"yes","choicedescription":"y"}]}"#,
    );
}

#[test]
fn balance_with_totals() {
    let b: Balance = round_trip(
        r#"{"balances":[],"blockhash":"0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4","totalspendable":19819.48801107,"cumulativetotal":49248.80653816}"#,
    );
    assert_eq!(b.totallockedbytickets, Amount::ZERO);
}

#[test]
fn tx_out_null_and_coinbase_vin() {
    assert_eq!(serde_json::from_str::<Option<TxOut>>("null").unwrap(), None);
    let v: Vin = round_trip(
        r#"{"coinbase":"0000","sequence":4294967295,"amountin":66.00660066,"blockheight":0,"blockindex":4294967295}"#,
    );
    assert!(v.is_coinbase() && !v.is_stakebase());
}

#[test]
fn stake_info_all_optional_fields() {
    round_trip::<StakeInfo>(
        r#"{"blockheight":1,"difficulty":2,"totalsubsidy":3,"ownmempooltix":4,"immature":5,"unspent":6,"voted":7,"revoked":8,"unspentexpired":9,"poolsize":10,"allmempooltix":11,"live":12,"proportionlive":0.5,"missed":13,"proportionmissed":0.25,"expired":14}"#,
    );
}

#[test]
fn reply_encoders_match_exccd() {
    let id = serde_json::Value::from(3);
    let best = BestBlock {
        hash: "0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4"
            .parse()
            .unwrap(),
        height: 147,
    };
    assert_eq!(
        encode_reply(&id, &best).unwrap(),
        r#"{"jsonrpc":"1.0","result":{"hash":"0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4","height":147},"error":null,"id":3}"#
    );
    assert_eq!(
        encode_error_reply(
            &serde_json::Value::from(10),
            &RpcError::new(codes::METHOD_NOT_FOUND, "Method not found")
        ),
        r#"{"jsonrpc":"1.0","result":null,"error":{"code":-32601,"message":"Method not found"},"id":10}"#
    );
}
