//! What a hash command accepts, as data: the shape of its arguments, its keywords and the
//! errors it can reply with. Each command's file declares its [`Grammar`] next to its
//! parsing, and its row in the command table points at it. The harness derives its coverage
//! map from these (which keywords, value classes and reply paths a checked step must
//! exercise), so a new keyword or error is declared here once and is then demanded of the
//! cases and of the fuzzer.

/// A command's grammar, beside the syntax in its file's doc comment.
#[derive(Debug)]
pub struct Grammar {
    /// How the arguments after the key are laid out.
    pub shape: Shape,
    /// Every keyword the command accepts, upper case.
    pub keywords: &'static [&'static str],
    /// Every error the command can reply with, by [`crate::CommandError::kind`] name
    /// (WRONGTYPE and the arity error included).
    pub errors: &'static [&'static str],
}

/// The grammar of a command that takes a key and a FIELDS block and nothing else (HGETDEL,
/// HPERSIST, HTTL and its three siblings): one home for what they share.
pub const FIELDS_ONLY: Grammar = Grammar {
    shape: Shape::FieldsBlock,
    keywords: &["FIELDS"],
    errors: &[
        "WrongArity",
        "WrongType",
        "FieldsMissing",
        "NumberOfFieldsNotPositive",
        "NumFieldsMismatch",
    ],
};

/// The layout of the arguments after the key. A classifier reads an argv by it: which
/// words are keywords, which are field names or values, which are numbers or times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `key`, replying with a number: HLEN.
    KeyOnly,
    /// `key`, replying with every field or value: HGETALL, HKEYS, HVALS.
    Listing,
    /// `key field [field ...]`: HGET, HMGET, HDEL, HEXISTS, HSTRLEN.
    Fields,
    /// `key field value [field value ...]`: HSET, HMSET, HSETNX.
    Pairs,
    /// `key field increment`, the increment an integer: HINCRBY.
    IntIncrement,
    /// `key field increment`, the increment a float: HINCRBYFLOAT.
    FloatIncrement,
    /// `key [count [WITHVALUES]]`: HRANDFIELD.
    RandomCount,
    /// `key cursor [MATCH pattern] [COUNT count] [NOVALUES]`: HSCAN.
    Scan,
    /// `key time [NX | XX | GT | LT] FIELDS numfields field ...`: the HEXPIRE family.
    Expire(TimeArg),
    /// `key FIELDS numfields field ...`: HTTL and friends, HPERSIST, HGETDEL.
    FieldsBlock,
    /// `key [EX | PX | EXAT | PXAT time | PERSIST] FIELDS numfields field ...`: HGETEX.
    GetEx,
    /// `key [FNX | FXX] [EX | PX | EXAT | PXAT time | KEEPTTL] FIELDS numfields field value
    /// ...`: HSETEX.
    SetEx,
}

/// How a time argument counts: its unit, and whether it is from now or from the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeArg {
    pub millis: bool,
    pub absolute: bool,
}

impl TimeArg {
    /// The time argument of a time keyword (EX, PX, EXAT, PXAT), if `word` is one.
    pub fn of_keyword(word: &str) -> Option<TimeArg> {
        let (millis, absolute) = match word {
            "EX" => (false, false),
            "PX" => (true, false),
            "EXAT" => (false, true),
            "PXAT" => (true, true),
            _ => return None,
        };
        Some(TimeArg { millis, absolute })
    }

    /// The deadline in unix ms that `value` means at `now_ms`, `None` when it overflows.
    pub fn deadline_ms(self, value: i64, now_ms: i64) -> Option<i64> {
        let ms = if self.millis {
            value
        } else {
            value.checked_mul(1000)?
        };
        if self.absolute {
            Some(ms)
        } else {
            ms.checked_add(now_ms)
        }
    }
}

