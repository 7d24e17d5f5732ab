//! JSON-RPC client for exccd and exccwallet (being written).
