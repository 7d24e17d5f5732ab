//! The gRPC contract of stakepoold (`proto/stakepoold.proto`), generated with tonic,
//! and the version rule both sides apply.

#![allow(clippy::all, missing_docs)]

pub mod v1 {
    tonic::include_proto!("stakepoold.v1");
}

/// The API version this build speaks.
pub const API_MAJOR: u32 = 1;
pub const API_MINOR: u32 = 1;
pub const API_PATCH: u32 = 0;

/// The version response a server built from this crate returns.
pub fn version_response() -> v1::VersionResponse {
    v1::VersionResponse {
        version_string: format!("{API_MAJOR}.{API_MINOR}.{API_PATCH}"),
        major: API_MAJOR,
        minor: API_MINOR,
        patch: API_PATCH,
        prerelease: String::new(),
        build_metadata: String::new(),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "stakepoold at {endpoint} speaks API {server}, but this program needs {major}.x \
     (at least {major}.{minor}.0): upgrade the older side so both use the same major version"
)]
pub struct IncompatibleVersion {
    pub endpoint: String,
    pub server: String,
    pub major: u32,
    pub minor: u32,
}

/// Client-side check: same major version, and at least the minor version the client needs.
pub fn check_compatible(
    endpoint: &str,
    server: &v1::VersionResponse,
    needed_minor: u32,
) -> Result<(), IncompatibleVersion> {
    if server.major == API_MAJOR && server.minor >= needed_minor {
        Ok(())
    } else {
        Err(IncompatibleVersion {
            endpoint: endpoint.into(),
            server: server.version_string.clone(),
            major: API_MAJOR,
            minor: needed_minor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_rule() {
        let mut v = version_response();
        assert!(check_compatible("h:1", &v, 0).is_ok());
        v.major = API_MAJOR + 1;
        v.version_string = "2.0.0".into();
        let err = check_compatible("voting1:19560", &v, 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("voting1:19560") && err.contains("2.0.0") && err.contains("1.x"),
            "{err}"
        );
        let mut v = version_response();
        v.minor = 0;
        assert!(check_compatible("h", &v, 1).is_err());
    }
}
