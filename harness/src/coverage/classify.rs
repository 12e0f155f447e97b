//! What one command exercises: its keywords, the classes of its argument values and the
//! path its reply took. The command's [`Grammar`] (from the engine's table) says where in
//! the argv the keywords, texts, numbers and times are; this module only reads them.

use reference_engine::command::grammar::{
    Grammar, Shape, TimeArg, ValueClass, LISTPACK_VALUE_LIMIT, MAX_FIELD_DEADLINE_MS,
};
use reference_engine::{CommandError, Reply};

/// The path a reply took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReplyPath {
    /// The key did not exist before the command.
    MissingKey,
    /// The key held a field whose TTL had passed (not yet reclaimed).
    ExpiredField,
    /// An error reply, by [`CommandError::kind`] (WRONGTYPE is `WrongType`).
    Error(&'static str),
}

impl ReplyPath {
    pub fn name(self) -> String {
        match self {
            ReplyPath::MissingKey => "missing key".into(),
            ReplyPath::ExpiredField => "expired field".into(),
            ReplyPath::Error(kind) => format!("error {kind}"),
        }
    }
}

/// What was known about the command's key just before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBefore {
    /// Not known (a server seen only through its replies).
    Unknown,
    Missing,
    /// A hash; `expired_fields` when one of its fields had a TTL that had passed.
    Hash {
        expired_fields: bool,
    },
    /// Another type.
    Other,
}

/// What one command exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exercised {
    pub keywords: Vec<&'static str>,
    pub values: Vec<ValueClass>,
    pub replies: Vec<ReplyPath>,
    /// An error reply whose text the engine does not know.
    pub unknown_error: Option<String>,
}

/// Classifies `argv` (name first, as sent) and its `reply`, for a command of `grammar`,
/// at `now_ms` (to tell past times), with `key` as it was before.
pub fn classify(
    grammar: &Grammar,
    argv: &[Vec<u8>],
    reply: &Reply,
    now_ms: i64,
    key: KeyBefore,
) -> Exercised {
    let mut out = Exercised::default();
    classify_into(grammar, argv, reply, now_ms, key, &mut out);
    out
}

/// [`classify`] into `out`, which is cleared first: a caller that classifies every command
/// of a run keeps one `Exercised` and its vectors' memory.
pub fn classify_into(
    grammar: &Grammar,
    argv: &[Vec<u8>],
    reply: &Reply,
    now_ms: i64,
    key: KeyBefore,
    out: &mut Exercised,
) {
    out.keywords.clear();
    out.values.clear();
    out.replies.clear();
    out.unknown_error = None;
    let mut args = Args {
        grammar,
        argv,
        now_ms,
        out: &mut *out,
    };
    args.read(grammar.shape);
    if grammar.shape != Shape::KeyOnly {
        reply_texts(reply, &mut |b| text_classes(b, &mut out.values));
    }
    match reply {
        Reply::Error(text) => match CommandError::kind_of_text(text) {
            Some(kind) => {
                out.replies.push(ReplyPath::Error(kind));
                if kind == "IncrementOverflow" {
                    out.values.push(ValueClass::IntegerOverflow);
                }
                if kind == "ResultNanOrInfinity" {
                    out.values.push(ValueClass::FloatLimit);
                }
            }
            None => out.unknown_error = Some(text.clone()),
        },
        Reply::Integer(n)
            if grammar.shape == Shape::IntIncrement && (*n == i64::MIN || *n == i64::MAX) =>
        {
            out.values.push(ValueClass::IntegerLimit);
        }
        Reply::Bulk(b) if grammar.shape == Shape::FloatIncrement => {
            float_classes(b, &mut out.values);
        }
        Reply::Double(x) if grammar.shape == Shape::FloatIncrement && x.abs() >= 1e300 => {
            out.values.push(ValueClass::FloatLimit);
        }
        _ => {}
    }
    match key {
        KeyBefore::Missing => out.replies.push(ReplyPath::MissingKey),
        KeyBefore::Hash {
            expired_fields: true,
        } => out.replies.push(ReplyPath::ExpiredField),
        _ => {}
    }
    out.keywords.sort_unstable();
    out.keywords.dedup();
    out.values.sort_unstable();
    out.values.dedup();
}

/// Reads an argv by its shape.
struct Args<'a> {
    grammar: &'a Grammar,
    argv: &'a [Vec<u8>],
    now_ms: i64,
    out: &'a mut Exercised,
}

