//! The small-hash representation: every entry of a hash in one contiguous byte buffer.
//!
//! Redis keeps a hash of at most 512 short fields as a listpack: one allocation holding the
//! entries back to back, searched by a linear scan. We copy the idea, not the format, for
//! the same reason: a 100-field hash costs one allocation of about 2.5 KB instead of 200
//! boxed strings plus a hash table, and a scan over a few kilobytes is as fast as hashing.
//!
//! An entry is laid out as
//!
//! ```text
//! varint(field_len << 1 | has_ttl)  field  varint(value_len)  value  [expire_at_ms: i64 LE]
//! ```
//!
//! WHY this order: the field comes before the value's length, so rewriting a value (or a
//! TTL) only touches the bytes after the field; and the TTL flag is the low bit of the first
//! byte, so flipping it never changes the header's length.
//!
//! Positions are entry indexes in order. Every lookup is a scan from the start, as in Redis.
//! The structure keeps order exactly: appends go last, removals close the gap, and
//! `move_index` is the one way to reorder (the listpackex TTL order is decided by the caller).
//! The buffer grows by an eighth at a time and shrinks back after removals, so its slack
//! stays small, unlike a `Vec`'s doubling.

use std::fmt;

use super::entry_bytes::{header, put_varint, read_varint, varint_len, write_varint, TTL_BYTES};
use super::field::FieldView;

/// A hash's entries packed in one buffer, in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    /// The number of entries (the buffer itself does not say).
    len: u32,
}

/// Where an entry sits in the buffer and what is in it, once decoded.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    /// Where the value's length varint begins (just after the field).
    value_header: usize,
    /// Where the expire time begins, or the end of the entry when there is none.
    ttl_at: usize,
    end: usize,
    has_ttl: bool,
}

/// An entry located by [`Listpack::find`]. Valid until the listpack next changes.
#[derive(Clone, Copy)]
pub struct Found {
    /// The entry's index in order.
    pub index: usize,
    span: Span,
}

