//! `fuzz/dict/commands.dict`, the libFuzzer dictionary, generated from the engine's command
//! table: every command name, every keyword of the grammars and every subcommand, then
//! numbers and globs at the edges the commands care about. A test fails when the committed
//! file differs; `cargo run -p harness --example gen-dict` rewrites it.

use reference_engine::command::grammar::MAX_FIELD_DEADLINE_MS;
use reference_engine::command::COMMANDS;

/// Where the dictionary lives, from the repository's root.
pub const PATH: &str = "fuzz/dict/commands.dict";

/// Option words that no table row declares: HELLO's (the engine parses HELLO by hand).
const OTHER_WORDS: &[&str] = &["AUTH", "SETNAME"];

/// The dictionary's text.
pub fn commands_dict() -> String {
    let mut out = String::from(
        "# libFuzzer dictionary for the engine and differential targets: the command names, option\n\
         # words and edge-case numbers that Raw steps (arbitrary bytes as names and arguments) need.\n\
         #   cargo +nightly fuzz run engine -- -dict=fuzz/dict/commands.dict\n\
         # Generated from the engine's command table: cargo run -p harness --example gen-dict\n",
    );
    let mut section = |title: &str, words: Vec<String>| {
        out.push_str(&format!("\n# {title}\n"));
        let mut seen = std::collections::HashSet::new();
        for word in words.into_iter().filter(|w| seen.insert(w.clone())) {
            out.push_str(&format!("\"{}\"\n", escape(word.as_bytes())));
        }
    };
    let upper = COMMANDS.iter().map(|c| c.name.to_ascii_uppercase());
    // Lower case too for the hash commands: names are matched case-insensitively.
    let lower = COMMANDS
        .iter()
        .filter(|c| c.hash)
        .map(|c| c.name.to_string());
    section("commands", upper.chain(lower).collect());
    let keywords = COMMANDS
        .iter()
        .filter_map(|c| c.grammar)
        .flat_map(|g| g.keywords.iter().map(|k| k.to_string()));
    let subcommands = COMMANDS
        .iter()
        .flat_map(|c| c.subcommands)
        .map(|s| s.name.to_ascii_uppercase());
    let other = OTHER_WORDS.iter().map(|w| w.to_string());
    section(
        "option words",
        keywords.chain(subcommands).chain(other).collect(),
    );
    let numbers = [
        "0".to_string(),
        "1".into(),
        "-1".into(),
        "2".into(),
        "3".into(),
        "10".into(),
        "1000".into(),
        "-1000".into(),
        i64::MAX.to_string(),
        i64::MIN.to_string(),
        (i64::MAX as u64 + 1).to_string(),
        (i64::MAX / 2).to_string(),
        // The latest field deadline, and one past it.
        MAX_FIELD_DEADLINE_MS.to_string(),
        (MAX_FIELD_DEADLINE_MS + 1).to_string(),
        "1.5".into(),
        "1e308".into(),
        "inf".into(),
        "-inf".into(),
        "nan".into(),
        // Spellings strict integer parsing refuses.
        "0x10".into(),
        "+1".into(),
        "-0".into(),
        "007".into(),
        " 1".into(),
    ];
    section("numbers", numbers.to_vec());
    let globs = ["*", "?", "[a-z]", "[^a]", "\\\\", "f*"];
    section("globs", globs.iter().map(|g| g.to_string()).collect());
    out
}

/// A dictionary entry's bytes: printable ASCII as is, a quote, a backslash and anything
/// else as `\xNN`.
fn escape(word: &[u8]) -> String {
    word.iter()
        .map(|&b| match b {
            b'"' | b'\\' => format!("\\x{b:02x}"),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed dictionary is the table's.
    #[test]
    fn committed_dict_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(PATH);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == commands_dict(),
            "{PATH} is not what the command table gives; regenerate it with\n    \
             cargo run -p harness --example gen-dict"
        );
    }

    #[test]
    fn every_name_and_keyword_is_in_it() {
        let dict = commands_dict();
        for c in COMMANDS {
            assert!(dict.contains(&format!("\"{}\"\n", c.name.to_ascii_uppercase())));
            for k in c.grammar.map_or(&[][..], |g| g.keywords) {
                assert!(dict.contains(&format!("\"{k}\"\n")), "{k}");
            }
        }
        assert!(dict.contains("\"\\x5c\\x5c\"\n"), "a backslash is escaped");
    }
}
