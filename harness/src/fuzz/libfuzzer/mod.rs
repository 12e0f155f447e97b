//! The logic behind the cargo-fuzz targets in `fuzz/`, which are only glue: each target
//! hands its bytes to one entry point here. Keeping the generators and oracles in the
//! library means `cargo test` runs every target on seeded random inputs (see the tests of
//! each module), on stable, without libFuzzer; and `hashcheck replay` decodes an artifact
//! exactly as the target did.
//!
//! - [`program`]: the structured command sequence the `engine` and `differential` targets
//!   decode from their bytes.
//! - [`engine`]: the `engine` target (invariants of one engine, two protocols).
//! - [`codec`] and [`cases`]: the `codec` target (RESP parser and decoder, case files).
//! - [`network`]: the `differential` target (the engine against `$REDIS_URL`).
//! - [`replay`]: a fuzz artifact as a YAML case (`hashcheck replay`).

use reference_engine::Reply;

pub mod cases;
pub mod codec;
pub mod dict;
pub mod engine;
pub mod network;
pub mod program;
pub mod replay;
mod verified;

/// Reply equality where a NaN double equals a NaN double (a reply that says `nan` is the
/// same reply each time it says it).
pub fn same_reply(a: &Reply, b: &Reply) -> bool {
    let all = |x: &[Reply], y: &[Reply]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_reply(p, q))
    };
    match (a, b) {
        (Reply::Double(x), Reply::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Reply::Array(x), Reply::Array(y)) | (Reply::Set(x), Reply::Set(y)) => all(x, y),
        (Reply::Map(x), Reply::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same_reply(k1, k2) && same_reply(v1, v2))
        }
        _ => a == b,
    }
}

/// Runs `f` on `n` buffers of seeded random bytes, of random lengths up to `max_len`: the
/// fuzz entry points under `cargo test`. `HASHCHECK_FUZZ_SEED` picks other buffers.
#[cfg(test)]
pub(crate) fn test_n_times(n: usize, max_len: usize, mut f: impl FnMut(&[u8])) {
    let seed = std::env::var("HASHCHECK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00f0_22ed);
    let mut rng = reference_engine::rng::Rng::seeded(seed);
    for _ in 0..n {
        let len = rng.below(max_len + 1);
        let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        f(&data);
    }
}

/// The committed seeds of a fuzz target (`fuzz/corpus/<target>/seed-*`).
#[cfg(test)]
pub(crate) fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        })
        .collect();
    seeds.sort();
    assert!(
        seeds.len() >= 10,
        "{}: only {} seeds",
        dir.display(),
        seeds.len()
    );
    seeds.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_seeds_pass_the_engine_and_codec_checks() {
        for seed in seeds("engine").iter().chain(&seeds("differential")) {
            engine::fuzz(seed);
        }
        for seed in seeds("codec") {
            codec::fuzz(&seed);
        }
    }

    #[test]
    fn nan_is_the_same_reply_as_nan() {
        let nan = Reply::Array(vec![Reply::Double(f64::NAN)]);
        assert!(same_reply(&nan, &nan.clone()));
        assert!(!same_reply(&Reply::Double(1.0), &Reply::Double(2.0)));
        assert!(!same_reply(
            &Reply::Map(vec![(Reply::Null, Reply::Null)]),
            &Reply::Map(vec![])
        ));
    }
}
