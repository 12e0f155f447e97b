//! A client's state between commands, and how many databases it can select.

use crate::reply::Protocol;

/// How many databases SELECT can choose from, as in a default Redis.
pub const DATABASES: usize = 16;

/// Per-connection state: protocol, selected database, name. The keyspace is shared by all
/// sessions; a session is what HELLO, SELECT and CLIENT SETNAME change.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub protocol: Protocol,
    pub db: usize,
    pub id: u64,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
}

impl Session {
    pub fn new(id: u64) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }
}
