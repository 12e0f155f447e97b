//! The arguments a program's steps carry: pool picks, tables of edge cases, and the rare
//! bytes straight from the input.

use arbitrary::{Arbitrary, Result, Unstructured};
use reference_engine::command::grammar::TimeArg;

use super::list;

/// A key from the pool.
#[derive(Debug, Clone, Copy, PartialEq, Arbitrary)]
pub struct Key(pub u8);

/// A field: mostly from the pool, sometimes empty, binary, long enough to convert the hash
/// to a hash table, or bytes from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Field(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Field {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(Field(match b {
            0..=229 => format!("f{}", b % 6).into_bytes(),
            230..=235 => Vec::new(),
            236..=241 => b"f\x00\xff".to_vec(),
            242..=249 => vec![b'L'; 65],
            _ => Vec::<u8>::arbitrary(u)?,
        }))
    }
}

/// A value: an edge case from the table, a long one, or bytes from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Value(pub Vec<u8>);

const VALUES: &[&[u8]] = &[
    b"1",
    b"-7",
    b"0",
    b"abc",
    b"",
    b"3.5",
    b"10.5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1e3",
    b"0x10",
    b"inf",
    b"\x00bin\x00",
    b"007",
    b" 5",
    b"-0",
    b"hello world",
    b"1.7976931348623157e308",
];

impl<'a> Arbitrary<'a> for Value {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(Value(match b as usize {
            i if i < 200 => VALUES[i % VALUES.len()].to_vec(),
            200..=219 => vec![b'v'; 65],
            _ => Vec::<u8>::arbitrary(u)?,
        }))
    }
}

/// A word from a table of `T`, or (rarely) bytes from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick<T> {
    pub bytes: Vec<u8>,
    kind: std::marker::PhantomData<T>,
}

/// A table of words for [`Pick`].
pub trait Words {
    const WORDS: &'static [&'static str];
}

impl<'a, T: Words> Arbitrary<'a> for Pick<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let b = u8::arbitrary(u)? as usize;
        let bytes = if b < 240 {
            T::WORDS[b % T::WORDS.len()].as_bytes().to_vec()
        } else {
            Vec::<u8>::arbitrary(u)?
        };
        Ok(Pick {
            bytes,
            kind: std::marker::PhantomData,
        })
    }
}

macro_rules! words {
    ($(#[$doc:meta])* $name:ident: $($w:literal),+ $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name;
        impl Words for $name {
            const WORDS: &'static [&'static str] = &[$($w),+];
        }
    };
}

words!(
    /// Integer increments.
    IntIncrement: "1", "-1", "100", "0", "5", "-20", "1", "-1", "9223372036854775807",
    "-9223372036854775808", "abc", "1.5", "", "+1", "9223372036854775808"
);
words!(
    /// Float increments.
    FloatIncrement: "0.1", "-0.1", "1.5", "5", "-3e-5", "2.5e3", "0.1", "-7", "1e308", "0x10",
    "inf", "-inf", "nan", "abc", "", " 1", "1e-20", "+2.5", "123456789.123456789", "1e400", "-0"
);
words!(
    /// The WITHVALUES slot of a random pick.
    WithValues: "WITHVALUES", "WITHVALUES", "WITHVALUES", "withvalues", "WITHVALUE", "NOVALUES"
);
words!(
    /// Scan cursors.
    Cursor: "0", "0", "0", "0", "0", "0", "1", "-1", "abc", "12345", "18446744073709551615", ""
);
words!(
    /// Scan MATCH patterns.
    Pattern: "f*", "*", "f[0-2]", "?", "L*", "\\f*", "f[^1]", "[", "f\\", "*\x00*"
);
words!(
    /// Scan COUNT values.
    ScanCount: "1", "2", "10", "3", "1000", "0", "-1", "x"
);
words!(
    /// Expiry conditions.
    Condition: "NX", "XX", "GT", "LT", "nx", "gt", "XY"
);

/// A random-pick count: small (-10..=10), or an edge case. Never below -1000 for a server
/// (see [`Mode::Server`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Count(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Count {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        const EDGES: &[&str] = &[
            "abc",
            "-9223372036854775808",
            "9223372036854775807",
            "4611686018427387904",
            "-1000",
            "",
            "+1",
        ];
        let b = u8::arbitrary(u)?;
        Ok(Count(match b {
            0..=209 => (i64::from(b % 21) - 10).to_string().into_bytes(),
            210..=249 => EDGES[usize::from(b) % EDGES.len()].as_bytes().to_vec(),
            _ => i64::arbitrary(u)?.to_string().into_bytes(),
        }))
    }
}

/// `FIELDS numfields field...`: the fields, and whether numfields tells the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldList {
    pub fields: Vec<Field>,
    pub numfields: NumFields,
}

impl<'a> Arbitrary<'a> for FieldList {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(FieldList {
            fields: list(u, 3)?,
            numfields: u.arbitrary()?,
        })
    }
}

/// The numfields argument: right (mostly), off by a little, or not a number.
#[derive(Debug, Clone, PartialEq)]
pub enum NumFields {
    Right,
    Off(i8),
    Word(Vec<u8>),
}

impl<'a> Arbitrary<'a> for NumFields {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(match b {
            0..=229 => NumFields::Right,
            230..=244 => NumFields::Off((b % 5) as i8 - 2),
            _ => NumFields::Word(
                [&b"abc"[..], b"-1", b"0", b"", b"99999999999"][usize::from(b) % 5].to_vec(),
            ),
        })
    }
}

impl NumFields {
    pub(super) fn word(&self, n: usize) -> Vec<u8> {
        match self {
            NumFields::Right => n.to_string().into_bytes(),
            NumFields::Off(d) => (n as i64 + i64::from(*d)).to_string().into_bytes(),
            NumFields::Word(w) => w.clone(),
        }
    }
}

/// A deadline or duration for EX/PX/EXAT/PXAT, relative to when the command is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Time {
    /// Already passed (absolute units) or zero (relative ones): the fields go at once.
    Past,
    /// Falls due soon: within 3 s (whole seconds for the seconds units).
    Soon(u16),
    /// Far in the future.
    Far,
    /// Not a valid time.
    Bad(u8),
}

impl<'a> Arbitrary<'a> for Time {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=49 => Time::Past,
            50..=139 => Time::Soon(u.arbitrary()?),
            140..=229 => Time::Far,
            _ => Time::Bad(u.arbitrary()?),
        })
    }
}

/// The unit of a time argument.
#[derive(Debug, Clone, Copy, PartialEq, Arbitrary)]
pub enum Unit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl Unit {
    pub(super) fn word(self) -> &'static str {
        match self {
            Unit::Ex => "EX",
            Unit::Px => "PX",
            Unit::ExAt => "EXAT",
            Unit::PxAt => "PXAT",
        }
    }

    pub(super) fn time(self) -> TimeArg {
        TimeArg::of_keyword(self.word()).expect("a time keyword")
    }
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum GetExOption {
    Persist,
    Ttl(Unit, Time),
}

#[derive(Debug, Clone, Copy, PartialEq, Arbitrary)]
pub enum SetExCondition {
    Fnx,
    Fxx,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum SetExOption {
    KeepTtl,
    Ttl(Unit, Time),
}

/// The name of a raw command: one the generator knows (any case), or input bytes (engine
/// only).
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum RawName {
    Known(u8, bool),
    Bytes(Vec<u8>),
}
