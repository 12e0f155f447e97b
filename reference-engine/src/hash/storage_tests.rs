//! What the two storages' tests share: reading field names back, and the half of their
//! model-based tests that is the same for both (a `Vec` model, TTLs to draw, and the in-place
//! operations whose effect on the model does not depend on the storage's order rules).

use proptest::prelude::*;

use super::field::FieldView;
use super::listpack::Listpack;
use super::table::Table;

/// The field names, in order, of entries handed out by a storage or a hash.
pub fn field_names<'a>(entries: impl Iterator<Item = FieldView<'a>>) -> Vec<String> {
    entries
        .map(|e| String::from_utf8(e.field.to_vec()).unwrap())
        .collect()
}

/// Entries as (field, value, deadline), in the storage's order.
pub type Model = Vec<(Vec<u8>, Vec<u8>, Option<i64>)>;

/// A storage's entries as a [`Model`], to compare with the model.
pub fn snapshot<'a>(entries: impl Iterator<Item = FieldView<'a>>) -> Model {
    entries
        .map(|e| (e.field.to_vec(), e.value.to_vec(), e.expire_at_ms))
        .collect()
}

/// Deadlines around zero (so some are past any test's `now`) and anywhere in i64.
pub fn ttl() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        Just(None),
        (-3i64..3).prop_map(Some),
        any::<i64>().prop_map(Some)
    ]
}

/// The operations both storages do in place, by index.
#[derive(Debug, Clone)]
pub enum InPlace {
    SetValue(usize, Vec<u8>),
    SetExpire(usize, Option<i64>),
    RetainTtlAtLeast(i64),
}

/// [`InPlace`] operations on indexes below `max_index` (some past the end, to be refused).
pub fn in_place(
    max_index: usize,
    bytes: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = InPlace> {
    prop_oneof![
        2 => (0..max_index, bytes).prop_map(|(i, v)| InPlace::SetValue(i, v)),
        2 => (0..max_index, ttl()).prop_map(|(i, t)| InPlace::SetExpire(i, t)),
        1 => (-3i64..3).prop_map(InPlace::RetainTtlAtLeast),
    ]
}

/// A storage's in-place operations, so that one `apply` serves both.
pub trait Storage {
    fn set_value(&mut self, index: usize, value: &[u8]) -> bool;
    fn set_expire(&mut self, index: usize, expire_at_ms: Option<i64>) -> bool;
    fn retain(&mut self, keep: impl FnMut(FieldView<'_>) -> bool) -> usize;
}

macro_rules! storage {
    ($type:ty) => {
        impl Storage for $type {
            fn set_value(&mut self, index: usize, value: &[u8]) -> bool {
                <$type>::set_value(self, index, value)
            }
            fn set_expire(&mut self, index: usize, expire_at_ms: Option<i64>) -> bool {
                <$type>::set_expire(self, index, expire_at_ms)
            }
            fn retain(&mut self, keep: impl FnMut(FieldView<'_>) -> bool) -> usize {
                <$type>::retain(self, keep)
            }
        }
    };
}
storage!(Listpack);
storage!(Table);

/// Applies `op` to the storage and to the model, checking what the storage reports.
pub fn apply_in_place(storage: &mut impl Storage, model: &mut Model, op: InPlace) {
    match op {
        InPlace::SetValue(i, v) => {
            assert_eq!(storage.set_value(i, &v), i < model.len());
            if let Some(e) = model.get_mut(i) {
                e.1 = v;
            }
        }
        InPlace::SetExpire(i, t) => {
            assert_eq!(storage.set_expire(i, t), i < model.len());
            if let Some(e) = model.get_mut(i) {
                e.2 = t;
            }
        }
        InPlace::RetainTtlAtLeast(min) => {
            let keep = |t: Option<i64>| t.is_none_or(|at| at >= min);
            let before = model.len();
            model.retain(|e| keep(e.2));
            assert_eq!(
                storage.retain(|e| keep(e.expire_at_ms)),
                before - model.len()
            );
        }
    }
}
