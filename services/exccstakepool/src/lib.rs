//! exccstakepool, the pool's web service (in progress): the database of users and their
//! ticket addresses. See ARCHITECTURE.md.

pub mod address;
pub mod api;
pub mod config;
pub mod db;
pub mod pool;
pub mod sync;
pub mod token;
pub mod votebits;
pub mod voting_nodes;
