//! RESTORE's arguments: a ttl, a DUMP payload and options.
//!
//! The payload is a hash built from the pools (fields, values, sometimes a long value that
//! makes it a hash table, sometimes field deadlines), or now and then a string, serialized
//! by the engine's DUMP encoder, which writes Redis 8.2.3's bytes for every encoding (the
//! it-test `dump_restore` checks that against the server). So a RESTORE carries exactly
//! what DUMP of such a key would give, in a form a seed reproduces and a written case can
//! hold as literal bytes. It is not the reply of an earlier DUMP: the fuzz driver judges
//! each command on its own key, and its reference may be a server whose payloads the
//! target need not read; DUMP's own replies are judged by restoring them in-process (see
//! `compare::payload`).
//!
//! Field deadlines in a payload are absolute: far ahead (no run lasts until then) or long
//! past, never due during the run, so no timing enters. A past field is restored as stored
//! and reclaimed like any expired field. The key ttl is 0, or an ABSTTL time already past
//! (nothing is created; REPLACE still deletes): key TTLs are EXPIRE's to generate, with
//! times the driver knows how to hold around. Bent forms: a negative or non-integer ttl, a payload with a byte flipped
//! or cut short, IDLETIME/FREQ out of range or together, an unknown option.

use reference_engine::hash::{HashValue, TtlOnWrite};
use reference_engine::keyspace::Value;
use reference_engine::rdb;

use super::{Arg, Generator};

/// Absolute field deadlines: far ahead (2100, two values to tie and order), long past.
const FAR_DEADLINES: &[i64] = &[4_102_444_800_000, 4_102_444_800_000, 4_102_444_805_000];
const PAST_DEADLINES: &[i64] = &[1_000, 1_000_000_000_000];

impl Generator {
    /// Everything after RESTORE's key.
    pub(super) fn restore_args(&mut self) -> Vec<Arg> {
        let mut payload = rdb::dump(&self.payload_value());
        let mut ttl: &[u8] = b"0";
        let mut options: Vec<&[u8]> = Vec::new();
        // Half without REPLACE: BUSYKEY whenever the key exists.
        if self.chance(2) {
            options.push(b"REPLACE");
        }
        if self.chance(8) {
            ttl = b"1000";
            options.push(b"ABSTTL");
        } else if self.chance(10) {
            options.push(b"absttl");
        }
        match self.rng.below(12) {
            0 => options.extend([&b"IDLETIME"[..], b"100"]),
            1 => options.extend([&b"FREQ"[..], b"5"]),
            _ => {}
        }
        if self.chance(8) {
            match self.rng.below(8) {
                0 => ttl = b"-1",
                1 => ttl = b"x",
                2 => {
                    let at = self.rng.below(payload.len());
                    payload[at] ^= 1 << self.rng.below(8);
                }
                3 => payload.truncate(self.rng.below(payload.len())),
                4 => options.extend([&b"IDLETIME"[..], b"-1"]),
                5 => options.extend([&b"FREQ"[..], b"256"]),
                6 => options.extend([&b"FREQ"[..], b"1", b"IDLETIME", b"1"]),
                _ => options.push(b"BOGUS"),
            }
        }
        let mut args = vec![Arg::Bytes(ttl.to_vec()), Arg::Bytes(payload)];
        args.extend(options.into_iter().map(|o| Arg::Bytes(o.to_vec())));
        args
    }

    /// A value to serialize: mostly a hash of one to six pool fields.
    fn payload_value(&mut self) -> Value {
        if self.chance(12) {
            return Value::String(self.value());
        }
        let mut hash = HashValue::new();
        let n = 1 + self.rng.below(6);
        for _ in 0..n {
            let field = self.field();
            let value = self.value();
            hash.set(&field, &value, TtlOnWrite::Clear);
        }
        // Some hashes get deadlines (a listpackex, or a hash table with expiry metadata).
        if self.field_ttls && self.chance(2) {
            let fields: Vec<Vec<u8>> = hash.iter().map(|f| f.field.to_vec()).collect();
            for field in fields {
                if self.chance(2) {
                    let at = if self.chance(4) {
                        self.pick(PAST_DEADLINES)
                    } else {
                        self.pick(FAR_DEADLINES)
                    };
                    hash.set_expire(&field, Some(at));
                }
            }
        }
        Value::Hash(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{GenConfig, Swarm, CLASSIC_COMMANDS, COMMANDS};
    use super::*;

    /// How many of 400 RESTORE payloads (those that load) hold a field with a deadline.
    fn with_deadlines(commands: &[&'static str]) -> usize {
        let mut gen = Generator::new(5, GenConfig::default(), Swarm::all(commands));
        (0..400)
            .filter(|_| {
                let Arg::Bytes(payload) = &gen.restore_args()[1] else {
                    unreachable!("the payload is bytes")
                };
                matches!(rdb::load(payload), Ok(Value::Hash(h))
                    if h.iter().any(|f| f.expire_at_ms.is_some()))
            })
            .count()
    }

    #[test]
    fn payloads_carry_field_deadlines_only_when_the_mix_has_field_expiration() {
        assert_eq!(with_deadlines(&CLASSIC_COMMANDS), 0);
        assert!(with_deadlines(&COMMANDS) > 50);
    }
}
