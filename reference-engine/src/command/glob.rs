//! Redis's glob matcher (`stringmatchlen` in util.c), as used by `HSCAN ... MATCH pattern`.
//!
//! ```text
//! *       any run of bytes, including none
//! ?       exactly one byte
//! [abc]   one byte of the set;  [^abc] one byte not in it;  [a-z] a range (either order)
//! \x      the byte x literally, inside or outside brackets
//! ```
//!
//! Matching is byte-wise and case-sensitive (SCAN never asks for `nocase`). The C code has
//! corners that a "clean" glob would not, and they are observable, so they are kept:
//!
//! - The C pattern is NUL-terminated and the code reads one byte past the end in places
//!   (`pattern[1]` after the last `*`, the byte after an unterminated `[`); we read 0 there.
//! - An unterminated `[abc` still works as a set; `[` alone matches nothing and `[^` any byte.
//! - Range bounds and the subject byte are compared as C `char`, which is signed on the
//!   platforms Redis ships on, so `[a-\xff]` is the range -1..=97, not 97..=255.
//! - A string that is already consumed stops the main loop, so `**` (unlike `*`, which HSCAN
//!   treats as "no pattern") does not match the empty field.
//! - Recursion deeper than 1000 `*`s reports "no match" (Redis's guard against abusive
//!   patterns), and after one `*` has failed at every position the whole match gives up
//!   early (`skipLongerMatches`), which never changes a result but keeps this linear-ish.
//!
//! Checked against Redis 8.2.3 through HSCAN MATCH; see the tests below.

/// Whether `string` matches the glob `pattern`, exactly as Redis decides it.
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_at(pattern, 0, string, 0, &mut skip_longer, 0)
}

/// Redis gives up (no match) past this many nested `*` expansions.
const MAX_NESTING: u32 = 1000;

/// The byte at `i`, or 0 past the end, as the C code sees its NUL terminator.
fn byte_at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// A byte as a C `char` on x86-64 and aarch64 Linux: signed.
fn as_c_char(b: u8) -> i32 {
    i32::from(b as i8)
}

/// `stringmatchlen_impl` with the pattern and string given as suffixes starting at `p` and
/// `s`. Both suffixes always run to the end of their buffers, as in the C recursion.
fn match_at(
    pattern: &[u8],
    mut p: usize,
    string: &[u8],
    mut s: usize,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                // Consecutive stars act as one.
                while p < pattern.len() && byte_at(pattern, p + 1) == b'*' {
                    p += 1;
                }
                if pattern.len() - p == 1 {
                    return true;
                }
                while s < string.len() {
                    if match_at(pattern, p + 1, string, s, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // The rest of the pattern matched nowhere in the rest of the string, so no
                // earlier star can do better by eating more: tell them all to stop.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = byte_at(pattern, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = string[s];
                let mut hit = false;
                loop {
                    let left = pattern.len() - p;
                    let here = byte_at(pattern, p);
                    if here == b'\\' && left >= 2 {
                        p += 1;
                        if pattern[p] == c {
                            hit = true;
                        }
                    } else if here == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated set: step back so the shared `p += 1` below lands
                        // exactly on the end.
                        p -= 1;
                        break;
                    } else if left >= 3 && pattern[p + 1] == b'-' {
                        let (mut lo, mut hi) = (as_c_char(pattern[p]), as_c_char(pattern[p + 2]));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        p += 2;
                        if (lo..=hi).contains(&as_c_char(c)) {
                            hit = true;
                        }
                    } else if here == c {
                        hit = true;
                    }
                    p += 1;
                }
                if hit == negate {
                    return false;
                }
                s += 1;
            }
            b => {
                // A backslash escapes the next byte; a trailing one is a literal backslash.
                let literal = if b == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    b
                };
                if literal != string[s] {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            // Trailing stars match the empty rest (reading the NUL terminator stops this).
            while byte_at(pattern, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("*b*", "abc"));
        assert!(m("a**c", "ac"));
        assert!(m("?", "x"));
        assert!(!m("?", ""));
        assert!(!m("?", "xy"));
        assert!(m("h?llo*", "hallo world"));
    }

    #[test]
    fn empty_string_only_matches_an_empty_pattern() {
        // Checked on 8.2.3: field "" is not matched by "**", "?*", "[]", "[" or "\".
        assert!(m("", ""));
        for p in ["**", "*", "?*", "[]", "[", "\\"] {
            assert!(!m(p, ""), "{p}");
        }
        assert!(!m("", "a"));
    }

    #[test]
    fn sets_and_ranges() {
        assert!(m("[abc]", "b"));
        assert!(!m("[abc]", "d"));
        assert!(m("[^abc]", "d"));
        assert!(!m("[^abc]", "a"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[c-a]", "b"), "reversed range");
        assert!(!m("[a-c]", "d"));
        assert!(m("[-a]", "-"));
        // "[a-]" is the range 'a'..']' with the set left open, so '-' is out and '_' in.
        assert!(!m("[a-]", "-"));
        assert!(m("[a-]", "_"));
        assert!(m("[]", "]").eq(&false));
        assert!(m("[]]", "]").eq(&false), "] closes the set at once");
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
    }

    #[test]
    fn unterminated_sets() {
        assert!(m("[abc", "c"));
        assert!(!m("[abc", "d"));
        assert!(!m("[", "a"));
        assert!(m("[^", "a"));
        assert!(m("[a-", "-"));
        assert!(m("[a-", "a"));
        assert!(!m("[a-", "b"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\?", "a?"));
        assert!(m("\\", "\\"), "a trailing backslash is literal");
        assert!(m("\\\\", "\\"));
    }

    #[test]
    fn bytes_compare_as_signed_chars_in_ranges() {
        // 'a'..=0xff is really -1..=97 as signed char: '0' (48) is inside, 'b' and 0x80 not.
        assert!(matches(b"[a-\xff]", b"0"));
        assert!(!matches(b"[a-\xff]", b"b"));
        assert!(!matches(b"[a-\xff]", b"\x80"));
        assert!(matches(b"[\x80-\xff]", b"\x90"));
        assert!(matches(b"\xff", b"\xff"));
        assert!(matches(b"a\x00*", b"a\x00bc"), "NUL is an ordinary byte");
    }

    #[test]
    fn case_sensitive() {
        assert!(!m("A", "a"));
        assert!(!m("[A-Z]", "a"));
    }

    #[test]
    fn nesting_limit_is_1000_stars() {
        // Checked on 8.2.3 with a 1100-byte field of 'a's: 1000 "*a" pairs match, 1001 do not.
        let field = vec![b'a'; 1100];
        assert!(matches(&b"*a".repeat(1000), &field));
        assert!(!matches(&b"*a".repeat(1001), &field));
    }

    #[test]
    fn pathological_patterns_finish() {
        let field = vec![b'a'; 60];
        let mut pattern = b"a*".repeat(30);
        pattern.push(b'b');
        assert!(!matches(&pattern, &field));
    }
}
