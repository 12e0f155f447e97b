//! Writing a case file back as canonical YAML: the layout of the format notes, steps in
//! block style (which the loader needs to find their lines), arguments and replies in flow
//! style on one line, scalars bare when YAML reads them back as the same text and quoted
//! otherwise. Loading what this writes gives back the same cases.

use std::fmt::Write as _;

use reference_engine::reply::format_double;
use reference_engine::Protocol;
use serde_yaml::Value;

use super::respelled;
use crate::cases::format::{Arg, Case, CaseFile, Expect, Order, ScanMode, Send, Step};
use crate::compare::ErrorMatch;

/// The YAML text of `file`.
pub fn write(file: &CaseFile) -> String {
    let mut out = String::new();
    for line in &file.header {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "source: {}", scalar(&file.source, false));
    let _ = writeln!(out, "behaviour: {}", scalar(&file.behaviour, false));
    if let Some(v) = file.since {
        let _ = writeln!(out, "since: \"{v}\"");
    }
    if !file.tags.is_empty() {
        let _ = writeln!(out, "tags: {}", word_list(&file.tags));
    }
    if file.cases.is_empty() {
        out.push_str("cases: []\n");
    } else {
        out.push_str("cases:\n");
    }
    for case in &file.cases {
        write_case(&mut out, case);
    }
    out
}

fn write_case(out: &mut String, case: &Case) {
    let _ = writeln!(out, "  - name: {}", scalar(&case.name, false));
    if let Some(v) = case.since {
        let _ = writeln!(out, "    since: \"{v}\"");
    }
    if case.resp != [Protocol::Resp2, Protocol::Resp3] {
        let versions: Vec<String> = case.resp.iter().map(|p| p.version().to_string()).collect();
        let _ = writeln!(out, "    resp: [{}]", versions.join(", "));
    }
    if !case.requires.is_empty() {
        let names: Vec<String> = case.requires.iter().map(|c| c.name().to_string()).collect();
        let _ = writeln!(out, "    requires: {}", word_list(&names));
    }
    if let Some(note) = &case.note {
        let _ = writeln!(out, "    note: {}", scalar(note, false));
    }
    out.push_str("    steps:\n");
    for step in &case.steps {
        match step {
            Step::Wait { ms, note, .. } => {
                let _ = writeln!(out, "      - wait: {ms}");
                if let Some(note) = note {
                    let _ = writeln!(out, "        note: {}", scalar(note, false));
                }
            }
            Step::Send(send) => write_send(out, send),
        }
    }
}

fn write_send(out: &mut String, send: &Send) {
    let args: Vec<String> = send.args.iter().map(arg).collect();
    let _ = writeln!(out, "      - send: [{}]", args.join(", "));
    if let Some(expect) = &send.expect {
        let _ = writeln!(out, "        expect: {}", reply(expect));
    }
    if let Some(order) = send.order {
        let word = match order {
            Order::Any => "any",
            Order::Exact => "exact",
        };
        let _ = writeln!(out, "        order: {word}");
    }
    if let Some(random) = send.random {
        let _ = writeln!(out, "        random: {random}");
    }
    if let Some(scan) = send.scan {
        let word = match scan {
            ScanMode::Walk => "walk",
            ScanMode::Once => "once",
        };
        let _ = writeln!(out, "        scan: {word}");
    }
    if let Some(n) = send.ttl_within {
        let _ = writeln!(out, "        ttl_within: {n}");
    }
    if let Some(errors) = send.errors {
        let word = match errors {
            ErrorMatch::Exact => "exact",
            ErrorMatch::Code => "code",
            ErrorMatch::Any => "any",
        };
        let _ = writeln!(out, "        errors: {word}");
    }
    if let Some(note) = &send.note {
        let _ = writeln!(out, "        note: {}", scalar(note, false));
    }
}

fn word_list(words: &[String]) -> String {
    let items: Vec<String> = words.iter().map(|w| scalar(w, true)).collect();
    format!("[{}]", items.join(", "))
}

fn arg(arg: &Arg) -> String {
    match arg {
        Arg::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) if is_canonical_int(s) => s.to_string(),
            Ok(s) => scalar(s, true),
            Err(_) => format!("{{hex: \"{}\"}}", hex(b)),
        },
        Arg::UnixS(n) => format!("{{unix_s: {n}}}"),
        Arg::UnixMs(n) => format!("{{unix_ms: {n}}}"),
    }
}

