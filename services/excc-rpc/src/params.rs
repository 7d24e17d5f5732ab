//! Building positional parameters.

use serde::Serialize;
use serde_json::Value;

/// One positional parameter.
pub(crate) fn v<T: Serialize>(t: T) -> Value {
    serde_json::to_value(t).expect("RPC parameters always serialise")
}

/// `vec![v(a), v(b), …]`.
macro_rules! params {
    ($($x:expr),* $(,)?) => { vec![$($crate::params::v($x)),*] };
}
pub(crate) use params;
