//! The big-hash representation: an insertion-ordered hash table of packed entries.
//!
//! A field and its value (and its expire time, when it has one) are packed into one byte
//! string, kept inside the entry vector when it fits in 30 bytes and boxed otherwise. A
//! short field costs 32 bytes of vector and about five bytes of index (a `u32` slot and a
//! control byte in a hash table that is at least one-eighth empty), and no allocation of
//! its own. `IndexMap<Box<[u8]>, Entry>` costs two allocations, a cached hash and three more
//! words per field; at a million fields that is the difference between meeting and missing
//! the memory budget of twice what Redis uses.
//!
//! Order: entries sit in a vector in insertion order, and removal swaps the last entry into
//! the hole. `HashValue::scan_step` counts on exactly that: an entry only ever moves from
//! the end towards the front. `retain` also moves entries only towards the front (it keeps
//! their relative order). The hasher is fixed, not randomly seeded, and order depends only
//! on the vector anyway, so a given sequence of operations always gives the same order.
//!
//! A packed entry is
//!
//! ```text
//! varint(field_len << 1 | has_ttl)  field  value  [expire_at_ms: i64 LE]
//! ```
//!
//! The value needs no length: the packed string knows its own.

use std::fmt;

use hashbrown::HashTable;

use super::entry_bytes::{header, read_varint, varint_len, write_varint, TTL_BYTES};
use super::field::FieldView;
use super::fold::hash_bytes;

/// An insertion-ordered hash table of fields with swap-remove.
#[derive(Clone, Default)]
pub struct Table {
    /// Indexes into `entries`, hashed by field.
    index: HashTable<u32>,
    entries: Vec<Packed>,
}

/// The most bytes an entry may take to be stored inline.
const INLINE: usize = 30;

/// One field, its value and its expire time, packed: inside the entry vector itself when
/// they fit in `INLINE` bytes, else in one allocation of their own.
///
/// WHY inline: a lookup reads the slot, then the entry, then (for a boxed entry) the bytes,
/// each a likely cache miss in a big hash; inline saves the last one, and the allocator's
/// header and rounding too (a 25-byte field+value costs 32 bytes inline, 16 + 32 boxed).
/// Aligned to 32 so that no entry straddles two cache lines.
#[derive(Clone)]
#[repr(align(32))]
enum Packed {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<[u8]>),
}

impl Packed {
    fn new(field: &[u8], value: &[u8], expire_at_ms: Option<i64>) -> Self {
        let header = header(field.len(), expire_at_ms.is_some());
        let ttl_len = if expire_at_ms.is_some() { TTL_BYTES } else { 0 };
        let size = varint_len(header) + field.len() + value.len() + ttl_len;
        let write = |out: &mut [u8]| {
            let mut at = write_varint(out, 0, header);
            out[at..at + field.len()].copy_from_slice(field);
            at += field.len();
            out[at..at + value.len()].copy_from_slice(value);
            at += value.len();
            if let Some(ttl) = expire_at_ms {
                out[at..at + TTL_BYTES].copy_from_slice(&ttl.to_le_bytes());
            }
        };
        if size <= INLINE {
            let mut bytes = [0; INLINE];
            write(&mut bytes[..size]);
            Packed::Inline {
                len: size as u8,
                bytes,
            }
        } else {
            let mut bytes = vec![0; size].into_boxed_slice();
            write(&mut bytes);
            Packed::Boxed(bytes)
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Packed::Inline { len, bytes } => &bytes[..*len as usize],
            Packed::Boxed(bytes) => bytes,
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Packed::Inline { len, bytes } => &mut bytes[..*len as usize],
            Packed::Boxed(bytes) => bytes,
        }
    }

    /// Heap bytes owned beyond the entry itself.
    fn heap_bytes(&self) -> usize {
        match self {
            Packed::Inline { .. } => 0,
            Packed::Boxed(bytes) => bytes.len(),
        }
    }

