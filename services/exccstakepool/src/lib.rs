//! exccstakepool, the pool's web service (in progress): the database of users and their
//! ticket addresses. See ARCHITECTURE.md.

pub mod db;
