//! The hash type: fields, values, per-field TTLs, and the encoding that decides reply order.
//!
//! Redis keeps small hashes as a listpack, where order is observable and deterministic, and
//! large ones as a hash table, whose order is not. We track the same three encodings so that
//! every reply with a deterministic order in Redis has the same order here:
//!
//! - `Listpack`: insertion order. Overwriting keeps the position; delete + re-add goes last.
//! - `ListpackEx`: a listpack that some field-expiration command has touched. Fields with a
//!   TTL come first, by ascending deadline; the rest follow in insertion order.
//! - `Hashtable`: order is implementation-defined; callers compare these replies as sets.
//!
//! This type never applies expiry by itself: commands decide, per Redis's rules, whether an
//! expired field is hidden, reclaimed or counted (`HLEN` counts it). A field is expired when
//! its deadline is strictly before `now`.

mod background;
mod entry_bytes;
mod field;
pub(crate) mod fold;

pub use field::{is_expired, FieldView};
pub use fold::FixedState;
pub use restore::Restored;
// Their index-based and size-reporting methods are there for their own tests.
#[cfg_attr(not(test), allow(dead_code))]
mod listpack;
mod restore;
#[cfg(test)]
mod storage_tests;
#[cfg_attr(not(test), allow(dead_code))]
mod table;

use listpack::Listpack;
use table::Table;

/// How Redis would be storing this hash. Conversion only ever goes forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Listpack,
    ListpackEx,
    Hashtable,
}

impl Encoding {
    /// The name `OBJECT ENCODING` reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Listpack => "listpack",
            Encoding::ListpackEx => "listpackex",
            Encoding::Hashtable => "hashtable",
        }
    }
}

/// `hash-max-listpack-entries`'s default (Redis 8.2.3's): above this many fields a hash
/// becomes a hash table.
pub const MAX_LISTPACK_ENTRIES: usize = 512;
/// `hash-max-listpack-value`'s default: a field or value longer than this makes it a hash
/// table.
pub const MAX_LISTPACK_VALUE: usize = 64;

/// The two settings that decide when a listpack becomes a hash table. Each engine has its
/// own (CONFIG SET changes them); writes are checked against the values of the moment, as
/// in Redis, and a hash already converted stays converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// `hash-max-listpack-entries` (alias `hash-max-ziplist-entries`).
    pub max_entries: usize,
    /// `hash-max-listpack-value` (alias `hash-max-ziplist-value`).
    pub max_value: usize,
}

impl Default for HashLimits {
    fn default() -> Self {
        Self {
            max_entries: MAX_LISTPACK_ENTRIES,
            max_value: MAX_LISTPACK_VALUE,
        }
    }
}

impl HashLimits {
    /// Whether `pairs` pairs whose longest field or value is `longest` bytes fit a listpack.
    fn fit(self, pairs: usize, longest: usize) -> bool {
        pairs <= self.max_entries && longest <= self.max_value
    }
}

/// What a write does to the TTL of a field that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlOnWrite {
    /// HSET, HMSET, HSETNX, HSETEX without KEEPTTL: the field loses its TTL.
    Clear,
    /// HINCRBY, HINCRBYFLOAT, HSETEX KEEPTTL: the field keeps its TTL.
    Keep,
}

/// What a read with lazy expiry found (see [`HashValue::get_live_or_reclaim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The field exists and is alive.
    Live(FieldView<'a>),
    /// There is no such field.
    Missing,
    /// The field was expired and has just been deleted. The hash may now be empty, in which
    /// case the caller removes the key.
    Reclaimed,
}

/// A hash value. Never empty while stored in a keyspace.
///
/// Both listpack encodings live in a [`Listpack`] (one buffer, order kept exactly), a hash
/// table in a [`Table`] (one allocation per field, swap-remove order). The encoding decides
/// the storage: `Hashtable` if and only if `Storage::Table`.
#[derive(Debug, Clone)]
pub struct HashValue {
    encoding: Encoding,
    storage: Storage,
    /// Whether a field may have a TTL: set when one is given one, cleared only by
    /// [`HashValue::purge_expired_and_recheck`] once none has. The background expiry cycle
    /// skips a hash without it in O(1), as Redis skips keys missing from its field-expiry
    /// index. Not part of the value, so equality ignores it.
    ttl_tracked: bool,
}