impl Args<'_> {
    fn read(&mut self, shape: Shape) {
        let n = self.argv.len();
        match shape {
            Shape::KeyOnly | Shape::Listing => {}
            Shape::Fields | Shape::Pairs => self.texts(2..n),
            Shape::IntIncrement | Shape::FloatIncrement => {
                self.texts(2..n.min(3));
                if let Some(arg) = self.argv.get(3) {
                    let values = &mut self.out.values;
                    match shape {
                        Shape::IntIncrement => int_classes(arg, values),
                        _ => float_classes(arg, values),
                    }
                }
            }
            Shape::RandomCount => {
                if let Some(count) = self.argv.get(2) {
                    count_classes(count, &mut self.out.values);
                }
                self.keyword_at(3);
            }
            Shape::Scan => {
                let mut i = 3;
                while i < n {
                    match self.keyword_at(i) {
                        Some("MATCH") => {
                            self.texts(i + 1..(i + 2).min(n));
                            i += 2;
                        }
                        Some("COUNT") => i += 2,
                        _ => i += 1,
                    }
                }
            }
            Shape::Expire(time) => {
                if let Some(arg) = self.argv.get(2) {
                    self.time(arg, time);
                }
                let mut i = 3;
                if !matches!(self.keyword_at(i), Some("FIELDS") | None) {
                    i += 1;
                }
                self.fields_block(i);
            }
            Shape::FieldsBlock => self.fields_block(2),
            Shape::GetEx | Shape::SetEx => {
                let mut i = 2;
                while i < n {
                    match self.keyword_at(i) {
                        Some("FIELDS") => {
                            self.fields_block(i);
                            return;
                        }
                        Some(word) => {
                            if let Some(time) = TimeArg::of_keyword(word) {
                                if let Some(arg) = self.argv.get(i + 1) {
                                    self.time(arg, time);
                                }
                                i += 1;
                            }
                        }
                        None => {}
                    }
                    i += 1;
                }
            }
        }
    }

    /// The keyword at `i`, if that word is one of the command's (any case).
    fn keyword_at(&mut self, i: usize) -> Option<&'static str> {
        let word = self.argv.get(i)?;
        let keyword = self
            .grammar
            .keywords
            .iter()
            .find(|k| word.eq_ignore_ascii_case(k.as_bytes()))?;
        self.out.keywords.push(keyword);
        Some(keyword)
    }

    /// `FIELDS numfields item...` at `at`; every item is a text (a field, or a value).
    fn fields_block(&mut self, at: usize) {
        if self.keyword_at(at) == Some("FIELDS") {
            self.texts(at + 2..self.argv.len());
        }
    }

    fn texts(&mut self, range: std::ops::Range<usize>) {
        for arg in self.argv.get(range).unwrap_or(&[]) {
            text_classes(arg, &mut self.out.values);
        }
    }

    fn time(&mut self, arg: &[u8], time: TimeArg) {
        let values = &mut self.out.values;
        let Some(value) = std::str::from_utf8(arg)
            .ok()
            .and_then(|s| s.parse::<i128>().ok())
        else {
            return;
        };
        let Ok(value) = i64::try_from(value) else {
            if value > 0 {
                values.push(ValueClass::PastTimeLimit);
            }
            return;
        };
        if value < 0 {
            return;
        }
        match time.deadline_ms(value, self.now_ms) {
            None => values.push(ValueClass::PastTimeLimit),
            Some(at) if at > MAX_FIELD_DEADLINE_MS => values.push(ValueClass::PastTimeLimit),
            Some(at) if at <= self.now_ms => values.push(ValueClass::PastTime),
            Some(_) => {}
        }
    }
}

/// Every bulk string in a reply, nested ones included.
fn reply_texts(reply: &Reply, each: &mut dyn FnMut(&[u8])) {
    match reply {
        Reply::Bulk(b) => each(b),
        Reply::Array(items) | Reply::Set(items) => items.iter().for_each(|r| reply_texts(r, each)),
        Reply::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            reply_texts(k, each);
            reply_texts(v, each);
        }),
        _ => {}
    }
}

fn text_classes(bytes: &[u8], out: &mut Vec<ValueClass>) {
    if bytes.is_empty() {
        out.push(ValueClass::Empty);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            if text.chars().any(char::is_control) {
                out.push(ValueClass::Binary);
            }
            if !text.is_ascii() {
                out.push(ValueClass::MultiByteUtf8);
            }
        }
        Err(_) => out.push(ValueClass::Binary),
    }
    if bytes.len() == LISTPACK_VALUE_LIMIT {
        out.push(ValueClass::ListpackLimit);
    } else if bytes.len() > LISTPACK_VALUE_LIMIT {
        out.push(ValueClass::PastListpackLimit);
    }
}