/// A class of argument value that can change a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueClass {
    /// An empty field, value or pattern.
    Empty,
    /// Bytes that are not UTF-8 text, or that hold control bytes (NUL, CR, LF...).
    Binary,
    /// UTF-8 text with multi-byte characters.
    MultiByteUtf8,
    /// A field or value of exactly `hash-max-listpack-value` (64) bytes: still a listpack.
    ListpackLimit,
    /// A field or value longer than 64 bytes: the hash becomes a hashtable.
    PastListpackLimit,
    /// An integer of i64::MIN or i64::MAX.
    IntegerLimit,
    /// An integer past i64, or a sum that would overflow it.
    IntegerOverflow,
    /// A float at the edge of a double (magnitude 1e300 and more).
    FloatLimit,
    /// An inf or NaN spelling.
    InfOrNan,
    /// A negative count (HRANDFIELD: picks may repeat).
    NegativeCount,
    /// A time at or before now: the field is deleted.
    PastTime,
    /// A time past the 2^46 ms limit of field TTLs.
    PastTimeLimit,
}

/// The longest field or value a listpack-encoded hash keeps (`hash-max-listpack-value`).
pub const LISTPACK_VALUE_LIMIT: usize = 64;
/// The latest deadline a field TTL can have, in unix ms.
pub const MAX_FIELD_DEADLINE_MS: i64 = super::fields::MAX_EXPIRE_AT_MS;

const TEXT: &[ValueClass] = &[
    ValueClass::Empty,
    ValueClass::Binary,
    ValueClass::MultiByteUtf8,
    ValueClass::ListpackLimit,
    ValueClass::PastListpackLimit,
];
const TIMES: &[ValueClass] = &[ValueClass::PastTime, ValueClass::PastTimeLimit];

impl ValueClass {
    pub fn name(self) -> &'static str {
        match self {
            ValueClass::Empty => "empty",
            ValueClass::Binary => "binary",
            ValueClass::MultiByteUtf8 => "multi-byte UTF-8",
            ValueClass::ListpackLimit => "64 bytes (listpack limit)",
            ValueClass::PastListpackLimit => "65+ bytes (past listpack limit)",
            ValueClass::IntegerLimit => "i64 min/max",
            ValueClass::IntegerOverflow => "past i64",
            ValueClass::FloatLimit => "float limit",
            ValueClass::InfOrNan => "inf/nan",
            ValueClass::NegativeCount => "negative count",
            ValueClass::PastTime => "time in the past",
            ValueClass::PastTimeLimit => "time past 2^46 ms",
        }
    }

    /// Whether every command with a value of this class replies with an error, so that
    /// a step "succeeds" with it only by getting the right error.
    pub fn always_errors(self) -> bool {
        matches!(
            self,
            ValueClass::IntegerOverflow | ValueClass::InfOrNan | ValueClass::PastTimeLimit
        )
    }
}

impl Shape {
    /// The classes of value that can change this shape's replies.
    pub fn value_classes(self) -> Vec<ValueClass> {
        use ValueClass::*;
        let extra: &[ValueClass] = match self {
            Shape::KeyOnly => return Vec::new(),
            Shape::Listing | Shape::Fields | Shape::Pairs | Shape::FieldsBlock | Shape::Scan => &[],
            Shape::IntIncrement => &[IntegerLimit, IntegerOverflow],
            Shape::FloatIncrement => &[FloatLimit, InfOrNan],
            Shape::RandomCount => &[NegativeCount, IntegerLimit],
            Shape::Expire(_) | Shape::GetEx | Shape::SetEx => TIMES,
        };
        // The whole-hash listings take no field, but their replies hold every field and
        // value, and the listpack limit decides their order.
        TEXT.iter().chain(extra).copied().collect()
    }
}

/// Errors every hash command can reply with.
pub const COMMON_ERRORS: &[&str] = &["WrongArity", "WrongType"];

#[cfg(test)]
mod tests {
    use crate::command::COMMANDS;
    use crate::CommandError;

    #[test]
    fn every_hash_command_has_a_grammar_whose_errors_exist() {
        let known: Vec<&str> = CommandError::known_kinds().collect();
        for c in COMMANDS {
            assert_eq!(c.grammar.is_some(), c.hash, "{}", c.name);
            for error in c.grammar.map_or(&[][..], |g| g.errors) {
                assert!(known.contains(error), "{}: no error kind {error}", c.name);
            }
            for keyword in c.grammar.map_or(&[][..], |g| g.keywords) {
                assert_eq!(*keyword, keyword.to_ascii_uppercase(), "{}", c.name);
            }
        }
    }
}