impl PartialEq for HashValue {
    fn eq(&self, other: &Self) -> bool {
        self.encoding == other.encoding && self.storage == other.storage
    }
}

impl Eq for HashValue {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Storage {
    Listpack(Listpack),
    Table(Table),
}

/// The fields of a hash in reply order.
enum Iter<'a> {
    Listpack(listpack::Iter<'a>),
    Table(table::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = FieldView<'a>;

    #[inline]
    fn next(&mut self) -> Option<FieldView<'a>> {
        match self {
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Listpack(it) => it.size_hint(),
            Iter::Table(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The fields of a hash by index, in reply order (see [`HashValue::indexed`]).
pub struct Indexed<'a>(IndexedFrom<'a>);

enum IndexedFrom<'a> {
    Listed(Vec<FieldView<'a>>),
    Table(&'a Table),
}

impl<'a> Indexed<'a> {
    /// The field at `index`, as `HashValue::get_index` would return it.
    pub fn get(&self, index: usize) -> Option<FieldView<'a>> {
        match &self.0 {
            IndexedFrom::Listed(fields) => fields.get(index).copied(),
            IndexedFrom::Table(t) => t.get_index(index),
        }
    }
}

impl Default for HashValue {
    fn default() -> Self {
        Self::new()
    }
}

impl HashValue {
    /// An empty listpack hash.
    pub fn new() -> Self {
        Self {
            encoding: Encoding::Listpack,
            storage: Storage::Listpack(Listpack::new()),
            ttl_tracked: false,
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The number of stored fields, expired ones included (what HLEN reports).
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Listpack(lp) => lp.len(),
            Storage::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of fields alive at `now_ms`.
    pub fn live_len(&self, now_ms: i64) -> usize {
        self.iter_live(now_ms).count()
    }

    /// Whether any field has a TTL.
    pub fn has_ttls(&self) -> bool {
        self.iter().any(|f| f.expire_at_ms.is_some())
    }

    /// The earliest deadline of any field, expired or not.
    pub fn earliest_expiry(&self) -> Option<i64> {
        self.iter().filter_map(|f| f.expire_at_ms).min()
    }

    /// The stored field, expired or not.
    pub fn get(&self, field: &[u8]) -> Option<FieldView<'_>> {
        match &self.storage {
            Storage::Listpack(lp) => lp.get(field),
            Storage::Table(t) => t.get(field),
        }
    }

    /// Starts loading `field` into the cache (see [`Table::prefetch`]); changes nothing.
    /// A listpack is one buffer, read from its start anyway, so it gets no hint.
    pub fn prefetch(&self, field: &[u8]) {
        if let Storage::Table(t) = &self.storage {
            t.prefetch(field);
        }
    }

    /// The field if it exists and is alive at `now_ms`. Does not reclaim anything.
    pub fn get_live(&self, field: &[u8], now_ms: i64) -> Option<FieldView<'_>> {
        self.get(field).filter(|f| !f.is_expired(now_ms))
    }

    /// Reads `field` with lazy expiry, in one lookup: the field if alive, and if it is
    /// expired at `now_ms`, deletes it (what `reclaim_if_expired` then `get` do in two).
    pub fn get_live_or_reclaim(&mut self, field: &[u8], now_ms: i64) -> Lookup<'_> {
        self.get_live_or_reclaim_with(field, || now_ms)
    }

    /// `get_live_or_reclaim` that asks for the time only if the field has a TTL, so that a
    /// caller can skip reading the clock when it does not matter (see `Ctx::db_and_now`).
    pub fn get_live_or_reclaim_with(
        &mut self,
        field: &[u8],
        now_ms: impl FnOnce() -> i64,
    ) -> Lookup<'_> {
        let expired = |f: FieldView<'_>| f.expire_at_ms.is_some() && f.is_expired(now_ms());
        match &mut self.storage {
            Storage::Listpack(lp) => {
                let Some(at) = lp.find(field) else {
                    return Lookup::Missing;
                };
                if expired(lp.view_at(at)) {
                    lp.remove_at(at);
                    return Lookup::Reclaimed;
                }
                Lookup::Live(lp.view_at(at))
            }
            Storage::Table(t) => {
                let Some(index) = t.position(field) else {
                    return Lookup::Missing;
                };
                if expired(t.get_index(index).expect("position is in range")) {
                    t.swap_remove_index(index);
                    return Lookup::Reclaimed;
                }
                Lookup::Live(t.get_index(index).expect("position is in range"))
            }
        }
    }

    /// The field at `index` in reply order (for random picks and scans). O(1) in a hash
    /// table, a scan from the front in a listpack.
    pub fn get_index(&self, index: usize) -> Option<FieldView<'_>> {
        match &self.storage {
            Storage::Listpack(lp) => lp.get_index(index),
            Storage::Table(t) => t.get_index(index),
        }
    }

    /// Reads by index in O(1) each, for callers that read many (HRANDFIELD's picks): a
    /// listpack, where `get_index` scans from the front, is listed once (it holds at most
    /// 512 fields); a hash table is read in place.
    pub fn indexed(&self) -> Indexed<'_> {
        Indexed(match &self.storage {
            Storage::Listpack(lp) => IndexedFrom::Listed(lp.iter().collect()),
            Storage::Table(t) => IndexedFrom::Table(t),
        })
    }

