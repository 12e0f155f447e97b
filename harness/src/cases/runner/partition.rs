//! `--partition I/N`: one of N disjoint shares of the cases, for a suite split across CI jobs.
//!
//! A case belongs to a share by a hash of its file's path from the command directory on
//! (`hexpire/errors.yaml`, as baselines name files) and its name, never by its position: the
//! same case lands in the same share on every machine and in every checkout, and adding a
//! case moves only that case. Both protocols of a case go to the same share, so a merged
//! report judges a case as one run does. The hash is FNV-1a (64 bits), written out here
//! because its result must never change with a Rust release, as `std`'s hasher may.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::cases::format::case_path;

/// Share `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    pub index: u32,
    pub count: u32,
}

impl Partition {
    /// Whether the case `name` of the file at `file` is in this share.
    pub fn contains(&self, file: &Path, name: &str) -> bool {
        share_of(file, name, self.count) == self.index
    }
}

/// The share (1..=count) a case belongs to.
pub fn share_of(file: &Path, name: &str, count: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let path = case_path(file);
    // A 0 byte between the two, so `a/b` + `c` and `a/` + `bc` differ.
    for byte in path.bytes().chain([0]).chain(name.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % u64::from(count.max(1))) as u32 + 1
}

impl FromStr for Partition {
    type Err = String;

    /// `I/N` with 1 <= I <= N <= 1000.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad =
            || format!("{text:?} is not a partition like 2/4 (share I of N, 1 <= I <= N <= 1000)");
        let (index, count) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = index.trim().parse().map_err(|_| bad())?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count || count > 1000 {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            "2/4".parse::<Partition>(),
            Ok(Partition { index: 2, count: 4 })
        );
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "1/1001", "-1/4"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_case_is_in_exactly_one_share_and_the_share_does_not_depend_on_the_checkout() {
        let names = ["a", "b", "bad times", "returns the count", "x y z"];
        let mut per_share = [0; 4];
        for n in 0..200 {
            let file = format!("cases/cmd{}/f{}.yaml", n % 7, n % 5);
            let name = names[n % names.len()];
            let inside: Vec<u32> = (1..=4)
                .filter(|&i| Partition { index: i, count: 4 }.contains(Path::new(&file), name))
                .collect();
            assert_eq!(inside.len(), 1, "{file} {name}");
            per_share[inside[0] as usize - 1] += 1;
            let elsewhere = format!("/home/ci/checkout/{file}");
            assert_eq!(
                share_of(Path::new(&elsewhere), name, 4),
                inside[0],
                "only the path from cases/ on counts"
            );
        }
        // A hash, not a round robin, but no share is left empty by 200 cases.
        assert!(per_share.iter().all(|&n| n > 20), "{per_share:?}");
        // Pinned (FNV-1a of `hexpire/errors.yaml\0bad times`, worked out by hand): the
        // share must not change between releases, or a CI split would shift under a baseline.
        let file = Path::new("cases/hexpire/errors.yaml");
        assert_eq!(share_of(file, "bad times", 4), 3);
        assert_eq!(share_of(file, "bad times", 1000), 751);
    }
}
