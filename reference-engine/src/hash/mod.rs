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

pub(crate) mod fold;

pub use fold::FixedState;
// Their index-based and size-reporting methods are there for their own tests.
#[cfg_attr(not(test), allow(dead_code))]
mod listpack;
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

/// `hash-max-listpack-entries`: above this many fields a hash becomes a hash table.
pub const MAX_LISTPACK_ENTRIES: usize = 512;
/// `hash-max-listpack-value`: a field or value longer than this makes it a hash table.
pub const MAX_LISTPACK_VALUE: usize = 64;

/// What a write does to the TTL of a field that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlOnWrite {
    /// HSET, HMSET, HSETNX, HSETEX without KEEPTTL: the field loses its TTL.
    Clear,
    /// HINCRBY, HINCRBYFLOAT, HSETEX KEEPTTL: the field keeps its TTL.
    Keep,
}

/// A field as stored, expired or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldView<'a> {
    pub field: &'a [u8],
    pub value: &'a [u8],
    /// Absolute unix ms, or `None` for no TTL.
    pub expire_at_ms: Option<i64>,
}

impl FieldView<'_> {
    /// Whether the field is logically gone at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        is_expired(self.expire_at_ms, now_ms)
    }
}

/// Redis's rule: a field is expired when its deadline is strictly before now.
pub fn is_expired(expire_at_ms: Option<i64>, now_ms: i64) -> bool {
    matches!(expire_at_ms, Some(at) if at < now_ms)
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashValue {
    encoding: Encoding,
    storage: Storage,
}

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
    pub fn prepare_write(&mut self, pairs: usize, longest: usize) {
        if pairs > MAX_LISTPACK_ENTRIES || longest > MAX_LISTPACK_VALUE {
            self.convert_to_hashtable();
        }
    }

    /// Sets `field` to `value`. Returns true if the field is new. An existing field keeps or
    /// loses its TTL as `ttl` says; a new field has no TTL. One lookup of `field`.
    pub fn set(&mut self, field: &[u8], value: &[u8], ttl: TtlOnWrite) -> bool {
        if field.len() > MAX_LISTPACK_VALUE || value.len() > MAX_LISTPACK_VALUE {
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
        if self.len() > MAX_LISTPACK_ENTRIES {
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
mod tests {
    use super::*;

    fn fields(h: &HashValue) -> Vec<String> {
        h.iter()
            .map(|f| String::from_utf8(f.field.to_vec()).unwrap())
            .collect()
    }

    fn hash_of(names: &[&str]) -> HashValue {
        let mut h = HashValue::new();
        for n in names {
            h.set(n.as_bytes(), b"v", TtlOnWrite::Clear);
        }
        h
    }

    #[test]
    fn listpack_keeps_insertion_order() {
        let mut h = hash_of(&["a", "b", "c"]);
        assert!(!h.set(b"a", b"new", TtlOnWrite::Clear));
        assert_eq!(fields(&h), ["a", "b", "c"]);
        h.remove(b"a");
        h.set(b"a", b"v", TtlOnWrite::Clear);
        assert_eq!(fields(&h), ["b", "c", "a"]);
    }

    #[test]
    fn listpackex_orders_ttl_fields_first_by_deadline() {
        // The example from hash-semantics.md §1.5.
        let mut h = hash_of(&["a", "b", "c", "d"]);
        h.set_expire(b"c", Some(100));
        assert_eq!(fields(&h), ["c", "a", "b", "d"]);
        h.set_expire(b"d", Some(50));
        assert_eq!(fields(&h), ["d", "c", "a", "b"]);
        h.set_expire(b"d", None);
        assert_eq!(fields(&h), ["c", "a", "b", "d"]);
        h.set(b"e", b"v", TtlOnWrite::Clear);
        h.set(b"c", b"33", TtlOnWrite::Clear);
        assert_eq!(fields(&h), ["a", "b", "d", "e", "c"]);
        assert_eq!(h.encoding(), Encoding::ListpackEx);
    }

    #[test]
    fn listpackex_equal_deadlines_put_the_latest_first() {
        // Replayed from Redis 8.2.3 (HPEXPIREAT with T = 9e12, then HKEYS after each step).
        let t = 9_000_000_000_000;
        let mut h = hash_of(&["a", "b", "c", "d", "e"]);
        h.set_expire(b"c", Some(t));
        h.set_expire(b"a", Some(t));
        assert_eq!(fields(&h), ["a", "c", "b", "d", "e"]);
        h.set_expire(b"e", Some(t));
        assert_eq!(fields(&h), ["e", "a", "c", "b", "d"]);
        h.set_expire(b"d", Some(t - 1));
        assert_eq!(fields(&h), ["d", "e", "a", "c", "b"]);
        h.set_expire(b"d", Some(t));
        assert_eq!(fields(&h), ["d", "e", "a", "c", "b"]);
        // Same deadline as before: still moves to the front of its equals.
        h.set_expire(b"c", Some(t));
        assert_eq!(fields(&h), ["c", "d", "e", "a", "b"]);
        for f in ["b", "d", "a"] {
            h.set_expire(f.as_bytes(), Some(t));
        }
        assert_eq!(fields(&h), ["a", "d", "b", "c", "e"]);
    }

    #[test]
    fn listpackex_writes_move_only_fields_that_lose_a_ttl() {
        // Replayed from Redis 8.2.3: a,b at T, c at T-1; HSET d, HINCRBY a, HSETEX KEEPTTL a
        // keep positions; a new field goes last; losing a TTL moves a field last.
        let t = 9_000_000_000_000;
        let mut h = hash_of(&["a", "b", "c", "d", "e"]);
        h.set_expire(b"a", Some(t));
        h.set_expire(b"b", Some(t));
        h.set_expire(b"c", Some(t - 1));
        assert_eq!(fields(&h), ["c", "b", "a", "d", "e"]);
        h.set(b"d", b"44", TtlOnWrite::Clear);
        h.set(b"a", b"11", TtlOnWrite::Keep);
        assert_eq!(fields(&h), ["c", "b", "a", "d", "e"]);
        h.set(b"f", b"6", TtlOnWrite::Clear);
        assert_eq!(fields(&h), ["c", "b", "a", "d", "e", "f"]);
        h.set_expire(b"a", None);
        assert_eq!(fields(&h), ["c", "b", "d", "e", "f", "a"]);
        h.set(b"c", b"33", TtlOnWrite::Clear);
        assert_eq!(fields(&h), ["b", "d", "e", "f", "a", "c"]);
        assert_eq!(h.get(b"c").unwrap().expire_at_ms, None);
        assert_eq!(h.get(b"b").unwrap().expire_at_ms, Some(t));
    }

    #[test]
    fn hashtable_conversion_keeps_ttls() {
        let mut h = hash_of(&["a", "b"]);
        h.set_expire(b"a", Some(100));
        h.set(b"big", &[b'v'; 65], TtlOnWrite::Clear);
        assert_eq!(h.encoding(), Encoding::Hashtable);
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(100));
        // A hash table never goes back, and setting a TTL does not make it listpackex.
        h.set_expire(b"b", Some(50));
        assert_eq!(h.encoding(), Encoding::Hashtable);
        assert_eq!(h.get(b"b").unwrap().expire_at_ms, Some(50));

        // The same through the entry limit (513 fields on 8.2.3: HTTL a still 100).
        let mut h = hash_of(&["a"]);
        h.set_expire(b"a", Some(100));
        for i in 1..=512 {
            h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
        }
        assert_eq!(h.encoding(), Encoding::Hashtable);
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(100));
        assert_eq!(h.len(), 513);
    }

    #[test]
    fn converts_on_size_limits() {
        let mut h = HashValue::new();
        h.set(&[b'x'; 64], b"", TtlOnWrite::Clear);
        assert_eq!(h.encoding(), Encoding::Listpack);
        h.set(b"y", &[b'v'; 65], TtlOnWrite::Clear);
        assert_eq!(h.encoding(), Encoding::Hashtable);

        let mut h = HashValue::new();
        for i in 0..512 {
            h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
        }
        assert_eq!(h.encoding(), Encoding::Listpack);
        h.set(b"one-more", b"v", TtlOnWrite::Clear);
        assert_eq!(h.encoding(), Encoding::Hashtable);
    }

    #[test]
    fn indexed_reads_agree_with_get_index() {
        let mut h = hash_of(&["a", "b", "c"]);
        h.set_expire(b"c", Some(5));
        for encoding in [Encoding::ListpackEx, Encoding::Hashtable] {
            assert_eq!(h.encoding(), encoding);
            let indexed = h.indexed();
            for i in 0..4 {
                assert_eq!(indexed.get(i), h.get_index(i), "{encoding:?} {i}");
            }
            h.prepare_write(MAX_LISTPACK_ENTRIES + 1, 0);
        }
    }

    #[test]
    fn the_time_is_asked_for_only_when_the_field_has_a_ttl() {
        let mut h = hash_of(&["a", "b"]);
        h.set_expire(b"b", Some(1000));
        let mut asked = 0;
        let mut at = |now| {
            asked += 1;
            now
        };
        assert!(matches!(
            h.get_live_or_reclaim_with(b"a", || at(5000)),
            Lookup::Live(_)
        ));
        assert!(matches!(
            h.get_live_or_reclaim_with(b"x", || at(5000)),
            Lookup::Missing
        ));
        assert!(matches!(
            h.get_live_or_reclaim_with(b"b", || at(1000)),
            Lookup::Live(_)
        ));
        assert!(matches!(
            h.get_live_or_reclaim_with(b"b", || at(1001)),
            Lookup::Reclaimed
        ));
        assert_eq!(asked, 2);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn expiry_is_strictly_before_now() {
        let mut h = hash_of(&["a"]);
        h.set_expire(b"a", Some(1000));
        assert!(h.get_live(b"a", 1000).is_some());
        assert!(h.get_live(b"a", 1001).is_none());
        assert!(!h.reclaim_if_expired(b"a", 1000));
        assert!(h.reclaim_if_expired(b"a", 1001));
        assert!(h.is_empty());
    }

    #[test]
    fn scan_sees_every_entry_present_throughout() {
        let mut h = HashValue::new();
        h.prepare_write(600, 1);
        for i in 0..600 {
            h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            let (next, range) = h.scan_step(cursor, 50);
            for i in range {
                seen.insert(h.get_index(i).unwrap().field.to_vec());
            }
            // Delete a field we have seen and one we have not, mid-scan.
            if step == 2 {
                h.remove(b"f599");
                h.remove(b"f0");
            }
            step += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        for i in 1..599 {
            assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} missed");
        }
    }
}
