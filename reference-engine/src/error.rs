//! Every error text the engine can reply with, and nowhere else.
//!
//! `Display` produces the exact bytes Redis 8.2.3 sends after the leading `-`, checked on the
//! real server. Commands return `Err(CommandError)`; dispatch turns it into `Reply::Error`.

use thiserror::Error;

use crate::reply::error_text_from_bytes;
use crate::strconv::c_str;

/// An error reply. The variant names say when Redis sends it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand { name: String, args: String },
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR value is out of range")]
    OutOfRange,
    #[error("ERR value is out of range, must be positive")]
    NotPositive,
    #[error("ERR hash value is not an integer")]
    HashValueNotInteger,
    #[error("ERR hash value is not a float")]
    HashValueNotFloat,
    #[error("ERR increment or decrement would overflow")]
    IncrementOverflow,
    #[error("ERR value is NaN or Infinity")]
    IncrementNanOrInfinity,
    #[error("ERR increment would produce NaN or Infinity")]
    ResultNanOrInfinity,
    /// HRANDFIELD's count of exactly i64::MIN; "must between" is Redis's own grammar.
    #[error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")]
    CountOutOfRange,
    #[error("ERR invalid cursor")]
    InvalidCursor,
    #[error("ERR invalid expire time, must be >= 0")]
    NegativeExpireTime,
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(String),
    #[error("ERR Mandatory argument FIELDS is missing or not at the right position")]
    FieldsMissing,
    /// numfields out of range in the HEXPIRE family.
    #[error("ERR Parameter `numFields` should be greater than 0")]
    NumFieldsNotPositive,
    /// numfields out of range in HTTL*, HPERSIST, HGETDEL and HGETEX.
    #[error("ERR Number of fields must be a positive integer")]
    NumberOfFieldsNotPositive,
    /// numfields out of range in HSETEX.
    #[error("ERR invalid number of fields")]
    InvalidNumberOfFields,
    #[error("ERR The `numfields` parameter must match the number of arguments")]
    NumFieldsMismatch,
    #[error("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified")]
    OnlyOneExpiryOption,
    #[error("ERR Only one of FXX or FNX arguments can be specified")]
    OnlyOneFieldCondition,
    #[error("ERR missing expire time")]
    MissingExpireTime,
    #[error("ERR unknown argument: {0}")]
    UnknownArgument(String),
    #[error("ERR unknown subcommand '{sub}'. Try {cmd} HELP.")]
    UnknownSubcommand { cmd: String, sub: String },
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    #[error("NOPROTO unsupported protocol version")]
    UnsupportedProtocol,
    /// An int argument (SELECT's index) past C `int`; "must between" is Redis's own grammar.
    #[error("ERR value is out of range, value must between {min} and {max}")]
    ValueMustBetween { min: i64, max: i64 },
    #[error("ERR Protocol version is not an integer or out of range")]
    ProtocolVersionNotInteger,
    /// HELLO's unknown option, or AUTH/SETNAME without enough values; the option is quoted.
    #[error("ERR Syntax error in HELLO option '{0}'")]
    HelloOption(String),
    #[error("WRONGPASS invalid username-password pair or user is disabled.")]
    WrongPass,
    #[error("ERR Client names cannot contain spaces, newlines or special characters.")]
    InvalidClientName,
    /// CLIENT SETINFO LIB-NAME/LIB-VER with a bad value; the option is quoted as sent.
    #[error("ERR {0} cannot contain spaces, newlines or special characters.")]
    InvalidClientAttribute(String),
    /// CLIENT SETINFO with an option other than LIB-NAME/LIB-VER.
    #[error("ERR Unrecognized option '{0}'")]
    UnrecognizedOption(String),
    /// RESTORE without REPLACE onto a key that exists.
    #[error("BUSYKEY Target key name already exists.")]
    BusyKey,
    /// RESTORE's ttl below zero.
    #[error("ERR Invalid TTL value, must be >= 0")]
    InvalidTtl,
    /// RESTORE: a payload too short, from a newer RDB version, or with a wrong CRC.
    #[error("ERR DUMP payload version or checksum are wrong")]
    PayloadVersionOrChecksum,
    /// RESTORE: a payload with a sound footer whose object cannot be read.
    #[error("ERR Bad data format")]
    BadDataFormat,
    #[error("ERR Invalid IDLETIME value, must be >= 0")]
    InvalidIdleTime,
    #[error("ERR Invalid FREQ value, must be >= 0 and <= 255")]
    InvalidFreq,
    /// EXPIRE and friends: an option other than NX, XX, GT, LT (quoted as a C string).
    #[error("ERR Unsupported option {0}")]
    UnsupportedOption(String),
    #[error("ERR NX and XX, GT or LT options at the same time are not compatible")]
    NxWithOtherCondition,
    #[error("ERR GT and LT options at the same time are not compatible")]
    GtAndLt,
    /// RENAME and RENAMENX of a missing key.
    #[error("ERR no such key")]
    NoSuchKey,
    /// COPY or MOVE onto the very key they read.
    #[error("ERR source and destination objects are the same")]
    SameObject,
    #[error("ERR invalid first DB index")]
    InvalidFirstDbIndex,
    #[error("ERR invalid second DB index")]
    InvalidSecondDbIndex,
    /// SCAN with HSCAN's NOVALUES.
    #[error("ERR NOVALUES option can only be used in HSCAN")]
    NoValuesOnlyInHscan,
    /// DEBUG's reply to an unknown subcommand or a known one with the wrong arguments.
    #[error("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP.")]
    SubcommandOrArity { cmd: String, sub: String },
    /// DEBUG OBJECT or LISTPACK on a missing key.
    #[error("ERR Not a listpack encoded object.")]
    NotListpack,
    #[error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")]
    ReloadOption,
    /// CONFIG SET of a parameter the server does not have; the name is quoted as sent.
    #[error("ERR Unknown option or number of arguments for CONFIG SET - '{0}'")]
    ConfigUnknown(String),
    /// CONFIG SET with a value the parameter refuses.
    #[error("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")]
    ConfigSetFailed { name: String, why: String },
    /// FUNCTION FLUSH with an argument other than ASYNC or SYNC.
    #[error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")]
    FunctionFlushOption,
    /// SCRIPT FLUSH with an argument other than ASYNC or SYNC ("support": Redis's grammar).
    #[error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")]
    ScriptFlushOption,
    /// For a support command the engine knows only in part: says plainly what is missing
    /// rather than pretending to be Redis.
    #[error("ERR hashcheck engine: {0}")]
    NotSupported(String),
    /// `hashcheck serve` caught a panic inside the engine: a bug in hashcheck, reported to
    /// the client that hit it while the server keeps serving.
    #[error("ERR hashcheck engine panicked: {0}")]
    EnginePanicked(String),
}

