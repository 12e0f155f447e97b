//! What the generators know about each command, read from the engine's command table: the
//! hash commands with their arity and [`Grammar`], plus the few key commands a run needs
//! around them. Nothing here names a hash command: a new one with a known [`Shape`] gets
//! generated (by `hashcheck fuzz` and by the cargo-fuzz programs) from its table row alone.

use std::sync::LazyLock;

use reference_engine::command::grammar::{Grammar, Shape};
use reference_engine::command::lookup;

/// How the generators build a command.
#[derive(Debug, Clone, Copy)]
pub enum Form {
    /// A hash command, built from its grammar; `arity` as in the table (Redis's: N exactly,
    /// -N at least N).
    Hash {
        grammar: &'static Grammar,
        arity: i32,
    },
    /// `DEL key`: resets a key's history (and its WRONGTYPE string).
    Del,
    /// `EXISTS key`.
    Exists,
    /// `TYPE key`.
    Type,
    /// `SET key value`: a string under a hash key, for WRONGTYPE.
    Set,
    /// `DUMP key`: the key's payload, judged by the value it restores to.
    Dump,
    /// `RESTORE key ttl payload [options]`: a payload built from pool fields (see
    /// `gen::payload`) restored into a pool key.
    Restore,
    /// `TTL key`, `PTTL key`, `PERSIST key`: the key alone, about its own TTL.
    KeyAlone,
    /// `EXPIRE key seconds [NX | XX | GT | LT]` (`millis`: PEXPIRE), with a time far ahead
    /// or already past, never one that falls due during a run.
    KeyExpire { millis: bool },
    /// `RENAME key newkey`, `COPY source destination [REPLACE]`: the second key another of
    /// the run's own; `replace` when the command takes REPLACE (its arity is open).
    TwoKeys { replace: bool },
}

impl Form {
    /// The shape of a hash command.
    pub fn shape(self) -> Option<Shape> {
        match self {
            Form::Hash { grammar, .. } => Some(grammar.shape),
            _ => None,
        }
    }

    /// How many arguments after the key a call of this command takes when its arity is
    /// fixed (`None` when it takes any number).
    pub fn fixed_args(self) -> Option<usize> {
        match self {
            Form::Hash { arity, .. } if arity > 0 => Some(arity as usize - 2),
            _ => None,
        }
    }
}

/// A command the generators know.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// Upper case, as generated.
    pub name: &'static str,
    pub form: Form,
}

/// The key commands the generators use besides the hash commands (support commands of the
/// engine's table, not hash commands), and how each is built.
const KEY_COMMANDS: &[(&str, Form)] = &[
    ("DEL", Form::Del),
    ("EXISTS", Form::Exists),
    ("TYPE", Form::Type),
    ("SET", Form::Set),
    ("DUMP", Form::Dump),
    ("RESTORE", Form::Restore),
    ("TTL", Form::KeyAlone),
    ("PTTL", Form::KeyAlone),
    ("PERSIST", Form::KeyAlone),
    ("EXPIRE", Form::KeyExpire { millis: false }),
    ("PEXPIRE", Form::KeyExpire { millis: true }),
    ("RENAME", Form::TwoKeys { replace: false }),
    ("RENAMENX", Form::TwoKeys { replace: false }),
    ("COPY", Form::TwoKeys { replace: true }),
];

/// Every command the generators know: the table's hash commands in table order, then the
/// key commands.
pub static KNOWN: LazyLock<Vec<Known>> = LazyLock::new(|| {
    let hash = reference_engine::command::COMMANDS
        .iter()
        .filter_map(|spec| {
            let grammar = spec.grammar?;
            // Once per process: generated names are `&'static str` like the key commands'.
            let name: &'static str = Box::leak(spec.name.to_ascii_uppercase().into_boxed_str());
            Some(Known {
                name,
                form: Form::Hash {
                    grammar,
                    arity: spec.arity,
                },
            })
        })
        .collect::<Vec<_>>();
    let keys = KEY_COMMANDS
        .iter()
        .map(|&(name, form)| Known { name, form });
    hash.into_iter().chain(keys).collect()
});

/// Every command the generator knows, upper case.
pub static COMMANDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| KNOWN.iter().map(|k| k.name).collect());

/// The commands of servers older than Redis 7.4 (for those servers, and for the first
/// differential test): the ones whose table row says they appeared before 7.4, the version
/// that brought field expiration.
pub static CLASSIC_COMMANDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    KNOWN
        .iter()
        .filter(|k| {
            let spec = lookup(k.name.as_bytes()).expect("every known command is in the table");
            before_7_4(spec.since)
        })
        .map(|k| k.name)
        .collect()
});

/// Whether a `since` version ("2.0.0", "7.4.0") is older than 7.4.
fn before_7_4(since: &str) -> bool {
    let mut parts = since.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) < (7, 4)
}

/// The keywords of the hash commands (every grammar's, once each, in table order), for
/// reports of which options a run used.
pub static OPTION_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&'static str> = Vec::new();
    for known in KNOWN.iter() {
        if let Form::Hash { grammar, .. } = known.form {
            for keyword in grammar.keywords {
                if !words.contains(keyword) {
                    words.push(keyword);
                }
            }
        }
    }
    words
});

/// The command named `name` (any case), if the generators know it.
pub fn known(name: &[u8]) -> Option<&'static Known> {
    *KNOWN_BY_ROW.get(reference_engine::command::row(name)?)?
}

/// [`KNOWN`] by the engine's table rows. WHY: `known` runs several times per generated and
/// per compared command, and comparing the name with each known one in turn (case folded)
/// was a percent of a fuzz run; the table's own name lookup is a few instructions.
static KNOWN_BY_ROW: LazyLock<Vec<Option<&'static Known>>> = LazyLock::new(|| {
    let mut by_row = vec![None; reference_engine::command::COMMANDS.len()];
    for known in KNOWN.iter() {
        let row = reference_engine::command::row(known.name.as_bytes())
            .expect("every known command is in the table");
        by_row[row] = Some(known);
    }
    by_row
});