    /// Lazy expiry of one field: deletes it if it is expired at `now_ms`.
    /// Returns whether it was deleted. The caller removes the key if the hash emptied.
    pub fn reclaim_if_expired(&mut self, field: &[u8], now_ms: i64) -> bool {
        matches!(self.get_live_or_reclaim(field, now_ms), Lookup::Reclaimed)
    }

    /// Deletes every field expired at `now_ms` (HRANDFIELD does this first). Returns how many.
    pub fn purge_expired(&mut self, now_ms: i64) -> usize {
        // Both keep the survivors' relative order, which is what the listpack encodings need.
        match &mut self.storage {
            Storage::Listpack(lp) => lp.retain(|f| !f.is_expired(now_ms)),
            Storage::Table(t) => t.retain(|f| !f.is_expired(now_ms)),
        }
    }

    /// All fields in reply order, expired ones included.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FieldView<'_>> + '_ {
        match &self.storage {
            Storage::Listpack(lp) => Iter::Listpack(lp.iter()),
            Storage::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The fields alive at `now_ms`, in reply order.
    pub fn iter_live(&self, now_ms: i64) -> impl Iterator<Item = FieldView<'_>> + '_ {
        self.iter().filter(move |f| !f.is_expired(now_ms))
    }

    /// Converts to a hash table up front when a write of `pairs` new pairs (duplicates
    /// counted), whose longest field or value is `longest` bytes, would exceed the listpack
    /// limits, as Redis's `hashTypeTryConversion` does before HSET and friends.
    pub fn prepare_write(&mut self, pairs: usize, longest: usize, limits: HashLimits) {
        if !limits.fit(pairs, longest) {
            self.convert_to_hashtable();
        }
    }

    /// [`HashValue::set_within`] Redis's default limits (for tests and loaders).
    pub fn set(&mut self, field: &[u8], value: &[u8], ttl: TtlOnWrite) -> bool {
        self.set_within(field, value, ttl, HashLimits::default())
    }

    /// Sets `field` to `value`, converting to a hash table past `limits`. Returns true if the
    /// field is new. An existing field keeps or loses its TTL as `ttl` says; a new field has
    /// no TTL. One lookup of `field`.
    pub fn set_within(
        &mut self,
        field: &[u8],
        value: &[u8],
        ttl: TtlOnWrite,
        limits: HashLimits,
    ) -> bool {
        if field.len() > limits.max_value || value.len() > limits.max_value {
            self.convert_to_hashtable();
        }
        let had_ttl = match &mut self.storage {
            Storage::Listpack(lp) => match lp.find(field) {
                Some(at) => {
                    let had_ttl = lp.view_at(at).expire_at_ms.is_some();
                    lp.set_value_at(at, value);
                    Some(had_ttl)
                }
                None => {
                    lp.push(field, value, None);
                    None
                }
            },
            Storage::Table(t) => match t.position(field) {
                Some(index) => {
                    let had_ttl = t.get_index(index).is_some_and(|f| f.expire_at_ms.is_some());
                    t.set_value(index, value);
                    Some(had_ttl)
                }
                None => {
                    t.push(field, value, None);
                    None
                }
            },
        };
        // Losing a TTL moves the field to the tail of a listpackex.
        if had_ttl == Some(true) && ttl == TtlOnWrite::Clear {
            self.set_expire(field, None);
        }
        if self.len() > limits.max_entries {
            self.convert_to_hashtable();
        }
        had_ttl.is_none()
    }

    /// Deletes `field`. Returns whether it existed (expired or not).
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.storage {
            // A listpack closes the gap, so the order of the others is kept.
            Storage::Listpack(lp) => lp.remove(field),
            // In a hash table order is not promised; swap_remove keeps scans sound (see scan).
            Storage::Table(t) => t.swap_remove(field),
        }
    }

