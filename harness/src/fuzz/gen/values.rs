//! The values the generator draws: fields and values from the pools (with rare odd ones),
//! and times for every kind of time argument (past, far, soon, at the 2^46 ms limit, not a
//! time), kept symbolic until sent.

use reference_engine::command::grammar::TimeArg;

use super::pools::*;
use super::{Arg, Generator};

impl Generator {
    pub(super) fn field(&mut self) -> Vec<u8> {
        // Rare odd fields: empty, binary, multi-byte text, option words, one at the
        // listpack limit and one long enough to convert the hash to a hash table.
        match self.rng.below(60) {
            0 => Vec::new(),
            1 => b"f\x00\xff".to_vec(),
            2 => vec![b'L'; 65],
            3 => b"FIELDS".to_vec(),
            4 => b"NX".to_vec(),
            5 => "ключ".as_bytes().to_vec(),
            6 => vec![b'M'; 64],
            _ => self.field_names[self.rng.below(self.field_names.len())].clone(),
        }
    }

    pub(super) fn value(&mut self) -> Vec<u8> {
        match self.rng.below(60) {
            0 => vec![b'v'; 65],
            1 => vec![b'w'; 64],
            // Multi-byte UTF-8 text: a server that counts characters, not bytes, shows. A
            // long text and a one-character one, so a reading of such a value is not rare.
            2 => "ça va, 日本".as_bytes().to_vec(),
            3 => "é".as_bytes().to_vec(),
            _ => self.pick(VALUES).to_vec(),
        }
    }

    /// 1 to `max` fields.
    pub(super) fn fields(&mut self, max: usize) -> Vec<Vec<u8>> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.field()).collect()
    }

    /// Pushes the time argument of the time keyword `unit` (EX, PX, EXAT or PXAT, any case)
    /// and returns [`Generator::time_value`]'s answer.
    pub(super) fn time_after(&mut self, unit: &str, args: &mut Vec<Arg>) -> Option<i64> {
        let time = TimeArg::of_keyword(&unit.to_ascii_uppercase())
            .expect("the generator's time units are time keywords");
        self.time_value(time, args)
    }

    /// A time for `time`: in the past, far ahead, at the 2^46 ms limit, soon (if short TTLs
    /// are on), or invalid. Returns the deadline's distance in ms when it is soon.
    pub(super) fn time_value(&mut self, time: TimeArg, args: &mut Vec<Arg>) -> Option<i64> {
        let seconds = !time.millis;
        let absolute = time.absolute;
        let choice = self.rng.below(20);
        let (offset_ms, soon) = match choice {
            // In the past, or now for a relative time: the field is deleted.
            0..=2 => (if absolute { -5_000 } else { 0 }, false),
            // Long ago: the epoch, or its first second.
            3 if absolute => {
                args.push(Self::b(self.pick(&["0", "1"])));
                return None;
            }
            3..=8 => (self.far_offset(), false),
            9 => {
                let limits = match (absolute, seconds) {
                    (false, true) => LIMIT_RELATIVE_SECS,
                    (false, false) => LIMIT_RELATIVE_MS,
                    (true, true) => LIMIT_ABSOLUTE_SECS,
                    (true, false) => LIMIT_ABSOLUTE_MS,
                };
                args.push(Self::b(self.pick(limits)));
                return None;
            }
            10..=14
                if self.config.short_ttls
                    && self.chance(self.config.soon_one_in)
                    && self.soon_allowed =>
            {
                // Whole seconds for the seconds units, so a reading is never half a second off.
                // At least 300 ms: a reference server runs the batch after the target, and
                // under load the two runs were seen up to 200 ms apart.
                let ms = if seconds {
                    1_000
                } else {
                    300 + self.rng.below(300) as i64
                };
                (ms, true)
            }
            10..=14 => (self.far_offset(), false),
            _ => {
                args.push(Self::b(self.pick(BAD_TIMES)));
                return None;
            }
        };
        args.push(match (absolute, seconds) {
            (false, true) => Arg::Bytes((offset_ms / 1000).to_string().into_bytes()),
            (false, false) => Arg::Bytes(offset_ms.to_string().into_bytes()),
            (true, true) => Arg::UnixSecsFromNow(offset_ms),
            (true, false) => Arg::UnixMsFromNow(offset_ms),
        });
        // EXAT rounds the deadline up to the next whole second: up to 1 s later.
        let slack = if absolute && seconds { 1_000 } else { 0 };
        soon.then_some(offset_ms + slack)
    }

    /// A deadline 11 to 23 days ahead, never equal to one handed out before in this run:
    /// GT/LT compare deadlines, and two equal offsets sent a few milliseconds apart compare
    /// one way on one server and the other way on another. Offsets 10 s apart decide GT/LT
    /// the same way everywhere.
    ///
    /// The milliseconds part varies too: with whole seconds, a TTL read right after a
    /// relative expiry in ms reads an exact number of seconds, where rounding up and
    /// rounding down agree, so a server that rounds down showed in a run but not when the
    /// commands were replayed to shrink them.
    fn far_offset(&mut self) -> i64 {
        self.far_deadlines += 1;
        // 7919 is coprime with 100_003: a mixed order with no repeat for 100_003 picks.
        let slot = (self.far_deadlines * 7919) % 100_003;
        // Under a second: offsets stay at least 9 s apart.
        FAR_MS[0] + slot * 10_000 + (slot * 389) % 1_000
    }
}
