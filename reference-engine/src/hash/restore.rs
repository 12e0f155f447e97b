//! Building a hash from a DUMP payload's fields, in the encoding and order Redis's loader
//! gives it (see `rdb::value`, which decides the encoding).

use super::listpack::Listpack;
use super::table::Table;
use super::{ordered_position, Encoding, HashValue, Storage};

/// A field read from a payload: name, value, absolute deadline.
pub type Restored = (Vec<u8>, Vec<u8>, Option<i64>);

impl HashValue {
    /// A hash of `fields` in `encoding`. A listpack keeps them in the given order; with
    /// `order_by_ttl` a listpackex places each field as Redis's `listpackExAddNew` does
    /// (before the first field without a TTL or with one at least as late), else it keeps
    /// the payload's own order. `None` if a field name repeats or there is none.
    pub fn from_restored(
        encoding: Encoding,
        fields: Vec<Restored>,
        order_by_ttl: bool,
    ) -> Option<HashValue> {
        if fields.is_empty() {
            return None;
        }
        let storage = match encoding {
            Encoding::Hashtable => {
                let mut table = Table::with_capacity(fields.len());
                for (field, value, at) in &fields {
                    if table.position(field).is_some() {
                        return None;
                    }
                    table.push(field, value, *at);
                }
                Storage::Table(table)
            }
            Encoding::Listpack | Encoding::ListpackEx => {
                let mut lp = Listpack::new();
                for (field, value, at) in &fields {
                    if lp.position(field).is_some() {
                        return None;
                    }
                    lp.push(field, value, *at);
                    if order_by_ttl && at.is_some() {
                        let last = lp.len() - 1;
                        let target = ordered_position(&lp, last, *at);
                        lp.move_index(last, target);
                    }
                }
                Storage::Listpack(lp)
            }
        };
        // Any field with a TTL puts the hash in the background cycle's sight, as a restored
        // key enters Redis's field-expiry index.
        let ttl_tracked = fields.iter().any(|(_, _, at)| at.is_some());
        Some(HashValue {
            encoding,
            storage,
            ttl_tracked,
        })
    }
}
