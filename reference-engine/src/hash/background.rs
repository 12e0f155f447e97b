//! What a server does to a hash besides running commands on it: the background expiry
//! cycle's visit, and the re-encoding a reload (DEBUG RELOAD) gives it.

use super::listpack::Listpack;
use super::{Encoding, HashLimits, HashValue, Storage};

impl HashValue {
    /// Whether the background expiry cycle needs to look at this hash: some field was given
    /// a TTL and no visit has found them all gone since.
    pub fn ttl_tracked(&self) -> bool {
        self.ttl_tracked
    }

    /// The background cycle's visit: deletes the fields expired at `now_ms`, and stops
    /// tracking the hash if no field has a TTL any more. Returns how many fields went.
    pub fn purge_expired_and_recheck(&mut self, now_ms: i64) -> usize {
        let purged = self.purge_expired(now_ms);
        if !self.has_ttls() {
            self.ttl_tracked = false;
        }
        purged
    }

    /// The encoding the hash has after Redis 8.2.3 saved it and loaded it back (DEBUG
    /// RELOAD), under `limits`. Measured on 8.2.3:
    /// - a listpack or listpackex keeps its encoding and order (a listpackex whose TTLs
    ///   are all gone stays listpackex: it is saved as its own RDB type), unless it no
    ///   longer fits `limits`, when it becomes a hash table;
    /// - a hash table that fits `limits` becomes a listpack, or a listpackex if a field
    ///   has a TTL (TTL fields first, by deadline);
    /// - expired fields are kept: loading as a master does not drop them.
    pub fn reload(&mut self, limits: HashLimits) {
        let longest = self
            .iter()
            .map(|f| f.field.len().max(f.value.len()))
            .max()
            .unwrap_or(0);
        let fits = limits.fit(self.len(), longest);
        match (&self.storage, fits) {
            (Storage::Listpack(_), false) => self.convert_to_hashtable(),
            (Storage::Table(t), true) => {
                let mut lp = Listpack::new();
                for f in t.iter() {
                    lp.push(f.field, f.value, None);
                }
                let ttls: Vec<(Vec<u8>, i64)> = t
                    .iter()
                    .filter_map(|f| f.expire_at_ms.map(|at| (f.field.to_vec(), at)))
                    .collect();
                self.storage = Storage::Listpack(lp);
                self.encoding = Encoding::Listpack;
                for (field, at) in ttls {
                    self.set_expire(&field, Some(at));
                }
            }
            _ => {}
        }
    }
}
