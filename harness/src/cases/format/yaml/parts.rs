//! Cutting a large case file into its cases, so the YAML parser sees one case at a time.

use super::starts_item;

/// A case file cut where its cases begin, so that each case is parsed on its own: the
/// parser holds a whole document's events and values in memory at once (a 50 MB file took
/// 2.2 GB), while one case at a time costs what one case does. Only files of the usual shape
/// are cut: a top-level `cases:` with its list below it, every case at one indentation and
/// starting `- name:`. Anything else is parsed whole, as before.
pub(super) struct Parts {
    /// The file with the cases' lines left out (`cases: []` instead), for the other keys.
    pub head: String,
    /// Per case, its lines as byte ranges of the text and the number of its first line.
    pub cases: Vec<(std::ops::Range<usize>, usize)>,
}

impl Parts {
    /// Cuts only files of at least this size: smaller ones are parsed whole, as they always
    /// were, so their errors read exactly as before.
    pub const MIN_BYTES: usize = 1 << 20;

    pub fn find(text: &str, lines: &[&str], cut_from: usize) -> Option<Parts> {
        if text.len() < cut_from {
            return None;
        }
        let significant = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
        let indent = |l: &str| l.len() - l.trim_start().len();
        let cases_at = lines.iter().position(|l| {
            l.strip_prefix("cases:")
                .is_some_and(|r| r.trim().is_empty() || r.trim_start().starts_with('#'))
        })?;
        let first = (cases_at + 1..lines.len()).find(|&i| significant(lines[i]))?;
        if !starts_item(lines[first], "name") {
            return None;
        }
        let dash = indent(lines[first]);
        let mut starts = Vec::new();
        let mut end = lines.len();
        for (i, line) in lines.iter().enumerate().skip(first) {
            if !significant(line) {
                continue;
            }
            let at = indent(line);
            if at == 0 && !(dash == 0 && line.starts_with('-')) {
                end = i;
                break;
            }
            if at < dash || (at == dash && !starts_item(line, "name")) {
                return None;
            }
            if at == dash {
                starts.push(i);
            }
        }
        // Byte offsets of line starts (the lines are slices of `text`).
        let offset = |i: usize| -> usize {
            lines
                .get(i)
                .map_or(text.len(), |l| l.as_ptr() as usize - text.as_ptr() as usize)
        };
        let cases = starts
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let to = starts.get(n + 1).copied().unwrap_or(end);
                (offset(i)..offset(to), i + 1)
            })
            .collect();
        let mut head = String::with_capacity(offset(first) + 16);
        for line in &lines[..cases_at] {
            head.push_str(line);
            head.push('\n');
        }
        head.push_str("cases: []\n");
        // Blank lines keep the keys after the cases on their own line numbers.
        for _ in cases_at + 1..end {
            head.push('\n');
        }
        for line in &lines[end..] {
            head.push_str(line);
            head.push('\n');
        }
        Some(Parts { head, cases })
    }
}