/// The form of the command named `name` (any case).
pub fn form_of(name: &[u8]) -> Option<Form> {
    known(name).map(|k| k.form)
}

/// The names of the commands whose form `keep` accepts, in table order.
pub fn commands_where(keep: impl Fn(Form) -> bool) -> Vec<&'static str> {
    KNOWN
        .iter()
        .filter(|k| keep(k.form))
        .map(|k| k.name)
        .collect()
}

/// Whether `keyword` is followed by a value of its own (a time, a pattern, a count), which
/// is then not a keyword even if it reads as one.
fn takes_value(shape: Shape, keyword: &str) -> bool {
    match shape {
        Shape::Scan => matches!(keyword, "MATCH" | "COUNT"),
        _ => reference_engine::command::grammar::TimeArg::of_keyword(keyword).is_some(),
    }
}

/// The option words of `argv` (upper-cased), for commands that take options: words before
/// the FIELDS block (and FIELDS itself), and the trailing options of a scan or a random
/// pick. Any hash command's keyword counts, so that a misplaced one shows in the report.
pub fn options_of(argv: &[Vec<u8>]) -> Vec<&'static str> {
    let mut found = Vec::new();
    for_each_option(argv, |option| found.push(option));
    found
}

/// [`options_of`] without collecting them: a fuzz run counts the options of every command
/// it compares.
pub fn for_each_option(argv: &[Vec<u8>], mut found: impl FnMut(&'static str)) {
    let Some(shape) = argv.first().and_then(|n| form_of(n)).and_then(Form::shape) else {
        return;
    };
    let from = match shape {
        // After the cursor or the count; after the time argument.
        Shape::Scan | Shape::RandomCount | Shape::Expire(_) => 3,
        Shape::FieldsBlock | Shape::GetEx | Shape::SetEx => 2,
        Shape::KeyOnly
        | Shape::Listing
        | Shape::Fields
        | Shape::Pairs
        | Shape::IntIncrement
        | Shape::FloatIncrement => return,
    };
    let mut i = from;
    while i < argv.len() {
        let word = &argv[i];
        if let Some(option) = OPTION_WORDS
            .iter()
            .find(|o| word.eq_ignore_ascii_case(o.as_bytes()))
        {
            found(*option);
            // Fields, values and patterns follow; they are not options.
            if *option == "FIELDS" {
                break;
            }
            if takes_value(shape, option) {
                i += 1;
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_of(shape: Shape) -> &'static str {
        commands_where(|f| f.shape() == Some(shape))[0]
    }

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// `known` finds exactly the generator's commands, in any case, and nothing else of
    /// the engine's table.
    #[test]
    fn known_finds_the_generated_commands_by_name_in_any_case() {
        for k in KNOWN.iter() {
            for name in [k.name.to_string(), k.name.to_ascii_lowercase()] {
                assert_eq!(known(name.as_bytes()).map(|f| f.name), Some(k.name));
            }
        }
        for spec in reference_engine::command::COMMANDS {
            let generated = KNOWN.iter().any(|k| k.name.eq_ignore_ascii_case(spec.name));
            assert_eq!(
                known(spec.name.as_bytes()).is_some(),
                generated,
                "{}",
                spec.name
            );
        }
        for other in ["", "HGETX", "HGE", "hget\0", "NOSUCHCOMMANDATALL"] {
            assert!(known(other.as_bytes()).is_none(), "{other:?}");
        }
    }

    #[test]
    fn every_hash_command_of_the_table_is_known() {
        let hash = reference_engine::command::hash_command_names().count();
        let forms = KNOWN.iter().filter(|k| k.form.shape().is_some()).count();
        assert_eq!(forms, hash);
        assert_eq!(COMMANDS.len(), hash + KEY_COMMANDS.len());
        assert!(CLASSIC_COMMANDS.len() < COMMANDS.len());
        assert!(CLASSIC_COMMANDS.contains(&"DEL"));
        // Field expiration came with 7.4: no classic command takes a FIELDS block.
        for name in CLASSIC_COMMANDS.iter() {
            let shape = form_of(name.as_bytes()).and_then(Form::shape);
            let expiry = matches!(
                shape,
                Some(Shape::Expire(_) | Shape::FieldsBlock | Shape::GetEx | Shape::SetEx)
            );
            assert!(!expiry, "{name} is classic but takes FIELDS");
        }
        assert!(before_7_4("2.0.0") && before_7_4("6.2.0"));
        assert!(!before_7_4("7.4.0") && !before_7_4("8.0.0") && !before_7_4("10.0.0"));
        for word in ["FIELDS", "PERSIST", "KEEPTTL", "MATCH", "WITHVALUES"] {
            assert!(OPTION_WORDS.contains(&word), "{word}");
        }
    }

    #[test]
    fn options_are_read_before_the_fields() {
        let setex = first_of(Shape::SetEx);
        let a = argv(&[setex, "k", "fnx", "EX", "10", "FIELDS", "1", "NX", "v"]);
        assert_eq!(options_of(&a), vec!["FNX", "EX", "FIELDS"]);
        let scan = argv(&[first_of(Shape::Scan), "k", "0", "MATCH", "NX", "NOVALUES"]);
        assert_eq!(options_of(&scan), vec!["MATCH", "NOVALUES"]);
        assert!(options_of(&argv(&[first_of(Shape::Pairs), "k", "NX"])).is_empty());
        assert!(options_of(&argv(&["NOSUCH", "k", "NX"])).is_empty());
    }
}
