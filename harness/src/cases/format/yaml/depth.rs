//! How deeply a case file nests, measured on its text in one pass before the YAML parser
//! sees it. The parser's own work grows with the square of the nesting (a 200 KB file of
//! `[[[[...` took 34 s to be refused), and a case file never needs more than a dozen levels
//! (file, cases, case, steps, step, then the expected reply), so anything past [`MAX_DEPTH`]
//! is refused here, at its line, in time linear in the file.
//!
//! This is a scanner, not a parser: it counts block levels by indentation and by `- ` items
//! opened on one line, flow levels by `[`/`{` where YAML would open a collection (anywhere
//! inside a flow collection, and at the start of a scalar outside one), and skips quoted
//! strings, comments and block scalars (`|`, `>`). A file it misjudges by a level or two is
//! still far from the limit; the parser decides everything else.

/// The deepest nesting a case file may have.
pub const MAX_DEPTH: usize = 64;

/// The first line (1-based) where the nesting goes past [`MAX_DEPTH`], and how deep it got.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut scanner = Scanner::default();
    for (i, line) in text.lines().enumerate() {
        let depth = scanner.line(line);
        if depth > MAX_DEPTH {
            return Some((i + 1, depth));
        }
    }
    None
}

#[derive(Default)]
struct Scanner {
    /// Indentation of each open block level.
    indents: Vec<usize>,
    /// Open `[`/`{` levels (they may span lines).
    flow: usize,
    /// Inside a quoted string that spans lines: its quote character.
    quote: Option<char>,
    /// Inside a block scalar: lines indented deeper than this belong to it.
    block_scalar: Option<usize>,
}

impl Scanner {
    /// Reads one line; returns the deepest nesting seen on it.
    fn line(&mut self, line: &str) -> usize {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        if let Some(parent) = self.block_scalar {
            if body.is_empty() || indent > parent {
                return 0;
            }
            self.block_scalar = None;
        }
        let blank = body.is_empty() || body.starts_with('#');
        if self.flow == 0 && self.quote.is_none() && !blank {
            while self.indents.last().is_some_and(|&top| top >= indent) {
                self.indents.pop();
            }
            self.indents.push(indent);
        }
        let mut deepest = self.indents.len() + self.flow;
        let mut items = 0;
        // Whether the next character would start a scalar (where `[`, `{` and quotes open).
        let mut at_start = true;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(q) = self.quote {
                match c {
                    '\\' if q == '"' => {
                        chars.next();
                    }
                    '\'' if q == '\'' && chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    c if c == q => {
                        self.quote = None;
                        at_start = false;
                    }
                    _ => {}
                }
                continue;
            }
            match c {
                '#' if at_start || body.is_empty() => break,
                ' ' | '\t' => {
                    if chars.peek() == Some(&'#') {
                        break;
                    }
                    continue;
                }
                '"' | '\'' if at_start => self.quote = Some(c),
                '[' | '{' if at_start || self.flow > 0 => {
                    self.flow += 1;
                    at_start = true;
                    deepest = deepest.max(self.indents.len() + items + self.flow);
                    continue;
                }
                ']' | '}' if self.flow > 0 => self.flow -= 1,
                ',' if self.flow > 0 => {
                    at_start = true;
                    continue;
                }
                '-' | '?' if at_start && matches!(chars.peek(), None | Some(' ')) => {
                    if self.flow == 0 {
                        items += 1;
                        deepest = deepest.max(self.indents.len() + items);
                    }
                    continue;
                }
                ':' if matches!(chars.peek(), None | Some(' ')) || self.flow > 0 => {
                    at_start = true;
                    continue;
                }
                '|' | '>' if at_start && self.flow == 0 => {
                    // The rest of the line holds only indicators or a comment.
                    self.block_scalar = Some(indent);
                    break;
                }
                _ => {}
            }
            at_start = false;
        }
        // `- - x` opens as many levels as it has dashes; the next line closes them by its
        // indentation, as block levels do.
        for _ in 0..items {
            self.indents.push(indent);
        }
        deepest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_case_files_are_shallow() {
        let text = "source: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [HSET, h, \"[[[\", f]\n        expect: {map: [[a, \"1\"]]}\n        note: |\n          [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n      - send: [HGET, h, 'it''s [']\n        expect: null # [[[[\n";
        assert_eq!(too_deep(text), None);
        let mut s = Scanner::default();
        let depths: Vec<usize> = text.lines().map(|l| s.line(l)).collect();
        assert!(depths.iter().all(|&d| d <= 12), "{depths:?}");
    }

    #[test]
    fn deep_flow_and_block_nesting_is_found_at_its_line() {
        let flow = format!("a: b\nc: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(too_deep(&flow).map(|(line, _)| line), Some(2));
        let dashes = format!("a: b\nc:\n  {}x\n", "- ".repeat(100));
        assert_eq!(too_deep(&dashes).map(|(line, _)| line), Some(3));
        let indented: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(
            too_deep(&indented).map(|(line, _)| line),
            Some(MAX_DEPTH + 1)
        );
        // Spread over lines, flow levels still add up.
        let lines = format!("a: {}\n", "[\n".repeat(100));
        assert!(too_deep(&lines).is_some());
    }
}
