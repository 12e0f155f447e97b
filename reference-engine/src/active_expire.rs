//! Background (active) expiry: what Redis's expire cycle does to hash fields that nobody
//! reads, as a method a server calls on a timer. The engine has no thread and no timer of its
//! own: `hashcheck serve` calls [`Engine::active_expire_cycle`] about every 100 ms (Redis's
//! `hz` 10); the embedded engine that cases and the fuzzer use never calls it, so it stays
//! lazy-only and deterministic.
//!
//! What it copies from Redis 8.2.3 (measured):
//! - every field whose deadline has passed is deleted, and the key with it when that
//!   empties the hash; fields without a TTL are never touched;
//! - each deleted field counts in `expired_subkeys`, as lazily expired ones do; a key
//!   emptied this way does not count in `expired_keys`;
//! - a key whose own deadline has passed is deleted whole and counts in `expired_keys`;
//! - `DEBUG SET-ACTIVE-EXPIRE 0` stops it.
//!
//! How it stays cheap: a key is looked at only if it has a deadline of its own or some
//! field of it was ever given a TTL
//! ([`HashValue::ttl_tracked`](crate::hash::HashValue::ttl_tracked)), as Redis looks only
//! at keys in its expires dict and its field-expiry index. The walk goes one database at a time over a list of
//! the tracked keys taken when it reaches that database, and a call visits at most `budget`
//! keys before returning, so that a server can let clients in between calls.

use crate::engine::Engine;
use crate::session::DATABASES;

/// Where the walk stands between calls: the database, and the keys of it still to visit.
#[derive(Debug, Default)]
pub struct Walk {
    db: usize,
    pending: Vec<Vec<u8>>,
}

/// What one call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleOutcome {
    /// Keys looked at.
    pub visited: usize,
    /// Fields deleted.
    pub fields: usize,
    /// Keys deleted: because their deadline passed, or because they emptied.
    pub keys: usize,
    /// Whether the walk went round every database: a server can stop calling until its
    /// next tick. False when the budget ran out first.
    pub done: bool,
}

impl Engine {
    /// Whether the background cycle is on (`DEBUG SET-ACTIVE-EXPIRE`, default on).
    pub fn active_expire_enabled(&self) -> bool {
        self.server.config.active_expire
    }

    /// One slice of the background expiry cycle at the clock's current time: visits up to
    /// `budget` keys that may hold fields with a TTL, deleting expired fields and emptied
    /// keys. Does nothing (and reports `done`) while active expiry is off.
    pub fn active_expire_cycle(&mut self, budget: usize) -> CycleOutcome {
        let mut outcome = CycleOutcome::default();
        if !self.server.config.active_expire {
            outcome.done = true;
            return outcome;
        }
        let now_ms = self.clock().now_ms();
        // Databases entered in this call; once every one has been walked, the round is over.
        let mut entered = 0;
        while outcome.visited < budget {
            let Some(key) = self.expire_walk.pending.pop() else {
                if entered == DATABASES {
                    outcome.done = true;
                    break;
                }
                let walk = &mut self.expire_walk;
                walk.db = (walk.db + 1) % DATABASES;
                let db = &self.dbs[walk.db];
                walk.pending = db
                    .iter()
                    .filter(|(k, v)| {
                        matches!(v, crate::keyspace::Value::Hash(h) if h.ttl_tracked())
                            || db.deadline(k).is_some()
                    })
                    .map(|(k, _)| k.to_vec())
                    .collect();
                entered += 1;
                continue;
            };
            outcome.visited += 1;
            let db = &mut self.dbs[self.expire_walk.db];
            if db.expire_if_needed(&key, now_ms) {
                outcome.keys += 1;
                continue;
            }
            // The key may have gone or changed since the list was taken.
            let Ok(Some(hash)) = db.hash_mut(&key) else {
                continue;
            };
            if !hash.ttl_tracked() {
                continue;
            }
            let fields = hash.purge_expired_and_recheck(now_ms);
            db.count_expired(fields);
            outcome.fields += fields;
            if db.remove_if_empty(&key) {
                outcome.keys += 1;
            }
        }
        outcome
    }

