//! A test that each hash command's name has one home: its engine file (the one that
//! declares its `CommandSpec`). Anywhere else in the non-test source of the engine and the
//! harness, a string literal naming one (`"HRANDFIELD"`, `b"hscan"`, `"HSET k f v"`) fails
//! it: code asks the command table instead (the reply policy, the grammar's shape, the key
//! spec), so a new command needs no edits outside its file, its table row and its cases.
//!
//! Not scanned: `#[cfg(test)]` modules and files, `harness/tests` (tests), `harness/examples`
//! (the planted servers are test fixtures that get particular commands wrong on purpose)
//! and `harness/benches` (workloads, which name the commands they measure).

use std::path::{Path, PathBuf};

use reference_engine::command::COMMANDS;

/// A string literal in a source file: its text and line.
struct Literal {
    text: String,
    line: usize,
    /// Byte offset in the file.
    at: usize,
}

/// What the scan of one file finds outside its test code.
#[derive(Default)]
struct Scan {
    literals: Vec<Literal>,
    /// The modules declared `#[cfg(test)] mod name;` (their files are test code).
    test_modules: Vec<String>,
}

/// Lexes Rust source just enough to find string literals outside comments, char literals
/// and `#[cfg(test)]` items.
fn scan(src: &str) -> Scan {
    let b = src.as_bytes();
    let mut out = Scan::default();
    let (mut i, mut line) = (0, 1);
    // While skipping a test item: the brace depth it started at, and whether its block
    // has opened.
    let mut depth = 0usize;
    let mut skip: Option<(usize, bool)> = None;
    let mut pending_test = false;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b[i..].starts_with(b"/*") {
            let mut nest = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    nest += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
            }
            continue;
        }
        if b[i..].starts_with(b"#[cfg(test)]") {
            pending_test = true;
            i += "#[cfg(test)]".len();
            continue;
        }
        let prev_ident = i > 0 && ident(b[i - 1]);
        // String literals: "..", b"..", r#".."#, br".."
        let mut j = i;
        if !prev_ident && (c == b'b' || c == b'r') {
            if c == b'b' {
                j += 1;
            }
            if b.get(j) == Some(&b'r') {
                j += 1;
            }
        }
        let raw = j > i && b[j - 1] == b'r';
        let mut hashes = 0;
        if raw {
            while b.get(j + hashes) == Some(&b'#') {
                hashes += 1;
            }
        }
        if b.get(j + hashes) == Some(&b'"') && (j > i || c == b'"') {
            let start_line = line;
            let mut k = j + hashes + 1;
            let content_start = k;
            let close = format!("\"{}", "#".repeat(hashes));
            loop {
                if k >= b.len() {
                    break;
                }
                if !raw && b[k] == b'\\' {
                    line += usize::from(b.get(k + 1) == Some(&b'\n'));
                    k += 2;
                    continue;
                }
                if b[k..].starts_with(close.as_bytes()) {
                    break;
                }
                line += usize::from(b[k] == b'\n');
                k += 1;
            }
            if skip.is_none() {
                out.literals.push(Literal {
                    text: src[content_start..k.min(b.len())].to_string(),
                    line: start_line,
                    at: i,
                });
            }
            i = k + close.len();
            continue;
        }
        // A char literal ('x', '\n', b'"'); a lifetime ('a) has no closing quote.
        if c == b'\'' {
            if b.get(i + 1) == Some(&b'\\') {
                let mut k = i + 2;
                while k < b.len() && b[k] != b'\'' {
                    k += 1;
                }
                i = k + 1;
                continue;
            }
            let next = src[i + 1..].chars().next().map_or(1, char::len_utf8);
            if b.get(i + 1 + next) == Some(&b'\'') {
                i += 2 + next;
                continue;
            }
        }
        match c {
            b'\n' => line += 1,
            b'{' => {
                if pending_test && skip.is_none() {
                    skip = Some((depth, true));
                    pending_test = false;
                }
                depth += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if skip.is_some_and(|(d, _)| d == depth) {
                    skip = None;
                }
            }
            b';' if pending_test && skip.is_none() => {
                // `#[cfg(test)] mod name;`: the module's file is test code.
                let stmt = &src[src[..i].rfind(']').map_or(0, |p| p + 1)..i];
                if let Some(name) = stmt.trim().rsplit(' ').next() {
                    if stmt.contains("mod ") {
                        out.test_modules.push(name.to_string());
                    }
                }
                pending_test = false;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The folder a file's `mod name;` declarations live in.
fn module_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let parent = file.parent().expect("a file in a folder");
    if matches!(stem, "mod" | "lib" | "main") {
        parent.to_path_buf()
    } else {
        parent.join(stem)
    }
}

/// The hash command whose literal `text` names, if any: the literal itself or its first
/// word, in any case.
fn named(text: &str, names: &[&str]) -> Option<String> {
    let first = text.split(' ').next()?.to_ascii_lowercase();
    names.contains(&first.as_str()).then_some(first)
}

#[test]
fn hash_command_names_live_only_in_their_files() {
    let names: Vec<&str> = COMMANDS.iter().filter(|c| c.hash).map(|c| c.name).collect();
    // Which commands these are is checked against Redis 8.2.3 in tests/it/command_table.rs.
    assert!(!names.is_empty());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["reference-engine/src", "harness/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let scans: Vec<(PathBuf, String, Scan)> = files
        .into_iter()
        .map(|f| {
            let src = std::fs::read_to_string(&f).expect("readable source");
            let s = scan(&src);
            (f, src, s)
        })
        .collect();
    let mut test_files: Vec<PathBuf> = Vec::new();
    for (file, _, s) in &scans {
        for m in &s.test_modules {
            let dir = module_dir(file);
            test_files.push(dir.join(format!("{m}.rs")));
            test_files.push(dir.join(m).join("mod.rs"));
        }
    }
    // Each name's home: the file that declares its spec (`CommandSpec::hash("name", ...`).
    let mut homes: Vec<(String, PathBuf)> = Vec::new();
    for (file, src, s) in &scans {
        for (at, _) in src.match_indices("CommandSpec::hash(") {
            if let Some(lit) = s.literals.iter().find(|l| l.at > at) {
                homes.push((lit.text.clone(), file.clone()));
            }
        }
    }
    for name in &names {
        assert!(
            homes.iter().any(|(n, _)| n == name),
            "{name}: no file declares its spec"
        );
    }
    let mut found = Vec::new();
    for (file, _, s) in &scans {
        if test_files.contains(file) {
            continue;
        }
        for lit in &s.literals {
            let Some(name) = named(&lit.text, &names) else {
                continue;
            };
            if homes.iter().any(|(n, home)| *n == name && home == file) {
                continue;
            }
            let shown = file.strip_prefix(&root).unwrap_or(file);
            found.push(format!("{}:{}: {:?}", shown.display(), lit.line, lit.text));
        }
    }
    assert!(
        found.is_empty(),
        "hash command names written outside their command's file (ask the command table \
         instead: reply policy, grammar shape, key spec):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scanner_sees_literals_and_skips_comments_chars_and_tests() {
    let src = r##"
// "hget" in a comment
/* "hset" /* nested */ "hdel" */
fn f<'a>(x: &'a str) -> char { let _ = b"HLEN k"; let _ = r#"hvals"#; '"' }
#[cfg(test)]
mod tests { fn g() { let _ = "HSCAN"; } }
#[cfg(test)]
mod more;
fn h() { let _ = "HGET\"x"; }
"##;
    let s = scan(src);
    let texts: Vec<&str> = s.literals.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["HLEN k", "hvals", "HGET\\\"x"]);
    assert_eq!(s.test_modules, ["more"]);
    assert_eq!(s.literals[0].line, 4);
    let names = ["hlen", "hget"];
    assert_eq!(named("HLEN k", &names).as_deref(), Some("hlen"));
    assert_eq!(named("HGET\\\"x", &names), None);
}