/// A decimal integer of any size, as Redis's integer arguments are written.
fn big_integer(arg: &[u8]) -> Option<i128> {
    let text = std::str::from_utf8(arg).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Past i128 is past i64 too: saturate.
    Some(text.parse::<i128>().unwrap_or(if text.starts_with('-') {
        i128::MIN
    } else {
        i128::MAX
    }))
}

fn int_classes(arg: &[u8], out: &mut Vec<ValueClass>) {
    match big_integer(arg) {
        Some(n) if n == i128::from(i64::MIN) || n == i128::from(i64::MAX) => {
            out.push(ValueClass::IntegerLimit)
        }
        Some(n) if i64::try_from(n).is_err() => out.push(ValueClass::IntegerOverflow),
        _ => {}
    }
}

fn count_classes(arg: &[u8], out: &mut Vec<ValueClass>) {
    match big_integer(arg) {
        Some(n) if n == i128::from(i64::MIN) || n == i128::from(i64::MAX) => {
            out.push(ValueClass::IntegerLimit)
        }
        Some(n) if n < 0 => out.push(ValueClass::NegativeCount),
        _ => {}
    }
}

fn float_classes(arg: &[u8], out: &mut Vec<ValueClass>) {
    let Ok(text) = std::str::from_utf8(arg) else {
        return;
    };
    let bare = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if matches!(bare.as_str(), "inf" | "infinity" | "nan") {
        out.push(ValueClass::InfOrNan);
        return;
    }
    if let Ok(x) = text.parse::<f64>() {
        if x.is_finite() && x.abs() >= 1e300 {
            out.push(ValueClass::FloatLimit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference_engine::command::lookup;

    fn run(line: &[&[u8]], reply: Reply, key: KeyBefore) -> Exercised {
        let argv: Vec<Vec<u8>> = line.iter().map(|w| w.to_vec()).collect();
        let grammar = lookup(&argv[0]).unwrap().grammar.unwrap();
        classify(grammar, &argv, &reply, 1_700_000_000_000, key)
    }

    #[test]
    fn keywords_are_read_where_the_grammar_puts_them() {
        // A field named NX is a field, not the NX keyword.
        let e = run(
            &[b"HPEXPIRE", b"h", b"0", b"nx", b"FIELDS", b"2", b"NX", b""],
            Reply::Array(vec![]),
            KeyBefore::Missing,
        );
        assert_eq!(e.keywords, vec!["FIELDS", "NX"]);
        assert_eq!(e.values, vec![ValueClass::Empty, ValueClass::PastTime]);
        assert_eq!(e.replies, vec![ReplyPath::MissingKey]);
        let e = run(
            &[
                b"HSETEX",
                b"h",
                b"FXX",
                b"PXAT",
                b"70368744177664",
                b"FIELDS",
                b"1",
                b"KEEPTTL",
                b"\xff",
            ],
            Reply::Error("ERR invalid expire time in 'hsetex' command".into()),
            KeyBefore::Hash {
                expired_fields: true,
            },
        );
        assert_eq!(e.keywords, vec!["FIELDS", "FXX", "PXAT"]);
        assert_eq!(
            e.values,
            vec![ValueClass::Binary, ValueClass::PastTimeLimit]
        );
        assert_eq!(
            e.replies,
            vec![
                ReplyPath::Error("InvalidExpireTime"),
                ReplyPath::ExpiredField
            ]
        );
    }

    #[test]
    fn numbers_at_their_limits() {
        let e = run(
            &[b"HINCRBY", b"h", b"f", b"9223372036854775808"],
            Reply::Error("ERR value is not an integer or out of range".into()),
            KeyBefore::Unknown,
        );
        assert_eq!(e.values, vec![ValueClass::IntegerOverflow]);
        assert_eq!(e.replies, vec![ReplyPath::Error("NotInteger")]);
        let e = run(
            &[b"HINCRBYFLOAT", b"h", "é".as_bytes(), b"-Inf"],
            Reply::Error("ERR value is NaN or Infinity".into()),
            KeyBefore::Unknown,
        );
        assert_eq!(
            e.values,
            vec![ValueClass::MultiByteUtf8, ValueClass::InfOrNan]
        );
        let e = run(
            &[b"HRANDFIELD", b"h", b"-3", b"withvalues"],
            Reply::Array(vec![Reply::bulk("x".repeat(64))]),
            KeyBefore::Unknown,
        );
        assert_eq!(e.keywords, vec!["WITHVALUES"]);
        assert_eq!(
            e.values,
            vec![ValueClass::ListpackLimit, ValueClass::NegativeCount]
        );
    }
}