    /// Marks the hash as touched by a field-expiration command (listpack → listpackex).
    pub fn touch_field_expiration(&mut self) {
        if self.encoding == Encoding::Listpack {
            self.encoding = Encoding::ListpackEx;
        }
    }

    /// Sets or clears the TTL of an existing field, moving it where Redis would. Returns
    /// false if the field does not exist.
    pub fn set_expire(&mut self, field: &[u8], expire_at_ms: Option<i64>) -> bool {
        if expire_at_ms.is_some() {
            self.ttl_tracked = true;
        }
        match &mut self.storage {
            Storage::Listpack(lp) => {
                let Some(at) = lp.find(field) else {
                    return false;
                };
                lp.set_expire_at(at, expire_at_ms);
                // touch_field_expiration, spelled out: `lp` still borrows the storage.
                if expire_at_ms.is_some() && self.encoding == Encoding::Listpack {
                    self.encoding = Encoding::ListpackEx;
                }
                if self.encoding == Encoding::ListpackEx {
                    let target = ordered_position(lp, at.index, expire_at_ms);
                    lp.move_index(at.index, target);
                }
                true
            }
            // A hash table has no order to keep, and setting a TTL does not change its
            // encoding.
            Storage::Table(t) => match t.position(field) {
                Some(index) => t.set_expire(index, expire_at_ms),
                None => false,
            },
        }
    }

    fn convert_to_hashtable(&mut self) {
        if let Storage::Listpack(lp) = &self.storage {
            let mut table = Table::with_capacity(lp.len());
            for f in lp.iter() {
                table.push(f.field, f.value, f.expire_at_ms);
            }
            self.storage = Storage::Table(table);
        }
        self.encoding = Encoding::Hashtable;
    }

    /// One step of HSCAN over a hash table: up to `count` indexes, and the next cursor
    /// (0 when done).
    ///
    /// The cursor counts down from the end. Removal in a hash table swaps the last entry
    /// into the hole, so an entry can only move from the visited tail into the unvisited
    /// head (seen twice, which Redis allows) and never the other way (missed, which it does
    /// not). Entries added during a scan land in the visited tail, which Redis also allows.
    pub fn scan_step(&self, cursor: u64, count: usize) -> (u64, std::ops::Range<usize>) {
        let len = self.len();
        let end = if cursor == 0 {
            len
        } else {
            (cursor as usize).min(len)
        };
        let start = end.saturating_sub(count.max(1));
        (start as u64, start..end)
    }
}

/// Where the entry now at `index` belongs in a listpackex: TTL fields sorted by deadline,
/// then the rest, with the moved field last.
///
/// WHY before its equals: Redis 8.2.3 takes the field out and re-inserts it before the
/// first entry whose deadline is >= its own, so among equal deadlines the field given its
/// TTL last comes first (`HPEXPIREAT k T FIELDS 1 c` then `... 1 a` lists `a c`), even when
/// the deadline did not change.
fn ordered_position(lp: &Listpack, index: usize, expire_at_ms: Option<i64>) -> usize {
    let others = lp.iter().enumerate().filter(|(i, _)| *i != index);
    match expire_at_ms {
        Some(at) => others
            .filter(|(_, f)| matches!(f.expire_at_ms, Some(x) if x < at))
            .count(),
        None => lp.len() - 1,
    }
}

#[cfg(test)]
mod tests;
