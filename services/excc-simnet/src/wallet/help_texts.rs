//! `help <method>` texts of exccwallet 2.7.6 for the methods the pool uses
//! (captured in shared/fixtures/excc-2.7.6-simnet/wallet-help-*.json).

pub const HELP: &[(&str, &str)] = &[
    (
        "accountsyncaddressindex",
        "accountsyncaddressindex \"account\" branch index\n\nSynchronize an account branch to some passed address index\n\nArguments:\n1. account (string, required)  String for the account\n2. branch  (numeric, required) Number for the branch (0=external, 1=internal)\n3. index   (numeric, required) The address index to synchronize to\n\nResult:\nNothing\n",
    ),
    (
        "addtransaction",
        "addtransaction \"blockhash\" \"transaction\"\n\nManually record a transaction mined in a main chain block\n\nArguments:\n1. blockhash   (string, required) Hash of block which mines transaction\n2. transaction (string, required) Hex-encoded serialized transaction\n\nResult:\nNothing\n",
    ),
    (
        "createmultisig",
        "createmultisig nrequired [\"key\",...]\n\nGenerate a multisig address and redeem script.\n\nArguments:\n1. nrequired (numeric, required)         The number of signatures required to redeem outputs paid to this address\n2. keys      (array of string, required) Pubkeys and/or pay-to-pubkey-hash addresses to partially control the multisig address\n\nResult:\n{\n \"address\": \"value\",      (string) The generated pay-to-script-hash address\n \"redeemScript\": \"value\", (string) The script required to redeem outputs paid to the multisig address\n}                         \n",
    ),
    (
        "generatevote",
        "generatevote \"blockhash\" height \"tickethash\" votebits \"votebitsext\"\n\nReturns the vote transaction encoded as a hexadecimal string\n\nArguments:\n1. blockhash   (string, required)  Block hash for the ticket\n2. height      (numeric, required) Block height for the ticket\n3. tickethash  (string, required)  The hash of the ticket\n4. votebits    (numeric, required) The voteBits to set for the ticket\n5. votebitsext (string, required)  The extended voteBits to set for the ticket\n\nResult:\n{\n \"hex\": \"value\", (string) The hex encoded transaction\n}                \n",
    ),
    (
        "getnewaddress",
        "getnewaddress (\"account\" \"gappolicy\")\n\nGenerates and returns a new payment address.\n\nArguments:\n1. account   (string, optional) Account name the new address will belong to (default=\"default\")\n2. gappolicy (string, optional) String defining the policy to use when the BIP0044 gap limit would be violated, may be \"error\", \"ignore\", or \"wrap\"\n\nResult:\n\"value\" (string) The payment address\n",
    ),
    (
        "importscript",
        "importscript \"hex\" (rescan=true scanfrom)\n\nImport a redeem script.\n\nArguments:\n1. hex      (string, required)                Hex encoded script to import\n2. rescan   (boolean, optional, default=true) Rescans the blockchain (since the genesis block, or scanfrom block) for outputs controlled by the imported key\n3. scanfrom (numeric, optional)               Block number for where to start rescan from\n\nResult:\nNothing\n",
    ),
    (
        "purchaseticket",
        "purchaseticket \"fromaccount\" spendlimit (minconf=1 \"ticketaddress\" numtickets=1 \"pooladdress\" poolfees expiry \"comment\" dontsigntx)\n\nPurchase ticket using available funds.\n\nArguments:\n1.  fromaccount   (string, required)             The account to use for purchase (default=\"default\")\n2.  spendlimit    (numeric, required)            Limit on the amount to spend on ticket\n3.  minconf       (numeric, optional, default=1) Minimum number of block confirmations required\n4.  ticketaddress (string, optional)             Override the ticket address to which voting rights are given\n5.  numtickets    (numeric, optional, default=1) The number of tickets to purchase\n6.  pooladdress   (string, optional)             The address to pay stake pool fees to\n7.  poolfees      (numeric, optional)            The amount of fees to pay to the stake pool\n8.  expiry        (numeric, optional)            Height at which the purchase tickets expire\n9.  comment       (string, optional)             Unused\n10. dontsigntx    (boolean, optional)            Return unsigned split and ticket transactions instead of signing and publishing\n\nResult:\n\"value\" (string) Hash of the resulting ticket\n",
    ),
    (
        "stakepooluserinfo",
        "stakepooluserinfo \"user\"\n\nGet user info for stakepool\n\nArguments:\n1. user (string, required) The id of the user to be looked up\n\nResult:\n{\n \"tickets\": [{             (array of object) A list of valid tickets that the user has added\n  \"status\": \"value\",       (string)          The current status of the added ticket\n  \"ticket\": \"value\",       (string)          The hash of the added ticket\n  \"ticketheight\": n,       (numeric)         The height in which the ticket was added\n  \"spentby\": \"value\",      (string)          The vote in which the ticket was spent\n  \"spentbyheight\": n,      (numeric)         The height in which the ticket was spent\n },...],                                     \n \"invalid\": [\"value\",...], (array of string) A list of invalid tickets that the user has added\n}                          \n",
    ),
    (
        "ticketsforaddress",
        "ticketsforaddress \"address\"\n\nRequest all the tickets for an address.\n\nArguments:\n1. address (string, required) Address to look for.\n\nResult:\ntrue|false (boolean) Tickets owned by the specified address.\n",
    ),
    (
        "validateaddress",
        "validateaddress \"address\"\n\nVerify that an address is valid.\nExtra details are returned if the address is controlled by this wallet.\nThe following fields are valid only when the address is controlled by this wallet (ismine=true): pubkey, account, addresses, hex, and sigsrequired.\nThe following fields are only valid when address has an associated public key: pubkey, iscompressed.\nThe following fields are only valid when address is a pay-to-script-hash address: addresses, hex, and script.\nIf the address is a multisig address controlled by this wallet, the multisig fields will be left unset if the wallet is locked since the redeem script cannot be decrypted.\n\nArguments:\n1. address (string, required) Address to validate\n\nResult:\n{\n \"isvalid\": true|false,      (boolean)         Whether or not the address is valid\n \"address\": \"value\",         (string)          The payment address (only when isvalid is true)\n \"ismine\": true|false,       (boolean)         Whether this address is controlled by the wallet (only when isvalid is true)\n \"iswatchonly\": true|false,  (boolean)         Unset\n \"isscript\": true|false,     (boolean)         Whether the payment address is a pay-to-script-hash address (only when isvalid is true)\n \"pubkeyaddr\": \"value\",      (string)          The pubkey for this payment address (only when isvalid is true)\n \"pubkey\": \"value\",          (string)          The associated public key of the payment address, if any (only when isvalid is true)\n \"iscompressed\": true|false, (boolean)         Whether the address was created by hashing a compressed public key, if any (only when isvalid is true)\n \"account\": \"value\",         (string)          The account this payment address belongs to (only when isvalid is true)\n \"addresses\": [\"value\",...], (array of string) All associated payment addresses of the script if address is a multisig address (only when isvalid is true)\n \"hex\": \"value\",             (string)          The redeem script \n \"script\": \"value\",          (string)          The class of redeem script for a multisig address\n \"sigsrequired\": n,          (numeric)         The number of required signatures to redeem outputs to the multisig address\n \"accountn\": n,              (numeric)         The account number. This number plus 2 ^ 31 is the HD account the address was derived from. Not available for imported accounts. Only present for BIP0044 derived addresses.\n \"branch\": n,                (numeric)         The HD branch. Only present for BIP0044 derived addresses.\n \"index\": n,                 (numeric)         The HD index. Only present for BIP0044 derived addresses.\n}                            \n",
    ),
    (
        "walletpassphrase",
        "walletpassphrase \"passphrase\" timeout\n\nUnlock the wallet.\n\nArguments:\n1. passphrase (string, required)  The wallet passphrase\n2. timeout    (numeric, required) The number of seconds to wait before the wallet automatically locks. 0 leaves the wallet unlocked indefinitely.\n\nResult:\nNothing\n",
    ),
];
