//! HSCAN, walked to the end: a page depends on each server's own table, so the driver
//! compares whole walks (and a walk from a cursor other than 0 as a subset of one from 0).

use reference_engine::Reply;

use super::{Differ, Reference};
use crate::targets::scan::walk_from;
use crate::targets::{Target, TargetError};

impl Differ<'_> {
    /// Continues both HSCANs to the end and returns each side's walk as one reply:
    /// `[cursor "0", all elements]`.
    ///
    /// A walk that starts from a cursor other than 0 starts wherever that cursor points
    /// in each server's own table, so its pages are not comparable. Redis only promises
    /// that what a scan returns was in the hash: the target's walk is then checked
    /// against the reference's walk from 0 as a subset (see `subset_of`).
    pub(super) fn walk_scans(
        &mut self,
        argv: &[Vec<u8>],
        expected: Reply,
        actual: Reply,
    ) -> Result<(Reply, Reply), TargetError> {
        let reference: &mut dyn Target = match &mut self.reference {
            Reference::Server(server) => &mut **server,
            Reference::Model(model) => &mut **model,
        };
        let at = crate::targets::scan::cursor_at(argv);
        if argv.get(at).map(Vec::as_slice) == Some(b"0") {
            let e = walk(reference, argv, expected)?;
            let moved = self.target.scans_moved();
            let a = walk(&mut *self.target, argv, actual)?;
            if self.target.scans_moved() != moved {
                // The key's slot moved to another node mid-walk (a cluster resharding):
                // what the walk returned must have been in the hash, nothing more.
                return Ok((e.clone(), subset_of(&e, a)));
            }
            return Ok((e, a));
        }
        if expected.is_error() || actual.is_error() {
            return Ok((expected, actual));
        }
        let mut from_zero = argv.to_vec();
        from_zero[at] = b"0".to_vec();
        let first = reference.call(&from_zero)?;
        let all = walk(reference, &from_zero, first)?;
        let a = walk(&mut *self.target, argv, actual)?;
        Ok((all.clone(), subset_of(&all, a)))
    }
}

/// `walk` itself if every element pair of the scan `walk` is also in the scan `all`;
/// otherwise `walk` unchanged, so that the comparison reports it.
pub(super) fn subset_of(all: &Reply, walk: Reply) -> Reply {
    let items = |r: &Reply| match r {
        Reply::Array(p) => match p.as_slice() {
            [_, Reply::Array(items)] => Some(items.clone()),
            _ => None,
        },
        _ => None,
    };
    match (items(all), items(&walk)) {
        // Elements are compared one by one: fields and values are both bulk strings, and
        // a value that is not in the hash at all cannot pass.
        (Some(all_items), Some(walk_items)) if walk_items.iter().all(|i| all_items.contains(i)) => {
            all.clone()
        }
        _ => walk,
    }
}

/// Follows an HSCAN from its first reply until the cursor is "0" (at most 10,000 calls),
/// gathering the elements. The result has the shape of a one-page scan.
pub fn walk(target: &mut dyn Target, argv: &[Vec<u8>], first: Reply) -> Result<Reply, TargetError> {
    let whole = walk_from(argv, first, 10_000, |next| target.call(next))?;
    Ok(whole.unwrap_or_else(|| {
        Reply::Error("ERR hashcheck: HSCAN did not finish in 10000 calls".into())
    }))
}
