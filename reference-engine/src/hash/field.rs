//! A field as the storages hand it out, and when it counts as expired.

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
