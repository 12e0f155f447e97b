//! Splitting an inline request line into arguments, as Redis's `sdssplitargs` does.

/// Splits an inline line as Redis's `sdssplitargs` does, or `None` for unbalanced quotes.
/// The line holds no NUL (the caller cut it at the first), so the end plays the NUL's part.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // C's isspace: the blank skipper and the check after a closing quote use it.
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    // A closing quote must end the argument: a space or the end of the line must follow it.
    let ends_argument = |i: usize| at(i) == 0 || is_space(at(i));
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i) != 0 && is_space(at(i)) {
            i += 1;
        }
        if at(i) == 0 {
            return Some(args);
        }
        // The quote an open quoted part will close with.
        let mut quote: Option<u8> = None;
        let mut current = Vec::new();
        loop {
            let c = at(i);
            let Some(close) = quote else {
                match c {
                    // Unlike the blank skipper, a word ends only at these: `a\x0bb` is one word.
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        i += 1;
                        break;
                    }
                    0 => break,
                    // A quote inside a word opens a quoted part of it: `a"b c"` is `ab c`.
                    b'"' | b'\'' => quote = Some(c),
                    _ => current.push(c),
                }
                i += 1;
                continue;
            };
            // `"..."` knows `\xHH` and C's escapes; `'...'` knows only `\'`.
            if close == b'"' && c == b'\\' && at(i + 1) == b'x' {
                if let (Some(hi), Some(lo)) = (hex(at(i + 2)), hex(at(i + 3))) {
                    current.push(hi * 16 + lo);
                    i += 4;
                    continue;
                }
            }
            if close == b'"' && c == b'\\' && at(i + 1) != 0 {
                current.push(match at(i + 1) {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                i += 2;
            } else if close == b'\'' && c == b'\\' && at(i + 1) == b'\'' {
                current.push(b'\'');
                i += 2;
            } else if c == close {
                if !ends_argument(i + 1) {
                    return None;
                }
                i += 1;
                break;
            } else if c == 0 {
                return None;
            } else {
                current.push(c);
                i += 1;
            }
        }
        args.push(current);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}