impl CommandError {
    /// The variant's name: how grammars and coverage maps name an error path.
    pub fn kind(&self) -> &'static str {
        use CommandError::*;
        match self {
            UnknownCommand { .. } => "UnknownCommand",
            WrongArity(_) => "WrongArity",
            WrongType => "WrongType",
            Syntax => "Syntax",
            NotInteger => "NotInteger",
            NotFloat => "NotFloat",
            OutOfRange => "OutOfRange",
            NotPositive => "NotPositive",
            HashValueNotInteger => "HashValueNotInteger",
            HashValueNotFloat => "HashValueNotFloat",
            IncrementOverflow => "IncrementOverflow",
            IncrementNanOrInfinity => "IncrementNanOrInfinity",
            ResultNanOrInfinity => "ResultNanOrInfinity",
            CountOutOfRange => "CountOutOfRange",
            InvalidCursor => "InvalidCursor",
            NegativeExpireTime => "NegativeExpireTime",
            InvalidExpireTime(_) => "InvalidExpireTime",
            FieldsMissing => "FieldsMissing",
            NumFieldsNotPositive => "NumFieldsNotPositive",
            NumberOfFieldsNotPositive => "NumberOfFieldsNotPositive",
            InvalidNumberOfFields => "InvalidNumberOfFields",
            NumFieldsMismatch => "NumFieldsMismatch",
            OnlyOneExpiryOption => "OnlyOneExpiryOption",
            OnlyOneFieldCondition => "OnlyOneFieldCondition",
            MissingExpireTime => "MissingExpireTime",
            UnknownArgument(_) => "UnknownArgument",
            UnknownSubcommand { .. } => "UnknownSubcommand",
            DbIndexOutOfRange => "DbIndexOutOfRange",
            UnsupportedProtocol => "UnsupportedProtocol",
            ValueMustBetween { .. } => "ValueMustBetween",
            ProtocolVersionNotInteger => "ProtocolVersionNotInteger",
            HelloOption(_) => "HelloOption",
            WrongPass => "WrongPass",
            InvalidClientName => "InvalidClientName",
            InvalidClientAttribute(_) => "InvalidClientAttribute",
            UnrecognizedOption(_) => "UnrecognizedOption",
            BusyKey => "BusyKey",
            InvalidTtl => "InvalidTtl",
            PayloadVersionOrChecksum => "PayloadVersionOrChecksum",
            BadDataFormat => "BadDataFormat",
            InvalidIdleTime => "InvalidIdleTime",
            InvalidFreq => "InvalidFreq",
            UnsupportedOption(_) => "UnsupportedOption",
            NxWithOtherCondition => "NxWithOtherCondition",
            GtAndLt => "GtAndLt",
            NoSuchKey => "NoSuchKey",
            SameObject => "SameObject",
            InvalidFirstDbIndex => "InvalidFirstDbIndex",
            InvalidSecondDbIndex => "InvalidSecondDbIndex",
            NoValuesOnlyInHscan => "NoValuesOnlyInHscan",
            SubcommandOrArity { .. } => "SubcommandOrArity",
            NotListpack => "NotListpack",
            ReloadOption => "ReloadOption",
            ConfigUnknown(_) => "ConfigUnknown",
            ConfigSetFailed { .. } => "ConfigSetFailed",
            FunctionFlushOption => "FunctionFlushOption",
            ScriptFlushOption => "ScriptFlushOption",
            NotSupported(_) => "NotSupported",
            EnginePanicked(_) => "EnginePanicked",
        }
    }

    /// The kind of error an error reply's text is, if it is one the engine knows. Texts
    /// with a part that varies (a command name, an argument) match around that part.
    pub fn kind_of_text(text: &str) -> Option<&'static str> {
        TEMPLATES.iter().find_map(|(kind, parts)| {
            let first = parts.first()?;
            let last = parts.last()?;
            let fits = if parts.len() == 1 {
                text == first
            } else {
                text.len() >= first.len() + last.len()
                    && text.starts_with(first.as_str())
                    && text.ends_with(last.as_str())
                    && middle_parts_in_order(&text[first.len()..text.len() - last.len()], parts)
            };
            fits.then_some(*kind)
        })
    }
}

