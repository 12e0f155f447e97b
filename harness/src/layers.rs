//! A test that keeps the crate's folders in layers: it reads every `.rs` file under `src/`,
//! collects the `crate::`/`super::` paths each one names, and fails when two sibling modules
//! (two top-level folders, or two files in one folder) reach each other, directly or around a
//! longer circle. A loop means neither side can be read, tested or moved without the other.
//!
//! It reads source text, not the compiler's view, so it is deliberately simple: comments are
//! dropped, `use` groups (`crate::a::{b, c::d}`) are expanded, and `super::` is resolved from
//! the file's place in the tree (inside an inline `mod` it names the file's own module).
//! Test code (`tests.rs` files, and a file's text from `#[cfg(test)]` on) is left out: a test
//! may build its fixtures from any layer, and nothing else depends on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One file's module path (`fuzz/driver/rank.rs` is `["fuzz", "driver", "rank"]`).
type ModPath = Vec<String>;

fn module_of(rel: &Path) -> ModPath {
    let mut parts: ModPath = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text with `//` comments (doc comments included) removed; string literals that happen to
/// hold `//` are rare enough in `use` positions not to matter here.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands the path tree that starts at `text` (just after `crate::`) into whole paths, each
/// prefixed with `prefix`: `a::{b, c::{d, e}}` gives `a::b`, `a::c::d`, `a::c::e`.
fn expand(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let bytes = text.as_bytes();
    let mut path = prefix.to_vec();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            i += 1;
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return i + 1;
                }
                i += expand(&text[i..], &path, out);
            }
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            let word = &text[start..i];
            if word != "self" {
                path.push(word.to_string());
            }
        } else if i < bytes.len() && bytes[i] == b'*' {
            i += 1;
        }
        if text[i..].starts_with("::") {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// Every module path the file at `module` names through `crate::` or `super::`.
fn named_paths(module: &ModPath, text: &str) -> Vec<Vec<String>> {
    let text = without_comments(text.split("#[cfg(test)]").next().unwrap_or(""));
    // Past the first inline `mod name {`, `super` means the file's own module.
    let inline_at = text
        .match_indices("mod ")
        .find(|(at, _)| {
            let rest = &text[at + 4..];
            let name_end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(0);
            name_end > 0 && rest[name_end..].trim_start().starts_with('{')
        })
        .map_or(usize::MAX, |(at, _)| at);
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let boundary = at == 0 || {
            let c = text.as_bytes()[at - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b':')
        };
        if boundary && rest.starts_with("crate::") {
            at += 7 + expand(&text[at + 7..], &[], &mut out);
        } else if boundary && rest.starts_with("super::") {
            let mut base = module.clone();
            if at >= inline_at {
                base.push("inline".into());
            }
            let mut skip = 0;
            while text[at + skip..].starts_with("super::") {
                base.pop();
                skip += 7;
            }
            at += skip + expand(&text[at + skip..], &base, &mut out);
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// For each parent module, which of its children name which others (with one file that does).
type Edges = BTreeMap<ModPath, BTreeMap<(String, String), String>>;

fn sibling_edges(src: &Path) -> (Edges, BTreeSet<ModPath>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<ModPath> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(src).unwrap()))
        .collect();
    let mut edges = Edges::new();
    for file in &files {
        let rel = file.strip_prefix(src).unwrap();
        let from = module_of(rel);
        if from.last().is_some_and(|m| m == "tests") {
            continue;
        }
        for to in named_paths(&from, &std::fs::read_to_string(file).unwrap()) {
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common >= from.len() || common >= to.len() {
                continue; // a module naming its own ancestor or descendant
            }
            let target_module = to[..=common].to_vec();
            if !modules.contains(&target_module) {
                continue; // an item of the common parent, not a sibling module
            }
            edges
                .entry(from[..common].to_vec())
                .or_default()
                .entry((from[common].clone(), to[common].clone()))
                .or_insert_with(|| format!("{} names crate::{}", rel.display(), to.join("::")));
        }
    }
    (edges, modules)
}

/// The circles among one parent's children: each strongly connected group of two or more,
/// with the edges inside it.
fn loops(edges: &BTreeMap<(String, String), String>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for n in &nodes {
        if done.contains(*n) || !reaches[n].contains(*n) {
            continue;
        }
        let group: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reaches[n].contains(**m) && reaches[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        let mut lines: Vec<String> = edges
            .iter()
            .filter(|((a, b), _)| group.contains(a) && group.contains(b))
            .map(|((a, b), why)| format!("{a} -> {b} ({why})"))
            .collect();
        lines.sort();
        done.extend(group);
        found.push(lines);
    }
    found
}

/// Prints every loop (also used by `scripts/`-free manual checks: `cargo test -p harness --lib
/// layers -- --nocapture`).
fn report(src: &Path) -> Vec<String> {
    let (edges, _) = sibling_edges(src);
    let mut problems = Vec::new();
    for (parent, children) in &edges {
        for circle in loops(children) {
            let place = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            problems.push(format!(
                "loop inside {place}:\n    {}",
                circle.join("\n    ")
            ));
        }
    }
    problems
}

#[test]
fn no_import_loops_between_folders_or_sibling_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = report(&src);
    for p in &problems {
        eprintln!("{p}");
    }
    let (edges, modules) = sibling_edges(&src);
    let named: usize = edges.values().map(BTreeMap::len).sum();
    eprintln!(
        "{} modules, {named} pairs of sibling modules where one names the other, {} loops",
        modules.len(),
        problems.len()
    );
    eprintln!("top-level folders, each with those it names:");
    let top = edges.get(&Vec::new()).cloned().unwrap_or_default();
    let mut by_folder: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
    for (from, to) in top.keys() {
        by_folder.entry(from).or_default().push(to);
    }
    for (from, to) in by_folder {
        eprintln!(
            "    {from} -> {}",
            to.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    assert!(
        problems.is_empty(),
        "{} import loop(s); see above",
        problems.len()
    );
}

#[test]
fn the_reader_sees_groups_super_and_loops() {
    let mut out = Vec::new();
    expand("a::{b, c::{d, e}, self}", &[], &mut out);
    assert_eq!(
        out,
        [
            vec!["a", "b"],
            vec!["a", "c", "d"],
            vec!["a", "c", "e"],
            vec!["a"]
        ]
    );
    let module: ModPath = vec!["fuzz".into(), "model".into()];
    let text = "use super::driver::X; // crate::cases\nmod inner { use super::y; }\n\
                #[cfg(test)]\nmod tests { use crate::cli::Z; }";
    let named = named_paths(&module, text);
    assert_eq!(
        named,
        [vec!["fuzz", "driver", "X"], vec!["fuzz", "model", "y"]]
    );
    let mut edges = BTreeMap::new();
    edges.insert(("a".to_string(), "b".to_string()), "1".to_string());
    edges.insert(("b".to_string(), "c".to_string()), "2".to_string());
    assert!(loops(&edges).is_empty());
    edges.insert(("c".to_string(), "a".to_string()), "3".to_string());
    assert_eq!(loops(&edges).len(), 1);
    assert_eq!(loops(&edges)[0].len(), 3);
}