    /// Records a server's cycle: how long it took, and whether its time limit stopped it
    /// (INFO stats `expire_cycle_cpu_milliseconds`, `expired_time_cap_reached_count`).
    pub fn record_expire_cycle(&mut self, elapsed: std::time::Duration, time_cap_reached: bool) {
        let stats = &mut self.server.stats;
        stats.expire_cycle_us += u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        stats.expired_time_cap_reached_count += u64::from(time_cap_reached);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::reply::Reply;
    use crate::{Engine, ManualClock, Session};

    fn run(e: &mut Engine, s: &mut Session, line: &str) -> Reply {
        let argv: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        e.execute(s, &argv)
    }

    #[test]
    fn the_cycle_reclaims_expired_fields_and_emptied_keys_only_when_called() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::new(Arc::new(clock.clone()));
        let mut s = Session::default();
        run(&mut e, &mut s, "HSET mix a 1 b 2 c 3");
        run(&mut e, &mut s, "HPEXPIRE mix 100 FIELDS 2 a b");
        run(&mut e, &mut s, "HSET gone x 1");
        run(&mut e, &mut s, "HPEXPIRE gone 100 FIELDS 1 x");
        run(&mut e, &mut s, "SELECT 3");
        run(&mut e, &mut s, "HSET other y 1");
        run(&mut e, &mut s, "HPEXPIRE other 100 FIELDS 1 y");
        run(&mut e, &mut s, "SELECT 0");
        run(&mut e, &mut s, "HSET plain p 1");
        clock.advance(101);
        // Nothing happens by itself: HLEN still counts the expired fields.
        assert_eq!(run(&mut e, &mut s, "HLEN mix"), Reply::Integer(3));
        let outcome = e.active_expire_cycle(1_000);
        assert!(outcome.done);
        assert_eq!((outcome.fields, outcome.keys), (4, 2), "{outcome:?}");
        assert_eq!(run(&mut e, &mut s, "HLEN mix"), Reply::Integer(1));
        assert_eq!(run(&mut e, &mut s, "EXISTS gone plain"), Reply::Integer(1));
        let Reply::Verbatim { text, .. } = run(&mut e, &mut s, "INFO stats") else {
            panic!("INFO is verbatim text");
        };
        let info = String::from_utf8(text).unwrap();
        assert!(info.contains("expired_subkeys:4\r\n"), "{info}");
        assert!(info.contains("expired_keys:0\r\n"), "{info}");
        // `mix` has no TTL left, so it is no longer tracked.
        assert_eq!(e.active_expire_cycle(1_000).visited, 0);
    }

    #[test]
    fn the_cycle_deletes_keys_whose_own_deadline_passed_and_counts_them() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::new(Arc::new(clock.clone()));
        let mut s = Session::default();
        run(&mut e, &mut s, "HSET h a 1");
        run(&mut e, &mut s, "PEXPIRE h 100");
        run(&mut e, &mut s, "SET str v");
        run(&mut e, &mut s, "PEXPIRE str 100");
        run(&mut e, &mut s, "HSET later a 1");
        run(&mut e, &mut s, "PEXPIRE later 10000");
        clock.advance(101);
        let outcome = e.active_expire_cycle(1_000);
        assert_eq!((outcome.fields, outcome.keys), (0, 2), "{outcome:?}");
        assert_eq!(run(&mut e, &mut s, "DBSIZE"), Reply::Integer(1));
        let Reply::Verbatim { text, .. } = run(&mut e, &mut s, "INFO stats") else {
            panic!("INFO is verbatim text");
        };
        let info = String::from_utf8(text).unwrap();
        assert!(info.contains("expired_keys:2\r\n"), "{info}");
        assert!(info.contains("expired_subkeys:0\r\n"), "{info}");
    }

    #[test]
    fn the_budget_splits_the_walk_and_the_switch_stops_it() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::new(Arc::new(clock.clone()));
        let mut s = Session::default();
        for i in 0..10 {
            run(&mut e, &mut s, &format!("HSET k{i} f 1 g 2"));
            run(&mut e, &mut s, &format!("HPEXPIRE k{i} 5 FIELDS 1 f"));
        }
        clock.advance(10);
        assert_eq!(
            run(&mut e, &mut s, "DEBUG SET-ACTIVE-EXPIRE 0"),
            Reply::ok()
        );
        assert_eq!(
            e.active_expire_cycle(100),
            super::CycleOutcome {
                done: true,
                ..Default::default()
            }
        );
        assert_eq!(run(&mut e, &mut s, "HLEN k0"), Reply::Integer(2));
        run(&mut e, &mut s, "DEBUG SET-ACTIVE-EXPIRE 1");
        let first = e.active_expire_cycle(4);
        assert_eq!((first.visited, first.fields, first.done), (4, 4, false));
        let mut total = first.fields;
        loop {
            let next = e.active_expire_cycle(4);
            total += next.fields;
            if next.done {
                break;
            }
        }
        assert_eq!(total, 10);
    }
}
