//! Reading YAML text below the parser: where an item starts, plain tokens as written, and
//! which spellings YAML would change.

use serde_yaml::Value;

/// Whether `line` starts a list item whose first key is `key` (`  - send: ...`).
pub(super) fn starts_item(line: &str, key: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('-') else {
        return false;
    };
    if !rest.starts_with([' ', '\t']) {
        return false;
    }
    rest.trim_start()
        .strip_prefix(key)
        .is_some_and(|r| r.trim_start().starts_with(':'))
}

pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Number(_) => "a number",
        _ => "something else",
    }
}

pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// The unquoted scalars on a line of flow- or block-style YAML: the text between the
/// indicators `[ ] { } ,`, a leading `- ` and `key: `, skipping quoted strings and comments.
pub(crate) fn plain_tokens(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        let t = current.trim();
        let t = t.strip_prefix("- ").unwrap_or(t).trim();
        if !t.is_empty() && t != "-" {
            tokens.push(t.to_string());
        }
        current.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip to the closing quote, minding escapes.
                while let Some(q) = chars.next() {
                    if q == '\\' {
                        chars.next();
                    } else if q == '"' {
                        break;
                    }
                }
                current.clear();
                current.push('"');
            }
            '\'' if current.trim().is_empty() => {
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                current.clear();
                current.push('\'');
            }
            '#' if current.is_empty() || current.ends_with(' ') => break,
            '[' | ']' | '{' | '}' | ',' => flush(&mut current, &mut tokens),
            ':' if matches!(chars.peek(), None | Some(' ')) => current.clear(),
            _ => current.push(c),
        }
    }
    flush(&mut current, &mut tokens);
    tokens.retain(|t| !t.starts_with('"') && !t.starts_with('\''));
    tokens
}

/// Whether YAML would read this plain scalar as something other than its own text while
/// still giving a string or an integer: `+5`, `0x10`, `0o7`, `-0`, `007`.
pub(crate) fn respelled(token: &str) -> bool {
    let unsigned = token.strip_prefix(['+', '-']).unwrap_or(token);
    let lower = unsigned.to_ascii_lowercase();
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    (token.starts_with('+') && digits(unsigned, 10))
        || lower.strip_prefix("0x").is_some_and(|r| digits(r, 16))
        || lower.strip_prefix("0o").is_some_and(|r| digits(r, 8))
        || token == "-0"
        || (unsigned.len() > 1 && unsigned.starts_with('0') && digits(unsigned, 10))
}
