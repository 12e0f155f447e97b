//! One database: keys mapped to values.
//!
//! Hash values are what we test; string values exist so that WRONGTYPE can be provoked.
//! Invariant: an empty hash is never stored. Every path that can empty a hash ends with
//! `remove_if_empty`, as Redis deletes the key the moment its last field goes.
//!
//! A key may carry a deadline (EXPIRE and friends), kept beside the values as Redis keeps
//! its `expires` dict: only keys that exist have one, and every path that deletes or
//! replaces a value drops it. Expiry is lazy and needs the command's time, so the keyspace
//! never reads a clock: `expire_if_needed` is called with it, for each key a command names,
//! before the command runs (see `command::dispatch`).

use hashbrown::HashMap;

use crate::error::CommandError;
use crate::hash::fold::FixedState;
use crate::hash::{FieldView, HashValue, Lookup};

/// A stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Hash(HashValue),
    String(Vec<u8>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Hash(_) => "hash",
            Value::String(_) => "string",
        }
    }
}

/// The keys of one database.
///
/// WHY hashbrown with a fixed hash: a lookup by `&[u8]` that allocates only when a key is
/// inserted (`entry_ref`), and no SipHash on every command.
#[derive(Debug, Clone, Default)]
pub struct Keyspace {
    entries: HashMap<Vec<u8>, Value, FixedState>,
    /// Key deadlines in unix ms, for keys in `entries` only.
    expires: HashMap<Vec<u8>, i64, FixedState>,
    /// Fields deleted because they expired, lazily or in the background: this database's
    /// share of INFO's `expired_subkeys`. Kept here because lazy expiry happens here.
    expired_fields: u64,
    /// Keys deleted because their own deadline passed, lazily or in the background: this
    /// database's share of INFO's `expired_keys`.
    expired_keys: u64,
}

