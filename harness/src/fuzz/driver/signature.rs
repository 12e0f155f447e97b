//! The kind of a divergence, as a short text in which repeats of one difference read the same.

use reference_engine::Reply;

use crate::compare::Mismatch;

/// The kind of a divergence: the command, why, and what kind of reply each side gave, with
/// numbers and quoted words blanked so that repeats of one difference count as one.
pub fn signature(argv: &[Vec<u8>], expected: &Reply, actual: &Reply, m: &Mismatch) -> String {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    let kind = |r: &Reply| match r {
        Reply::Error(e) => format!("error {e:?}"),
        Reply::Integer(_) => "integer".into(),
        Reply::Bulk(_) => "bulk".into(),
        Reply::Null => "null".into(),
        Reply::NullArray => "null array".into(),
        Reply::Array(_) => "array".into(),
        Reply::Map(_) => "map".into(),
        Reply::Set(_) => "set".into(),
        Reply::Double(_) => "double".into(),
        Reply::Boolean(_) => "boolean".into(),
        Reply::Simple(s) => format!("status {s}"),
        other => format!("{:?}", std::mem::discriminant(other)),
    };
    let text = format!(
        "{name}: {} (expected {}, got {})",
        m.reason,
        kind(expected),
        kind(actual)
    );
    blank(&text)
}

/// Digits and text in single quotes replaced, so `'hexpire'`/`'hpexpire'` and `42`/`7` match.
fn blank(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    let mut last_digit = false;
    for c in text.chars() {
        if c == '\'' {
            quoted = !quoted;
            if quoted {
                out.push_str("'_'");
            }
            continue;
        }
        if quoted {
            continue;
        }
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
            continue;
        }
        last_digit = false;
        out.push(c);
    }
    out
}
