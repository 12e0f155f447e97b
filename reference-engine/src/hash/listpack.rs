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

use super::FieldView;

/// The bytes an expire time takes when present.
const TTL_BYTES: usize = 8;

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

fn header(field_len: usize, has_ttl: bool) -> u64 {
    ((field_len as u64) << 1) | u64::from(has_ttl)
}

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

/// Appends `n` as LEB128: seven bits a byte, low bits first, high bit set on all but the
/// last byte. Lengths under 128 take one byte.
pub(super) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes `n` as LEB128 at `at`, over bytes already there, and returns the index after it.
pub(super) fn write_varint(buf: &mut [u8], mut at: usize, mut n: u64) -> usize {
    while n >= 0x80 {
        buf[at] = (n as u8) | 0x80;
        n >>= 7;
        at += 1;
    }
    buf[at] = n as u8;
    at + 1
}

/// Reads a LEB128 varint at `at`: the number and the index just after it.
pub(super) fn read_varint(buf: &[u8], mut at: usize) -> (u64, usize) {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let byte = buf[at];
        at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (n, at);
        }
        shift += 7;
    }
}

pub(super) fn varint_len(n: u64) -> usize {
    let bits = 64 - (n | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lp: &Listpack) -> Vec<String> {
        lp.iter()
            .map(|e| String::from_utf8(e.field.to_vec()).unwrap())
            .collect()
    }

    fn of(names: &[&str]) -> Listpack {
        let mut lp = Listpack::new();
        for n in names {
            lp.push(n.as_bytes(), format!("v-{n}").as_bytes(), None);
        }
        lp
    }

    #[test]
    fn varints_round_trip_at_every_length_boundary() {
        for n in [
            0u64,
            1,
            63,
            127,
            128,
            255,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = vec![0xee];
            put_varint(&mut out, n);
            assert_eq!(out.len() - 1, varint_len(n), "{n}");
            assert_eq!(read_varint(&out, 1), (n, out.len()), "{n}");
        }
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
    }

    #[test]
    fn push_get_and_position() {
        let mut lp = of(&["a", "bb", "ccc"]);
        lp.push(b"", b"", Some(-5));
        assert_eq!(lp.len(), 4);
        assert_eq!(names(&lp), ["a", "bb", "ccc", ""]);
        let e = lp.get(b"bb").unwrap();
        assert_eq!(
            (e.field, e.value, e.expire_at_ms),
            (&b"bb"[..], &b"v-bb"[..], None)
        );
        assert_eq!(lp.get(b"").unwrap().expire_at_ms, Some(-5));
        assert_eq!(lp.position(b"ccc"), Some(2));
        assert_eq!(lp.position(b"c"), None);
        assert!(lp.get(b"b").is_none());
        assert_eq!(lp.get_index(1).unwrap().field, b"bb");
        assert!(lp.get_index(4).is_none());
    }

    #[test]
    fn a_field_that_looks_like_a_header_is_not_confused() {
        // Field bytes equal to encoded headers must not derail the scan.
        let mut lp = Listpack::new();
        lp.push(&[0x03, 0x80], &[0x81, 0x01], Some(7));
        lp.push(&[0x80; 3], b"", None);
        assert_eq!(lp.get(&[0x80; 3]).unwrap().value, b"");
        assert_eq!(lp.get(&[0x03, 0x80]).unwrap().value, [0x81, 0x01]);
        assert!(lp.get(&[0x03]).is_none());
    }

    #[test]
    fn long_fields_and_values_use_multi_byte_lengths() {
        let field = vec![b'f'; 300];
        let value = vec![b'v'; 70_000];
        let mut lp = of(&["x"]);
        lp.push(&field, &value, Some(i64::MAX));
        lp.push(b"y", b"1", None);
        assert_eq!(lp.get(&field).unwrap().value.len(), 70_000);
        assert_eq!(lp.get(&field).unwrap().expire_at_ms, Some(i64::MAX));
        assert_eq!(names(&lp)[2], "y");
        assert!(lp.set_value(1, b"short"));
        assert_eq!(lp.get(&field).unwrap().value, b"short");
        assert_eq!(lp.get(b"y").unwrap().value, b"1");
    }

    #[test]
    fn set_value_keeps_position_and_ttl() {
        let mut lp = of(&["a", "b", "c"]);
        lp.set_expire(1, Some(1234));
        assert!(lp.set_value(1, b"a much longer value than before"));
        assert_eq!(names(&lp), ["a", "b", "c"]);
        let b = lp.get(b"b").unwrap();
        assert_eq!(b.value, b"a much longer value than before");
        assert_eq!(b.expire_at_ms, Some(1234));
        assert!(lp.set_value(1, b""));
        assert_eq!(lp.get(b"b").unwrap().value, b"");
        assert_eq!(lp.get(b"c").unwrap().value, b"v-c");
        assert!(!lp.set_value(3, b"x"));
    }

    #[test]
    fn set_expire_adds_changes_and_clears_in_place() {
        let mut lp = of(&["a", "b", "c"]);
        assert!(lp.set_expire(0, Some(100)));
        assert!(lp.set_expire(2, Some(i64::MIN)));
        assert_eq!(lp.get(b"a").unwrap().expire_at_ms, Some(100));
        assert_eq!(lp.get(b"c").unwrap().expire_at_ms, Some(i64::MIN));
        assert!(lp.set_expire(0, Some(200)));
        assert_eq!(lp.get(b"a").unwrap().expire_at_ms, Some(200));
        assert!(lp.set_expire(0, None));
        assert_eq!(lp.get(b"a").unwrap().expire_at_ms, None);
        assert_eq!(lp.get(b"a").unwrap().value, b"v-a");
        assert_eq!(names(&lp), ["a", "b", "c"]);
        assert!(!lp.set_expire(3, None));
    }

    #[test]
    fn removal_closes_the_gap_in_order() {
        let mut lp = of(&["a", "b", "c", "d"]);
        assert!(lp.remove(b"b"));
        assert!(!lp.remove(b"b"));
        assert_eq!(names(&lp), ["a", "c", "d"]);
        assert!(lp.remove_index(2));
        assert!(!lp.remove_index(2));
        assert_eq!(names(&lp), ["a", "c"]);
        lp.push(b"b", b"again", None);
        assert_eq!(names(&lp), ["a", "c", "b"]);
        assert!(lp.remove(b"a") && lp.remove(b"c") && lp.remove(b"b"));
        assert!(lp.is_empty());
        assert_eq!(lp.bytes(), 0);
    }

    #[test]
    fn move_index_behaves_like_indexmap() {
        let mut lp = of(&["a", "b", "c", "d", "e"]);
        lp.set_expire(3, Some(9));
        lp.move_index(3, 0);
        assert_eq!(names(&lp), ["d", "a", "b", "c", "e"]);
        lp.move_index(0, 4);
        assert_eq!(names(&lp), ["a", "b", "c", "e", "d"]);
        lp.move_index(1, 2);
        assert_eq!(names(&lp), ["a", "c", "b", "e", "d"]);
        lp.move_index(2, 2);
        assert_eq!(names(&lp), ["a", "c", "b", "e", "d"]);
        assert_eq!(lp.get(b"d").unwrap().expire_at_ms, Some(9));
        assert_eq!(lp.get(b"e").unwrap().value, b"v-e");
    }

    #[test]
    #[should_panic(expected = "move_index(0, 3) on 3 entries")]
    fn move_index_out_of_range_panics() {
        of(&["a", "b", "c"]).move_index(0, 3);
    }

    #[test]
    fn retain_keeps_order_and_counts() {
        let mut lp = of(&["a", "b", "c", "d", "e"]);
        lp.set_expire(1, Some(5));
        lp.set_expire(3, Some(50));
        let mut seen = Vec::new();
        let removed = lp.retain(|e| {
            seen.push(e.field.to_vec());
            !matches!(e.expire_at_ms, Some(at) if at < 10)
        });
        assert_eq!(removed, 1);
        assert_eq!(seen.len(), 5);
        assert_eq!(names(&lp), ["a", "c", "d", "e"]);
        assert_eq!(lp.get(b"d").unwrap().expire_at_ms, Some(50));
        assert_eq!(lp.retain(|_| false), 4);
        assert!(lp.is_empty());
    }

    #[test]
    fn capacity_stays_tight() {
        let mut lp = Listpack::new();
        for i in 0..512 {
            lp.push(
                format!("field:{i}").as_bytes(),
                format!("value:{i}").as_bytes(),
                None,
            );
            // Growth by an eighth (or 16 bytes when small), never doubling.
            assert!(lp.capacity() <= lp.bytes() + lp.bytes() / 8 + 32, "{i}");
        }
        let full = lp.capacity();
        for i in 0..500 {
            assert!(lp.remove(format!("field:{i}").as_bytes()));
        }
        assert!(lp.capacity() < full / 10, "{} of {full}", lp.capacity());
        assert!(lp.capacity() <= lp.bytes() + lp.bytes() / 4 + 32);
    }

    #[test]
    fn clones_compare_by_content_and_debug_lists_entries() {
        let a = of(&["a", "b"]);
        let mut b = a.clone();
        assert_eq!(a, b);
        b.set_value(0, b"x");
        assert_ne!(a, b);
        let shown = format!("{a:?}");
        assert!(shown.starts_with("[FieldView {"), "{shown}");
        assert_eq!(a.iter().len(), 2);
    }

    mod model {
        //! Random operation sequences against a plain Vec of entries.
        use super::*;
        use proptest::prelude::*;

        type Model = Vec<(Vec<u8>, Vec<u8>, Option<i64>)>;

        #[derive(Debug, Clone)]
        enum Op {
            Push(Vec<u8>, Vec<u8>, Option<i64>),
            SetValue(usize, Vec<u8>),
            SetExpire(usize, Option<i64>),
            SetFound(Vec<u8>, Vec<u8>, Option<i64>),
            Remove(Vec<u8>),
            RemoveIndex(usize),
            Move(usize, usize),
            RetainTtlAtLeast(i64),
        }

        fn bytes() -> impl Strategy<Value = Vec<u8>> {
            // Few distinct short fields so operations collide; sometimes a long one.
            prop_oneof![
                8 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0x80)], 0..3),
                1 => proptest::collection::vec(any::<u8>(), 100..300),
            ]
        }

        fn ttl() -> impl Strategy<Value = Option<i64>> {
            prop_oneof![
                Just(None),
                (-3i64..3).prop_map(Some),
                any::<i64>().prop_map(Some)
            ]
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (bytes(), bytes(), ttl()).prop_map(|(f, v, t)| Op::Push(f, v, t)),
                2 => (0..12usize, bytes()).prop_map(|(i, v)| Op::SetValue(i, v)),
                2 => (0..12usize, ttl()).prop_map(|(i, t)| Op::SetExpire(i, t)),
                2 => (bytes(), bytes(), ttl()).prop_map(|(f, v, t)| Op::SetFound(f, v, t)),
                1 => bytes().prop_map(Op::Remove),
                1 => (0..12usize).prop_map(Op::RemoveIndex),
                2 => (0..12usize, 0..12usize).prop_map(|(a, b)| Op::Move(a, b)),
                1 => (-3i64..3).prop_map(Op::RetainTtlAtLeast),
            ]
        }

        fn apply(lp: &mut Listpack, model: &mut Model, op: Op) {
            match op {
                Op::Push(f, v, t) => {
                    if !model.iter().any(|e| e.0 == f) {
                        lp.push(&f, &v, t);
                        model.push((f, v, t));
                    }
                }
                Op::SetValue(i, v) => {
                    assert_eq!(lp.set_value(i, &v), i < model.len());
                    if let Some(e) = model.get_mut(i) {
                        e.1 = v;
                    }
                }
                Op::SetExpire(i, t) => {
                    assert_eq!(lp.set_expire(i, t), i < model.len());
                    if let Some(e) = model.get_mut(i) {
                        e.2 = t;
                    }
                }
                Op::SetFound(f, v, t) => {
                    // One find, then a value and a TTL written through the same handle.
                    let at = model.iter().position(|e| e.0 == f);
                    let found = lp.find(&f);
                    assert_eq!(found.map(|x| x.index), at);
                    if let (Some(found), Some(at)) = (found, at) {
                        assert_eq!(lp.view_at(found).field, &f[..]);
                        lp.set_value_at(found, &v);
                        // The handle is stale now; find again, as callers must.
                        let found = lp.find(&f).unwrap();
                        lp.set_expire_at(found, t);
                        model[at].1 = v;
                        model[at].2 = t;
                    }
                }
                Op::Remove(f) => {
                    let at = model.iter().position(|e| e.0 == f);
                    assert_eq!(lp.remove(&f), at.is_some());
                    if let Some(at) = at {
                        model.remove(at);
                    }
                }
                Op::RemoveIndex(i) => {
                    assert_eq!(lp.remove_index(i), i < model.len());
                    if i < model.len() {
                        model.remove(i);
                    }
                }
                Op::Move(a, b) => {
                    if a < model.len() && b < model.len() {
                        lp.move_index(a, b);
                        let e = model.remove(a);
                        model.insert(b, e);
                    }
                }
                Op::RetainTtlAtLeast(min) => {
                    let keep = |t: Option<i64>| t.is_none_or(|at| at >= min);
                    let before = model.len();
                    model.retain(|e| keep(e.2));
                    assert_eq!(lp.retain(|e| keep(e.expire_at_ms)), before - model.len());
                }
            }
        }

        proptest! {
            #[test]
            fn matches_a_vec_model(ops in proptest::collection::vec(op(), 1..60)) {
                let mut lp = Listpack::new();
                let mut model = Model::new();
                for op in ops {
                    apply(&mut lp, &mut model, op);
                    let got: Model = lp
                        .iter()
                        .map(|e| (e.field.to_vec(), e.value.to_vec(), e.expire_at_ms))
                        .collect();
                    prop_assert_eq!(&got, &model);
                    prop_assert_eq!(lp.len(), model.len());
                    let size: usize = model
                        .iter()
                        .map(|e| entry_size(e.0.len(), e.1.len(), e.2.is_some()))
                        .sum();
                    prop_assert_eq!(lp.bytes(), size);
                    for (i, e) in model.iter().enumerate() {
                        prop_assert_eq!(lp.position(&e.0), Some(i));
                        let by_index = lp.get_index(i).unwrap();
                        prop_assert_eq!(by_index, lp.get(&e.0).unwrap());
                    }
                }
            }
        }
    }
}