    fn view(&self) -> FieldView<'_> {
        let bytes = self.bytes();
        let (header, field_at) = read_varint(bytes, 0);
        let value_at = field_at + (header >> 1) as usize;
        let has_ttl = header & 1 == 1;
        let value_end = bytes.len() - if has_ttl { TTL_BYTES } else { 0 };
        FieldView {
            field: &bytes[field_at..value_at],
            value: &bytes[value_at..value_end],
            expire_at_ms: has_ttl
                .then(|| i64::from_le_bytes(bytes[value_end..].try_into().expect("8 bytes"))),
        }
    }

    #[inline]
    fn field(&self) -> &[u8] {
        let bytes = self.bytes();
        let (header, field_at) = read_varint(bytes, 0);
        &bytes[field_at..field_at + (header >> 1) as usize]
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Packed {}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// A table with room for `capacity` fields (for converting a listpack in one go).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            index: HashTable::with_capacity(capacity),
            entries: Vec::with_capacity(capacity),
        }
    }

    /// The number of fields, expired or not.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `field`.
    pub fn get(&self, field: &[u8]) -> Option<FieldView<'_>> {
        self.position(field).map(|i| self.entries[i].view())
    }

    /// The index of `field`.
    pub fn position(&self, field: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(hash_field(field), |&i| {
                same_bytes(entries[i as usize].field(), field)
            })
            .map(|&i| i as usize)
    }

    /// Starts loading `field`'s entry into the cache and returns without waiting for it.
    /// Changes nothing. A server calls it for the next command of a pipelined batch while
    /// it runs this one: in a big hash a lookup's time is mostly the wait for the entry
    /// (about seven tenths of `position` at `-P 64` with 100,000 fields), and that wait can
    /// overlap the work of the command before.
    pub fn prefetch(&self, field: &[u8]) {
        let entries = &self.entries;
        // The first slot whose control byte matches holds `field` but for about one probe
        // in 128; a wrong guess only loads a useless line. The field is not compared, since
        // comparing would wait for the very load this starts.
        self.index.find(hash_field(field), |&i| {
            if let Some(entry) = entries.get(i as usize) {
                prefetch_line(entry);
            }
            true
        });
    }

    /// The entry at `index`.
    pub fn get_index(&self, index: usize) -> Option<FieldView<'_>> {
        self.entries.get(index).map(Packed::view)
    }

    /// All entries, in index order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// Appends a field and returns its index. The caller makes sure `field` is not present.
    pub fn push(&mut self, field: &[u8], value: &[u8], expire_at_ms: Option<i64>) -> usize {
        debug_assert!(self.position(field).is_none(), "duplicate field");
        let index = self.entries.len();
        let slot = u32::try_from(index).expect("a table holds fewer than 2^32 fields");
        self.entries.push(Packed::new(field, value, expire_at_ms));
        let entries = &self.entries;
        self.index.insert_unique(hash_field(field), slot, |&i| {
            hash_field(entries[i as usize].field())
        });
        index
    }

    /// Replaces the value at `index`, keeping its field and TTL. Returns false if there is
    /// no such entry.
    pub fn set_value(&mut self, index: usize, value: &[u8]) -> bool {
        let Some(entry) = self.entries.get_mut(index) else {
            return false;
        };
        let old = entry.view();
        if old.value.len() == value.len() {
            // Same length: overwrite in place, no allocation (the common HSET of a counter
            // or a fixed-size value).
            let (header, field_at) = read_varint(entry.bytes(), 0);
            let value_at = field_at + (header >> 1) as usize;
            entry.bytes_mut()[value_at..value_at + value.len()].copy_from_slice(value);
        } else {
            *entry = Packed::new(old.field, value, old.expire_at_ms);
        }
        true
    }

    /// Sets or clears the expire time at `index`. Returns false if there is no such entry.
    pub fn set_expire(&mut self, index: usize, expire_at_ms: Option<i64>) -> bool {
        let Some(entry) = self.entries.get_mut(index) else {
            return false;
        };
        let old = entry.view();
        match (old.expire_at_ms, expire_at_ms) {
            (None, None) => {}
            (Some(_), Some(at)) => {
                let bytes = entry.bytes_mut();
                let end = bytes.len();
                bytes[end - TTL_BYTES..].copy_from_slice(&at.to_le_bytes());
            }
            // Adding or dropping the eight bytes means repacking.
            _ => *entry = Packed::new(old.field, old.value, expire_at_ms),
        }
        true
    }

    /// Removes `field`, moving the last entry into its place. Returns whether it was there.
    pub fn swap_remove(&mut self, field: &[u8]) -> bool {
        let entries = &self.entries;
        match self.index.find_entry(hash_field(field), |&i| {
            same_bytes(entries[i as usize].field(), field)
        }) {
            Ok(slot) => {
                let (index, _) = slot.remove();
                self.fill_hole(index as usize);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes the entry at `index`, moving the last entry into its place. Returns false if
    /// there is no such entry.
    pub fn swap_remove_index(&mut self, index: usize) -> bool {
        let Some(entry) = self.entries.get(index) else {
            return false;
        };
        match self
            .index
            .find_entry(hash_field(entry.field()), |&i| i as usize == index)
        {
            Ok(slot) => {
                slot.remove();
            }
            Err(_) => unreachable!("entry {index} is missing from the index"),
        }
        self.fill_hole(index);
        true
    }

    /// Keeps only the entries for which `keep` returns true; the survivors keep their
    /// relative order. `keep` sees each entry once, in index order. Returns how many were
    /// removed.
    pub fn retain(&mut self, mut keep: impl FnMut(FieldView<'_>) -> bool) -> usize {
        // New index of each entry, or GONE. Indexes only shrink, so nothing moves backwards.
        const GONE: u32 = u32::MAX;
        let mut next = 0u32;
        let remap: Vec<u32> = self
            .entries
            .iter()
            .map(|e| {
                if keep(e.view()) {
                    next += 1;
                    next - 1
                } else {
                    GONE
                }
            })
            .collect();
        let removed = self.entries.len() - next as usize;
        if removed == 0 {
            return 0;
        }
        self.index.retain(|slot| {
            *slot = remap[*slot as usize];
            *slot != GONE
        });
        let mut i = 0;
        self.entries.retain(|_| {
            i += 1;
            remap[i - 1] != GONE
        });
        self.tighten();
        removed
    }

    /// After the entry at `hole` left the index: moves the last entry into the hole.
    fn fill_hole(&mut self, hole: usize) {
        let last = self.entries.len() - 1;
        if hole != last {
            let moved = self
                .index
                .find_mut(hash_field(self.entries[last].field()), |&i| {
                    i as usize == last
                })
                .expect("the last entry is in the index");
            *moved = hole as u32;
        }
        self.entries.swap_remove(hole);
        self.tighten();
    }

    /// Gives memory back once the table is under an eighth full, as Redis shrinks a dict.
    fn tighten(&mut self) {
        let len = self.entries.len();
        if self.entries.capacity() > 64 && len < self.entries.capacity() / 8 {
            self.entries.shrink_to_fit();
        }
        if self.index.capacity() > 64 && len < self.index.capacity() / 8 {
            let entries = &self.entries;
            self.index
                .shrink_to_fit(|&i| hash_field(entries[i as usize].field()));
        }
    }

    /// Bytes allocated, allocator rounding aside: the boxed entries, the entry vector, and
    /// the index (a u32 and a control byte per bucket, counting buckets as capacity * 8/7).
    pub fn heap_bytes(&self) -> usize {
        let boxes: usize = self.entries.iter().map(Packed::heap_bytes).sum();
        let vector = self.entries.capacity() * std::mem::size_of::<Packed>();
        let buckets = (self.index.capacity() * 8).div_ceil(7);
        boxes + vector + buckets * (std::mem::size_of::<u32>() + 1)
    }
}

impl PartialEq for Table {
    /// Same fields in the same order; the index follows from the entries.
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Table {}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The entries of a [`Table`], in index order.
pub struct Iter<'a>(std::slice::Iter<'a, Packed>);

impl<'a> Iterator for Iter<'a> {
    type Item = FieldView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(Packed::view)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A hint to the CPU to load the cache line holding `entry`. Entries are aligned to 32
/// bytes, so one line holds the whole of an inline one.
#[inline]
fn prefetch_line(entry: &Packed) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint; it never faults and reads nothing the program
        // sees. The pointer comes from a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((entry as *const Packed).cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = entry;
}

/// Fields are hashed with the engine's fixed hash (see `fold`).
fn hash_field(bytes: &[u8]) -> u64 {
    hash_bytes(bytes)
}

/// `a == b`, with fields of 4 to 32 bytes compared in a few word loads (overlapping when
/// the length is not a multiple of the word), where `==` calls memcmp: a lookup in a big
/// hash compares once, and the call costs as much as the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
    }
    fn half(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