impl CommandError {
    /// The kind names [`CommandError::kind_of_text`] can return.
    pub fn known_kinds() -> impl Iterator<Item = &'static str> {
        TEMPLATES.iter().map(|(kind, _)| *kind)
    }
}

/// Each error's text cut at its varying parts, from one example of every variant whose
/// varying parts are a marker byte. Exact texts come first so that "ERR value is out of
/// range" is not taken for the start of a longer one.
static TEMPLATES: std::sync::LazyLock<Vec<(&'static str, Vec<String>)>> =
    std::sync::LazyLock::new(|| {
        use CommandError::*;
        const M: &str = "\u{1}";
        let m = || M.to_string();
        let examples = [
            UnknownCommand {
                name: m(),
                args: m(),
            },
            WrongArity(m()),
            WrongType,
            Syntax,
            NotInteger,
            NotFloat,
            OutOfRange,
            NotPositive,
            HashValueNotInteger,
            HashValueNotFloat,
            IncrementOverflow,
            IncrementNanOrInfinity,
            ResultNanOrInfinity,
            CountOutOfRange,
            InvalidCursor,
            NegativeExpireTime,
            InvalidExpireTime(m()),
            FieldsMissing,
            NumFieldsNotPositive,
            NumberOfFieldsNotPositive,
            InvalidNumberOfFields,
            NumFieldsMismatch,
            OnlyOneExpiryOption,
            OnlyOneFieldCondition,
            MissingExpireTime,
            UnknownArgument(m()),
            UnknownSubcommand { cmd: m(), sub: m() },
            DbIndexOutOfRange,
            UnsupportedProtocol,
            ProtocolVersionNotInteger,
            HelloOption(m()),
            WrongPass,
            InvalidClientName,
            InvalidClientAttribute(m()),
            UnrecognizedOption(m()),
            BusyKey,
            InvalidTtl,
            PayloadVersionOrChecksum,
            BadDataFormat,
            InvalidIdleTime,
            InvalidFreq,
            UnsupportedOption(m()),
            NxWithOtherCondition,
            GtAndLt,
            NoSuchKey,
            SameObject,
            InvalidFirstDbIndex,
            InvalidSecondDbIndex,
            NoValuesOnlyInHscan,
            SubcommandOrArity { cmd: m(), sub: m() },
            NotListpack,
            ReloadOption,
            ConfigUnknown(m()),
            ConfigSetFailed {
                name: m(),
                why: m(),
            },
            FunctionFlushOption,
            ScriptFlushOption,
            NotSupported(m()),
            EnginePanicked(m()),
        ];
        let mut templates: Vec<(&'static str, Vec<String>)> = examples
            .iter()
            .map(|e| {
                (
                    e.kind(),
                    e.to_string().split(M).map(str::to_string).collect(),
                )
            })
            .collect();
        templates.sort_by_key(|(_, parts)| parts.len() > 1);
        templates
    });

/// Whether `parts[1..len-1]` occur in `middle` in order (the first and last were matched).
fn middle_parts_in_order(middle: &str, parts: &[String]) -> bool {
    let mut rest = middle;
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part.as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

impl CommandError {
    /// The unknown-command error as `processCommand` builds it: the name through `%.128s`,
    /// then the arguments, each `'%.*s' ` with only as many bytes as keep the list under 128,
    /// until it reaches 128. Both go through C strings (cut at a NUL), and the whole text is
    /// made one line (CR, LF → space). Checked on 8.2.3: `FOO a\r\nb` shows `'a  b'`,
    /// `FO\0O x\0y z` shows `'FO'` and `'x' 'z'`, and a 100-byte then a 100-byte argument
    /// show 100 and 25 bytes.
    pub fn unknown_command(name: &[u8], args: &[Vec<u8>]) -> Self {
        const SHOWN: usize = 128;
        let mut shown = String::new();
        // Counted in the client's bytes, as Redis's sdslen does, not in our text's.
        let mut shown_len = 0;
        for arg in args {
            if shown_len >= SHOWN {
                break;
            }
            let room = SHOWN - shown_len;
            shown.push('\'');
            shown.push_str(&error_text(arg, room));
            shown.push_str("' ");
            shown_len += c_str(arg).len().min(room) + 3;
        }
        CommandError::UnknownCommand {
            name: error_text(name, SHOWN),
            args: shown,
        }
    }
}

/// A malformed request. Redis answers it with this error and then closes the connection, so
/// it is not a command's reply: the request parser (`resp`) returns it and the server writes
/// [`ProtocolError::to_wire`]. Texts checked on 8.2.3 with raw sockets.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// `*` followed by anything but a decimal in 0..=i32::MAX (negatives are ignored, not
    /// errors; `-0`, `+1`, `01` are errors, as `string2ll` rejects them).
    #[error("ERR Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// `$` followed by anything but a decimal in 0..=512MB.
    #[error("ERR Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A multibulk element that does not start with `$`. Redis prints the byte raw, except
    /// CR and LF, which its error writer turns into spaces; `Display` shows a non-ASCII byte
    /// as `\xNN`, [`ProtocolError::to_wire`] sends it raw as Redis does.
    #[error("ERR Protocol error: expected '$', got '{}'", shown_byte(*.0))]
    ExpectedDollar(u8),
    #[error("ERR Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// More than 64KB buffered without a newline (or with a NUL before it).
    #[error("ERR Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// More than 64KB buffered after `*` without a CR.
    #[error("ERR Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// More than 64KB buffered at a `$` header without a CR.
    #[error("ERR Protocol error: too big bulk count string")]
    TooBigBulkCount,
}

impl ProtocolError {
    /// The exact bytes Redis writes for this error, `-` and CRLF included.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = b"-".to_vec();
        match self {
            ProtocolError::ExpectedDollar(b) => {
                out.extend_from_slice(b"ERR Protocol error: expected '$', got '");
                out.push(if matches!(b, b'\r' | b'\n') { b' ' } else { *b });
                out.push(b'\'');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn shown_byte(b: u8) -> String {
    match b {
        b'\r' | b'\n' => " ".to_string(),
        0x20..=0x7e => char::from(b).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

/// An argument quoted into an error text the way `addReplyErrorFormat("...%.Ns...")` does:
/// cut at the first NUL and at `max` bytes, with CR and LF turned into spaces (Redis does
/// that so an error stays one protocol line). Other bytes are kept exactly, non-UTF-8 ones
/// too (see [`error_text_from_bytes`]), so the reply carries them raw as Redis's does.
pub fn error_text(arg: &[u8], max: usize) -> String {
    let shown = c_str(arg);
    let shown = &shown[..shown.len().min(max)];
    let one_line: Vec<u8> = shown
        .iter()
        .map(|&b| if matches!(b, b'\r' | b'\n') { b' ' } else { b })
        .collect();
    error_text_from_bytes(&one_line)
}

/// [`error_text`] for an argument that ends the error message. `addReplyErrorFormat`
/// trims CR and LF from both ends of the whole message (`sdstrim(s, "\r\n")`) before it
/// turns the inner ones into spaces, so at the end they vanish: on 8.2.3,
/// `HSETEX h "a\r\n" ...` replies `-ERR unknown argument: a` and `"\r\na"` replies
/// `-ERR unknown argument:   a` (found by the differential fuzz target).
pub fn error_text_at_end(arg: &[u8], max: usize) -> String {
    let shown = c_str(arg);
    let shown = &shown[..shown.len().min(max)];
    let kept = shown.len()
        - shown
            .iter()
            .rev()
            .take_while(|&&b| matches!(b, b'\r' | b'\n'))
            .count();
    error_text(&shown[..kept], usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{error_text_bytes, Protocol};
    use crate::test_support::*;

    fn argv(words: &[&[u8]]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.to_vec()).collect()
    }

    /// The wire bytes of the unknown-command error for `words` (name first).
    fn unknown(words: &[&[u8]]) -> Vec<u8> {
        let v = argv(words);
        error_text_bytes(&CommandError::unknown_command(&v[0], &v[1..]).to_string())
    }

    #[test]
    fn arguments_quoted_into_error_texts() {
        assert_eq!(error_text(b"a\r\nb\0c", 128), "a  b");
        assert_eq!(error_text(&[b'x'; 200], 128).len(), 128);
        assert_eq!(
            error_text_bytes(&error_text(b"\xff\xc3\0z", 128)),
            b"\xff\xc3"
        );
    }

    #[test]
    fn error_texts_name_their_kind() {
        let errors = [
            CommandError::WrongArity("hsetex".into()),
            CommandError::InvalidExpireTime("hpexpireat".into()),
            CommandError::UnknownArgument("FOO".into()),
            CommandError::OutOfRange,
            CommandError::NotPositive,
            CommandError::CountOutOfRange,
            CommandError::unknown_command(b"foo", &argv(&[b"a", b"b"])),
        ];
        for e in errors {
            assert_eq!(
                CommandError::kind_of_text(&e.to_string()),
                Some(e.kind()),
                "{e}"
            );
        }
        assert_eq!(
            CommandError::kind_of_text("ERR value is out of range, or not"),
            None
        );
        assert_eq!(CommandError::kind_of_text("ERR something else"), None);
    }

    #[test]
    fn unknown_command_texts_match_redis() {
        // All four checked byte for byte on Redis 8.2.3.
        assert_eq!(
            unknown(&[b"FOO", b"a\r\nb"]),
            b"ERR unknown command 'FOO', with args beginning with: 'a  b' "
        );
        assert_eq!(
            unknown(&[b"FO\0O", b"x\0y", b"z"]),
            b"ERR unknown command 'FO', with args beginning with: 'x' 'z' "
        );
        assert_eq!(
            unknown(&[b"foo", b"", b"x"]),
            b"ERR unknown command 'foo', with args beginning with: '' 'x' "
        );
        assert_eq!(
            unknown(&[b"foo"]),
            b"ERR unknown command 'foo', with args beginning with: "
        );
        let long = unknown(&[&[b'F'; 200], &[b'a'; 100], &[b'b'; 100], b"c"]);
        let expected = format!(
            "ERR unknown command '{}', with args beginning with: '{}' '{}' ",
            "F".repeat(128),
            "a".repeat(100),
            "b".repeat(25)
        );
        assert_eq!(long, expected.as_bytes());
    }

    #[test]
    fn unknown_command_counts_client_bytes_and_keeps_them_raw() {
        // 0xff is one byte of the 128, though our text holds it as a 4-byte char.
        let got = unknown(&[b"\xff", &[0xff; 130]]);
        let mut expected = b"ERR unknown command '\xff', with args beginning with: '".to_vec();
        expected.extend_from_slice(&[0xff; 128]);
        expected.extend_from_slice(b"' ");
        assert_eq!(got, expected);
    }

    #[test]
    fn unknown_command_reply_on_the_wire() {
        let mut t = TestEngine::new();
        let reply = t.run_args(&[b"NOPE\xfe", b"a\nb"]);
        assert_eq!(
            reply.to_bytes(Protocol::Resp2),
            b"-ERR unknown command 'NOPE\xfe', with args beginning with: 'a b' \r\n"
        );
    }
}
