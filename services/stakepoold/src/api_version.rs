//! The JSON-RPC API versions stakepoold was written against: exccd's
//! `exccdjsonrpcapi` and exccwallet's `exccwalletjsonrpcapi` must have the same
//! major version and at least the minor one (semver), checked at start and after
//! every reconnect. An incompatible daemon is refused rather than discovered
//! when votes fail.

use excc_rpc::types::VersionMap;

/// (key in `version`'s answer, daemon, major, minimum minor).
pub const NODE_API: (&str, &str, u32, u32) = ("exccdjsonrpcapi", "exccd", 7, 0);
pub const WALLET_API: (&str, &str, u32, u32) = ("exccwalletjsonrpcapi", "exccwallet", 8, 0);

/// `Ok` when `versions` carries a compatible `api`; else what is wrong and what to do.
pub fn check(versions: &VersionMap, api: (&str, &str, u32, u32)) -> Result<(), String> {
    let (key, daemon, major, minor) = api;
    let Some(v) = versions.get(key) else {
        return Err(format!(
            "{daemon} does not report its JSON-RPC API version ({key}): is it really {daemon}?"
        ));
    };
    if v.major != major || v.minor < minor {
        return Err(format!(
            "{daemon}'s JSON-RPC API is {}.{}.{}, this stakepoold needs {major}.x (at least {major}.{minor}): install a matching {daemon} or stakepoold",
            v.major, v.minor, v.patch
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(key: &str, s: &str) -> VersionMap {
        let mut parts = s.split('.').map(|p| p.parse::<u32>().unwrap());
        let info = serde_json::json!({
            "versionstring": s, "major": parts.next().unwrap(), "minor": parts.next().unwrap(),
            "patch": parts.next().unwrap(), "prerelease": "", "buildmetadata": ""
        });
        serde_json::from_value(serde_json::json!({ key: info })).unwrap()
    }

    #[test]
    fn same_major_and_at_least_the_minor() {
        assert!(check(&versions("exccdjsonrpcapi", "7.0.0"), NODE_API).is_ok());
        assert!(check(&versions("exccdjsonrpcapi", "7.3.1"), NODE_API).is_ok());
        let e = check(&versions("exccdjsonrpcapi", "8.0.0"), NODE_API).unwrap_err();
        assert!(e.contains("8.0.0") && e.contains("needs 7.x"), "{e}");
        let e = check(&versions("exccdjsonrpcapi", "7.0.0"), WALLET_API).unwrap_err();
        assert!(e.contains("exccwalletjsonrpcapi"), "{e}");
    }
}