/// An expected reply in flow style.
pub(super) fn reply(expect: &Expect) -> String {
    let list = |items: &[Expect]| items.iter().map(reply).collect::<Vec<_>>().join(", ");
    match expect {
        Expect::Int(n) => n.to_string(),
        Expect::Bulk(b) => match std::str::from_utf8(b) {
            Ok(s) => scalar(s, true),
            Err(_) => format!("{{bulk: {{hex: \"{}\"}}}}", hex(b)),
        },
        Expect::Null => "null".to_string(),
        Expect::NilArray => "{nil_array: true}".to_string(),
        Expect::Status(s) => format!("{{status: {}}}", scalar(s, true)),
        Expect::Error(s) => format!("{{error: {}}}", quoted(s)),
        Expect::ErrorCode(s) => format!("{{error_code: {}}}", scalar(s, true)),
        Expect::Array(items) => format!("[{}]", list(items)),
        Expect::Set(items) => format!("{{set: [{}]}}", list(items)),
        Expect::Map(pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("[{}, {}]", reply(k), reply(v)))
                .collect();
            format!("{{map: [{}]}}", pairs.join(", "))
        }
        Expect::Double(d) if d.is_finite() => format!("{{double: {}}}", format_float(*d)),
        Expect::Double(d) => format!("{{double: {}}}", format_double(*d)),
        Expect::Boolean(b) => format!("{{boolean: {b}}}"),
        Expect::PerProtocol { resp2, resp3 } => {
            format!("{{resp2: {}, resp3: {}}}", reply(resp2), reply(resp3))
        }
        Expect::UnixS(n) => format!("{{unix_s: {n}}}"),
        Expect::UnixMs(n) => format!("{{unix_ms: {n}}}"),
        Expect::UnixMsInS(n) => format!("{{unix_ms_in_s: {n}}}"),
        Expect::MsInS(n) => format!("{{ms_in_s: {n}}}"),
    }
}

/// A finite double as YAML reads back as a float (`2.0`, not `2`, which is an integer).
fn format_float(d: f64) -> String {
    let s = format!("{d:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

fn is_canonical_int(s: &str) -> bool {
    s.parse::<i64>().is_ok_and(|n| n.to_string() == s)
}

/// `s` as a YAML scalar that reads back as the string `s`: bare where that is safe, else
/// double-quoted. `flow` is for scalars inside `[...]` or `{...}`.
fn scalar(s: &str, flow: bool) -> String {
    if bare_is_safe(s, flow) {
        s.to_string()
    } else {
        quoted(s)
    }
}

fn bare_is_safe(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '\u{feff}'))
        || (flow && s.contains([',', '[', ']', '{', '}']))
        || "?:,[]{}#&*!|>'\"%@`".contains(first)
        || (first == '-' && s.chars().nth(1).is_none_or(|c| c == ' '))
        || respelled(s)
    {
        return false;
    }
    // Finally ask YAML: `true`, `null`, `1.5`, `~` and the like are not strings.
    let parsed: Result<Value, _> = if flow {
        serde_yaml::from_str(&format!("[{s}]"))
    } else {
        serde_yaml::from_str(s)
    };
    match parsed {
        Ok(Value::String(back)) => !flow && back == s,
        Ok(Value::Sequence(items)) => flow && items.len() == 1 && items[0].as_str() == Some(s),
        _ => false,
    }
}

/// A double-quoted YAML scalar: ASCII control characters as `\xNN`, the rest as is.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            // C1 controls, line and paragraph separators and the BOM are not safe bare in
            // YAML, and U+FFFE/U+FFFF are not allowed in a YAML stream at all (found by the
            // codec fuzz target); written as escapes they read back as the same characters.
            c if ('\u{80}'..='\u{9f}').contains(&c)
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_what_yaml_would_change() {
        assert_eq!(scalar("Hello", true), "Hello");
        assert_eq!(scalar("Hello World", true), "Hello World");
        assert_eq!(scalar("5", true), "\"5\"");
        assert_eq!(scalar("1.5", true), "\"1.5\"");
        assert_eq!(scalar("true", true), "\"true\"");
        assert_eq!(scalar("null", true), "\"null\"");
        assert_eq!(scalar("", true), "\"\"");
        assert_eq!(scalar("007", true), "\"007\"");
        assert_eq!(scalar("a,b", true), "\"a,b\"");
        assert_eq!(scalar("a,b", false), "a,b");
        assert_eq!(scalar("-", true), "\"-\"");
        assert_eq!(scalar("-inf", true), "-inf");
        assert_eq!(scalar(".inf", true), "\".inf\"");
        assert_eq!(scalar("a\u{0}b", true), "\"a\\x00b\"");
        assert_eq!(scalar("it's", true), "it's");
        assert_eq!(
            scalar("https://redis.io/docs/latest/commands/hset/#return", false),
            "https://redis.io/docs/latest/commands/hset/#return"
        );
    }

    #[test]
    fn arguments_keep_their_bytes() {
        assert_eq!(arg(&Arg::Bytes(b"42".to_vec())), "42");
        assert_eq!(arg(&Arg::Bytes(b"+42".to_vec())), "\"+42\"");
        assert_eq!(arg(&Arg::Bytes(vec![0xff, 0x80])), "{hex: \"ff80\"}");
        assert_eq!(arg(&Arg::UnixS(-5)), "{unix_s: -5}");
    }

    #[test]
    fn noncharacters_are_escaped_so_the_file_loads() {
        // A server's bulk reply can hold U+FFFF (EF BF BF); YAML forbids it unescaped.
        assert_eq!(scalar("a\u{ffff}", true), "\"a\\uffff\"");
        let text = format!(
            "source: s\nbehaviour: {}\ncases: []\n",
            scalar("\u{fffe}", false)
        );
        let file = crate::cases::format::load_str(std::path::Path::new("x.yaml"), &text).unwrap();
        assert_eq!(file.behaviour, "\u{fffe}");
    }

    #[test]
    fn doubles_stay_doubles() {
        assert_eq!(reply(&Expect::Double(2.0)), "{double: 2.0}");
        assert_eq!(reply(&Expect::Double(1.5)), "{double: 1.5}");
        assert_eq!(reply(&Expect::Double(f64::INFINITY)), "{double: inf}");
    }
}