impl Keyspace {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of keys (DBSIZE). Hashes whose fields have all expired still count, as in
    /// Redis, until something reclaims them.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.entries.get(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.entries.contains_key(key)
    }

    /// The hash at `key`, `None` if the key is missing, WRONGTYPE if it holds something else.
    pub fn hash(&self, key: &[u8]) -> Result<Option<&HashValue>, CommandError> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// Mutable access to the hash at `key`. Call `remove_if_empty` after removing fields.
    pub fn hash_mut(&mut self, key: &[u8]) -> Result<Option<&mut HashValue>, CommandError> {
        match self.entries.get_mut(key) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The hash at `key`, created empty if missing. The caller must add a field (or call
    /// `remove_if_empty`) before returning, so no empty hash is left behind.
    pub fn hash_or_create(&mut self, key: &[u8]) -> Result<&mut HashValue, CommandError> {
        // The key is copied only when it is new.
        let value = self
            .entries
            .entry_ref(key)
            .or_insert_with(|| Value::Hash(HashValue::new()));
        match value {
            Value::Hash(h) => Ok(h),
            _ => Err(CommandError::WrongType),
        }
    }

    /// Checks that `key` is missing or a hash, without touching it.
    pub fn check_hash(&self, key: &[u8]) -> Result<(), CommandError> {
        self.hash(key).map(|_| ())
    }

    /// Lazy expiry of one field, as Redis does when a command touches it: deletes `field`
    /// from the hash at `key` if it is expired at `now_ms`, and the key too if that emptied
    /// the hash. Afterwards the field is either alive or absent. WRONGTYPE if `key` holds
    /// something else; a missing key or field is left alone.
    pub fn reclaim_field(
        &mut self,
        key: &[u8],
        field: &[u8],
        now_ms: i64,
    ) -> Result<(), CommandError> {
        if let Some(h) = self.hash_mut(key)? {
            if h.reclaim_if_expired(field, now_ms) {
                self.count_expired(1);
                self.remove_if_empty(key);
            }
        }
        Ok(())
    }

    /// Reads `field` of the hash at `key` with lazy expiry, in one lookup of each: `read`
    /// gets the field if it is alive at `now_ms`, else `None`. An expired field is deleted
    /// first, and the key too if that emptied the hash (what `reclaim_field` then a `get`
    /// do). WRONGTYPE if `key` holds something else.
    pub fn read_live_field<R>(
        &mut self,
        key: &[u8],
        field: &[u8],
        now_ms: i64,
        read: impl FnOnce(Option<FieldView<'_>>) -> R,
    ) -> Result<R, CommandError> {
        self.read_live_field_with(key, field, || now_ms, read)
    }

    /// `read_live_field` that asks for the time only if the field has a TTL.
    pub fn read_live_field_with<R>(
        &mut self,
        key: &[u8],
        field: &[u8],
        now_ms: impl FnOnce() -> i64,
        read: impl FnOnce(Option<FieldView<'_>>) -> R,
    ) -> Result<R, CommandError> {
        let Some(hash) = self.hash_mut(key)? else {
            return Ok(read(None));
        };
        match hash.get_live_or_reclaim_with(field, now_ms) {
            Lookup::Live(f) => Ok(read(Some(f))),
            Lookup::Missing => Ok(read(None)),
            Lookup::Reclaimed => {
                self.count_expired(1);
                self.remove_if_empty(key);
                Ok(read(None))
            }
        }
    }

    /// Counts `n` fields deleted because they expired. Every path that deletes an expired
    /// field calls this (Redis counts lazy and background expiry alike; measured on 8.2.3:
    /// a read that hides an expired field without deleting it, like HGETALL, does not count).
    pub fn count_expired(&mut self, n: usize) {
        self.expired_fields += n as u64;
    }

    /// Keys this database deleted because their deadline passed, since the last reset. A
    /// key deleted because its last field expired is not one (measured on 8.2.3).
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys
    }

    /// Fields this database deleted because they expired, since the last reset.
    pub fn expired_fields(&self) -> u64 {
        self.expired_fields
    }

    /// Zeroes the counters (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        self.expired_fields = 0;
        self.expired_keys = 0;
    }

    /// Deletes `key` if it holds an empty hash. Returns whether it did.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = matches!(self.entries.get(key), Some(Value::Hash(h)) if h.is_empty());
        if empty {
            self.remove(key);
        }
        empty
    }

    /// Deletes `key`, and its deadline. Returns whether it existed.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        self.entries.remove(key).is_some()
    }

    /// Takes `key` out with its deadline (RENAME, MOVE).
    pub fn take(&mut self, key: &[u8]) -> Option<(Value, Option<i64>)> {
        let value = self.entries.remove(key)?;
        Some((value, self.expires.remove(key)))
    }

    /// Stores `value` at `key` with `deadline`, replacing whatever was there and its
    /// deadline (RENAME, COPY, MOVE). An empty hash is refused.
    pub fn put(&mut self, key: &[u8], value: Value, deadline: Option<i64>) {
        self.insert(key, value);
        if let Some(ms) = deadline {
            self.expires.insert(key.to_vec(), ms);
        }
    }

    /// Stores a string value, replacing whatever was there and its deadline (SET without
    /// KEEPTTL).
    pub fn set_string(&mut self, key: &[u8], value: &[u8]) {
        self.insert(key, Value::String(value.to_vec()));
    }

    /// Inserts a value as is, without a deadline (tests and loaders). An empty hash is
    /// refused.
    pub fn insert(&mut self, key: &[u8], value: Value) {
        if let Value::Hash(h) = &value {
            assert!(!h.is_empty(), "an empty hash must never be stored");
        }
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        self.entries.entry_ref(key).insert(value);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.expires.clear();
    }

    /// Whether any key has a deadline: when none does, no command needs the time to know
    /// which keys exist.
    pub fn has_deadlines(&self) -> bool {
        !self.expires.is_empty()
    }

    /// How many keys have a deadline (INFO keyspace's `expires`).
    pub fn deadlines(&self) -> usize {
        self.expires.len()
    }

    /// `key`'s deadline in unix ms, `None` if it has none (or does not exist).
    pub fn deadline(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// Gives an existing `key` a deadline. Returns whether the key exists.
    pub fn set_deadline(&mut self, key: &[u8], deadline_ms: i64) -> bool {
        if !self.entries.contains_key(key) {
            return false;
        }
        self.expires.insert(key.to_vec(), deadline_ms);
        true
    }

    /// Drops `key`'s deadline (PERSIST). Returns whether it had one.
    pub fn clear_deadline(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// Whether `key` has a deadline at or before `now_ms` (Redis's `keyIsExpired`).
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.expires.get(key).is_some_and(|&at| at <= now_ms)
    }

    /// Lazy expiry of a whole key, as Redis's `expireIfNeeded` when a command looks a key
    /// up: deletes `key` if its deadline has passed at `now_ms`. Returns whether it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        let expired = self.is_expired(key, now_ms);
        if expired {
            self.remove(key);
            self.expired_keys += 1;
        }
        expired
    }

    /// Every hash, mutably, in no particular order (DEBUG RELOAD re-encodes them).
    pub fn hashes_mut(&mut self) -> impl Iterator<Item = &mut HashValue> + '_ {
        self.entries.values_mut().filter_map(|v| match v {
            Value::Hash(h) => Some(h),
            Value::String(_) => None,
        })
    }

    /// All keys and values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Value)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_slice(), v))
    }
}
