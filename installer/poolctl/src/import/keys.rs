//! Every option of the legacy configs (../shared/docs/legacy-exccstakepool.md §10) and
//! what becomes of it: imported into pool.toml, or listed as a comment with the reason.

/// What `poolctl import` does with a legacy option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Read into pool.toml (see `import/build.rs`).
    Imported,
    /// No equivalent: listed as `# not imported: KEY = VALUE (why)`.
    Dropped(&'static str),
}

use Fate::{Dropped, Imported};

const LOGS: &str = "the services log to journald: journalctl -u NAME";
const PROFILE: &str = "no profiling options in the new services";
const COMMAND_LINE: &str = "a command-line option, not a setting";
const CA: &str = "poolctl's pool CA issues every certificate and the services trust it";
const RPC_USERS: &str = "poolctl names the RPC users itself";

/// `exccstakepool.conf` (§10.1, with the upstream additions).
pub const WEB: &[(&str, Fate)] = &[
    ("version", Dropped(COMMAND_LINE)),
    ("configfile", Dropped(COMMAND_LINE)),
    ("datadir", Dropped("unused by the legacy web app")),
    ("logdir", Dropped(LOGS)),
    ("debuglevel", Dropped(LOGS)),
    ("profile", Dropped(PROFILE)),
    ("cpuprofile", Dropped(PROFILE)),
    ("memprofile", Dropped(PROFILE)),
    ("listen", Imported),
    ("testnet", Imported),
    ("simnet", Imported),
    ("apisecret", Imported),
    ("baseurl", Imported),
    ("coldwalletextpub", Imported),
    ("votingwalletextpub", Imported),
    ("closepool", Imported),
    (
        "closepoolmsg",
        Dropped("the new web service shows its own notice while the pool is closed"),
    ),
    (
        "cookiesecret",
        Dropped(
            "session cookies are signed with secrets.web_api_secret: signed-in users sign in again once",
        ),
    ),
    (
        "cookiesecure",
        Dropped("cookies are always Secure: nginx serves the site over HTTPS only"),
    ),
    ("dbhost", Imported),
    ("dbport", Imported),
    ("dbname", Imported),
    ("dbuser", Imported),
    ("dbpassword", Imported),
    (
        "publicpath",
        Dropped("pages and assets are built into the web service"),
    ),
    (
        "templatepath",
        Dropped("pages and assets are built into the web service"),
    ),
    (
        "recaptchasitekey",
        Dropped(
            "no captcha: forms that guess passwords or send mail are rate-limited, see [web.limits]",
        ),
    ),
    (
        "recaptchasecret",
        Dropped(
            "no captcha: forms that guess passwords or send mail are rate-limited, see [web.limits]",
        ),
    ),
    ("poolemail", Imported),
    ("poolfees", Imported),
    (
        "poollink",
        Dropped("no support-link setting: the site shows pool_email"),
    ),
    (
        "realipheader",
        Dropped("poolctl's nginx passes the client address and poolctl sets the header"),
    ),
    ("smtpfrom", Imported),
    ("smtphost", Imported),
    ("smtpusername", Imported),
    ("smtppassword", Imported),
    ("usesmtps", Imported),
    (
        "smtpskipverify",
        Dropped("the relay's certificate is always checked"),
    ),
    (
        "smtpcert",
        Dropped(
            "pool.toml has no private mail CA: the relay's certificate is checked against the system's roots",
        ),
    ),
    ("stakepooldhosts", Imported),
    ("stakepooldcerts", Dropped(CA)),
    (
        "enablestakepoold",
        Dropped("the web service always talks to every stakepoold"),
    ),
    ("wallethosts", Imported),
    ("walletusers", Dropped(RPC_USERS)),
    ("walletpasswords", Imported),
    ("walletcerts", Dropped(CA)),
    (
        "adminips",
        Dropped("admin pages are for admin accounts, wherever they connect from"),
    ),
    (
        "adminuserids",
        Dropped(
            "admins are named by e-mail: put their addresses in [web] admin_emails, or run `exccstakepool admin add EMAIL` on a web host",
        ),
    ),
    (
        "minservers",
        Dropped("the web service writes to every voting node; /healthz shows any that is down"),
    ),
    (
        "maxvotedage",
        Dropped("the tickets page lists every voted ticket, newest first"),
    ),
    (
        "maxvotedtickets",
        Dropped("the tickets page lists every voted ticket, newest first"),
    ),
    (
        "description",
        Dropped("no such setting in the new web service"),
    ),
    (
        "designation",
        Dropped("no such setting in the new web service"),
    ),
];

const DATABASE: &str = "stakepoold no longer reads the database: the web service sends it users and preferences over gRPC";
const LOCAL: &str =
    "exccd and exccwallet run beside stakepoold on each voting host, installed by poolctl";

/// `stakepoold.conf` (§10.2).
pub const STAKEPOOLD: &[(&str, Fate)] = &[
    (
        "appdata",
        Dropped("poolctl keeps stakepoold's state in /var/lib/stakepoold"),
    ),
    ("version", Dropped(COMMAND_LINE)),
    ("configfile", Dropped(COMMAND_LINE)),
    (
        "datadir",
        Dropped("poolctl keeps stakepoold's state in /var/lib/stakepoold"),
    ),
    ("logdir", Dropped(LOGS)),
    ("debuglevel", Dropped(LOGS)),
    ("profile", Dropped(PROFILE)),
    ("cpuprofile", Dropped(PROFILE)),
    ("memprofile", Dropped(PROFILE)),
    ("testnet", Imported),
    ("simnet", Imported),
    ("coldwalletextpub", Imported),
    ("poolfees", Imported),
    ("dbhost", Dropped(DATABASE)),
    ("dbuser", Dropped(DATABASE)),
    ("dbport", Dropped(DATABASE)),
    ("dbname", Dropped(DATABASE)),
    ("dbpassword", Dropped(DATABASE)),
    ("exccdhost", Dropped(LOCAL)),
    ("exccduser", Dropped(RPC_USERS)),
    ("exccdpassword", Imported),
    ("exccdcert", Dropped(CA)),
    ("wallethost", Dropped(LOCAL)),
    ("walletuser", Dropped(RPC_USERS)),
    ("walletpassword", Imported),
    ("walletcert", Dropped(CA)),
    (
        "norpclisten",
        Dropped("stakepoold always serves gRPC (mutual TLS) to the web service"),
    ),
    ("rpclisten", Imported),
    ("rpccert", Dropped(CA)),
    ("rpckey", Dropped(CA)),
];

/// Options whose values are secrets: never written into pool.toml, not even as comments.
pub const SECRET: &[&str] = &[
    "apisecret",
    "cookiesecret",
    "dbpassword",
    "recaptchasecret",
    "smtppassword",
    "walletpasswords",
    "exccdpassword",
    "walletpassword",
];

/// What becomes of `key` in a file described by `table`; `None`: not an option of it.
pub fn fate(table: &[(&str, Fate)], key: &str) -> Option<Fate> {
    table.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
}