impl Listpack {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries, expired or not.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes the entries take.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The bytes allocated (what the hash costs in memory, allocator rounding aside).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The entry for `field`, by linear scan.
    pub fn get(&self, field: &[u8]) -> Option<FieldView<'_>> {
        self.find(field).map(|at| self.view_at(at))
    }

    /// The index of `field`, by linear scan.
    pub fn position(&self, field: &[u8]) -> Option<usize> {
        self.find(field).map(|at| at.index)
    }

    /// Where `field` is, by linear scan: a handle for the `*_at` methods, so that reading
    /// and then changing an entry costs one scan.
    pub fn find(&self, field: &[u8]) -> Option<Found> {
        let mut at = 0;
        for index in 0..self.len() {
            // Only an entry whose field has the right length is compared byte by byte.
            let (head, field_at) = read_varint(&self.buf, at);
            let field_end = field_at + (head >> 1) as usize;
            if field_end - field_at == field.len() && &self.buf[field_at..field_end] == field {
                let span = decode(&self.buf, at);
                return Some(Found { index, span });
            }
            let (value_len, value_at) = read_varint(&self.buf, field_end);
            at = value_at + value_len as usize + if head & 1 == 1 { TTL_BYTES } else { 0 };
        }
        None
    }

    /// The entry at `index` (a scan: entries have no fixed size).
    pub fn get_index(&self, index: usize) -> Option<FieldView<'_>> {
        self.span_at(index).map(|span| self.view(span))
    }

    /// The entry that `find` located.
    pub fn view_at(&self, at: Found) -> FieldView<'_> {
        self.view(at.span)
    }

    /// All entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
            remaining: self.len(),
        }
    }

    /// Appends an entry. The caller makes sure `field` is not present already.
    pub fn push(&mut self, field: &[u8], value: &[u8], expire_at_ms: Option<i64>) {
        debug_assert!(self.position(field).is_none(), "duplicate field");
        let size = entry_size(field.len(), value.len(), expire_at_ms.is_some());
        self.reserve(size);
        put_varint(&mut self.buf, header(field.len(), expire_at_ms.is_some()));
        self.buf.extend_from_slice(field);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(value);
        if let Some(at) = expire_at_ms {
            self.buf.extend_from_slice(&at.to_le_bytes());
        }
        self.len = self
            .len
            .checked_add(1)
            .expect("listpack entry count overflow");
    }

    /// Replaces the value of the entry at `index`, keeping its field, TTL and position.
    /// Returns false if there is no such entry.
    pub fn set_value(&mut self, index: usize, value: &[u8]) -> bool {
        let Some(span) = self.span_at(index) else {
            return false;
        };
        self.set_value_span(span, value);
        true
    }

    /// `set_value` on the entry that `find` located.
    pub fn set_value_at(&mut self, at: Found, value: &[u8]) {
        self.set_value_span(at.span, value);
    }

    /// Sets or clears the expire time of the entry at `index`, without moving it. Returns
    /// false if there is no such entry.
    pub fn set_expire(&mut self, index: usize, expire_at_ms: Option<i64>) -> bool {
        let Some(span) = self.span_at(index) else {
            return false;
        };
        self.set_expire_span(span, expire_at_ms);
        true
    }

    /// `set_expire` on the entry that `find` located.
    pub fn set_expire_at(&mut self, at: Found, expire_at_ms: Option<i64>) {
        self.set_expire_span(at.span, expire_at_ms);
    }

    /// Removes the entry at `index`, closing the gap. Returns false if there is none.
    pub fn remove_index(&mut self, index: usize) -> bool {
        let Some(span) = self.span_at(index) else {
            return false;
        };
        self.remove_span(span);
        true
    }

    /// Removes `field`, closing the gap. Returns whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(at) = self.find(field) else {
            return false;
        };
        self.remove_at(at);
        true
    }

    /// Removes the entry that `find` located, closing the gap.
    pub fn remove_at(&mut self, at: Found) {
        self.remove_span(at.span);
    }

    /// Moves the entry at `from` so that it ends up at index `to`, shifting the entries in
    /// between by one (as `IndexMap::move_index` does). Out-of-range indexes panic.
    pub fn move_index(&mut self, from: usize, to: usize) {
        let len = self.len();
        assert!(
            from < len && to < len,
            "move_index({from}, {to}) on {len} entries"
        );
        if from == to {
            return;
        }
        let moved = self.span_at(from).expect("checked above");
        let size = moved.end - moved.start;
        let other = self.span_at(to).expect("checked above");
        if from < to {
            // The entry jumps over the ones after it, up to and including `to`.
            self.buf[moved.start..other.end].rotate_left(size);
        } else {
            self.buf[other.start..moved.end].rotate_right(size);
        }
    }

    /// Keeps only the entries for which `keep` returns true, in order. `keep` sees each
    /// entry once, front to back. Returns how many were removed.
    pub fn retain(&mut self, mut keep: impl FnMut(FieldView<'_>) -> bool) -> usize {
        let mut read = 0;
        let mut write = 0;
        let mut kept = 0u32;
        for _ in 0..self.len {
            let span = decode(&self.buf, read);
            if keep(view_of(&self.buf, span)) {
                self.buf.copy_within(span.start..span.end, write);
                write += span.end - span.start;
                kept += 1;
            }
            read = span.end;
        }
        let removed = (self.len - kept) as usize;
        self.buf.truncate(write);
        self.len = kept;
        self.tighten();
        removed
    }

    fn set_value_span(&mut self, span: Span, value: &[u8]) {
        let ttl = self.ttl(span);
        let size = varint_len(value.len() as u64) + value.len() + ttl.map_or(0, |_| TTL_BYTES);
        // Rewrite the value's length, the value and the TTL in place, after making the room
        // they need (an overwrite with a value of the same length moves nothing).
        let mut at = self.resize_range(span.value_header..span.end, size);
        at = write_varint(&mut self.buf, at, value.len() as u64);
        self.buf[at..at + value.len()].copy_from_slice(value);
        if let Some(ttl) = ttl {
            at += value.len();
            self.buf[at..at + TTL_BYTES].copy_from_slice(&ttl.to_le_bytes());
        }
    }

    fn set_expire_span(&mut self, span: Span, expire_at_ms: Option<i64>) {
        // The flag is bit 0 of the first varint byte: flipping it keeps the header's length.
        match expire_at_ms {
            Some(_) => self.buf[span.start] |= 1,
            None => self.buf[span.start] &= !1,
        }
        let size = expire_at_ms.map_or(0, |_| TTL_BYTES);
        let at = self.resize_range(span.ttl_at..span.end, size);
        if let Some(ttl) = expire_at_ms {
            self.buf[at..at + TTL_BYTES].copy_from_slice(&ttl.to_le_bytes());
        }
    }

    fn remove_span(&mut self, span: Span) {
        self.resize_range(span.start..span.end, 0);
        self.len -= 1;
    }

    fn span_at(&self, index: usize) -> Option<Span> {
        if index >= self.len() {
            return None;
        }
        let mut span = decode(&self.buf, 0);
        for _ in 0..index {
            span = decode(&self.buf, span.end);
        }
        Some(span)
    }

    fn view(&self, span: Span) -> FieldView<'_> {
        view_of(&self.buf, span)
    }

    fn ttl(&self, span: Span) -> Option<i64> {
        ttl_of(&self.buf, span)
    }

    /// Makes the bytes in `range` take `size` bytes instead, moving the rest of the buffer,
    /// and returns where they start. Their content is left for the caller to write.
    fn resize_range(&mut self, range: std::ops::Range<usize>, size: usize) -> usize {
        let old = range.len();
        if size > old {
            let grow = size - old;
            self.reserve(grow);
            let tail = range.end;
            self.buf.resize(self.buf.len() + grow, 0);
            let end = self.buf.len();
            self.buf.copy_within(tail..end - grow, tail + grow);
        } else if size < old {
            let shrink = old - size;
            let end = self.buf.len();
            self.buf.copy_within(range.end..end, range.end - shrink);
            self.buf.truncate(end - shrink);
            self.tighten();
        }
        range.start
    }

    /// Makes room for `extra` more bytes, growing by an eighth of the buffer at least, so
    /// that appending one entry at a time is not quadratic yet the slack stays small.
    fn reserve(&mut self, extra: usize) {
        let free = self.buf.capacity() - self.buf.len();
        if free < extra {
            let step = extra.max(self.buf.len() / 8).max(16);
            self.buf.reserve_exact(step);
        }
    }

    /// Gives memory back once removals leave more than a quarter of the buffer unused.
    fn tighten(&mut self) {
        let len = self.buf.len();
        if self.buf.capacity() > len + len / 4 + 32 {
            self.buf.shrink_to(len + len / 8);
        }
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The entries of a [`Listpack`], front to back.
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = FieldView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let span = decode(self.buf, self.at);
        self.at = span.end;
        self.remaining -= 1;
        Some(view_of(self.buf, span))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

fn entry_size(field_len: usize, value_len: usize, has_ttl: bool) -> usize {
    varint_len(header(field_len, has_ttl))
        + field_len
        + varint_len(value_len as u64)
        + value_len
        + if has_ttl { TTL_BYTES } else { 0 }
}

/// Decodes the entry starting at `start`. The buffer is only ever written by this module,
/// so a malformed entry is a bug and panics (by slice indexing).
fn decode(buf: &[u8], start: usize) -> Span {
    let (head, mut at) = read_varint(buf, start);
    let has_ttl = head & 1 == 1;
    at += (head >> 1) as usize;
    let value_header = at;
    let (value_len, value_at) = read_varint(buf, at);
    let ttl_at = value_at + value_len as usize;
    let end = ttl_at + if has_ttl { TTL_BYTES } else { 0 };
    debug_assert!(end <= buf.len(), "entry runs past the buffer");
    Span {
        start,
        value_header,
        ttl_at,
        end,
        has_ttl,
    }
}

fn field_range(buf: &[u8], span: Span) -> std::ops::Range<usize> {
    let (_, field_at) = read_varint(buf, span.start);
    field_at..span.value_header
}

fn ttl_of(buf: &[u8], span: Span) -> Option<i64> {
    span.has_ttl.then(|| {
        let bytes: [u8; TTL_BYTES] = buf[span.ttl_at..span.end].try_into().expect("8 bytes");
        i64::from_le_bytes(bytes)
    })
}

fn view_of(buf: &[u8], span: Span) -> FieldView<'_> {
    let (_, value_at) = read_varint(buf, span.value_header);
    FieldView {
        field: &buf[field_range(buf, span)],
        value: &buf[value_at..span.ttl_at],
        expire_at_ms: ttl_of(buf, span),
    }
}

#[cfg(test)]
mod tests;
