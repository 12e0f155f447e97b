//! Splitting an inline request line into arguments, as Redis's `sdssplitargs` does.

/// Splits an inline line as Redis's `sdssplitargs` does, or `None` for unbalanced quotes.
/// The line holds no NUL (the caller cut it at the first), so the end plays the NUL's part.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // C's isspace: the blank skipper and the check after a closing quote use it.
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i) != 0 && is_space(at(i)) {
            i += 1;
        }
        if at(i) == 0 {
            return Some(args);
        }
        let (mut in_double, mut in_single) = (false, false);
        let mut current = Vec::new();
        loop {
            let c = at(i);
            if in_double {
                if c == b'\\' && at(i + 1) == b'x' && hex(at(i + 2)).is_some() {
                    if let (Some(hi), Some(lo)) = (hex(at(i + 2)), hex(at(i + 3))) {
                        current.push(hi * 16 + lo);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(i + 1) != 0 {
                    current.push(match at(i + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    // The closing quote must end the argument.
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
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
            } else if in_single {
                if c == b'\\' && at(i + 1) == b'\'' {
                    current.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
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
            } else {
                match c {
                    // Unlike the blank skipper, a word ends only at these: `a\x0bb` is one word.
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        i += 1;
                        break;
                    }
                    0 => break,
                    // A quote inside a word opens a quoted part of it: `a"b c"` is `ab c`.
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
                i += 1;
            }
        }
        args.push(current);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}
