//! `hashcheck replay`: reads a cargo-fuzz artifact, refuses what is not one, and writes the
//! case [`crate::fuzz::libfuzzer::replay::case_file`] makes of it (to a file or stdout).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cases::format;
use crate::fuzz::libfuzzer::replay::{case_file, Kind};

/// What `hashcheck replay` was asked.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    pub artifact: PathBuf,
    /// Where to write the case; standard output when absent.
    pub out: Option<PathBuf>,
    /// The target; guessed from the artifact's path when absent, else `engine`.
    pub kind: Option<Kind>,
}

/// Reads the artifact, writes the case. Errors are the run's own (exit 2).
pub fn execute(request: &ReplayRequest) -> anyhow::Result<()> {
    let data = std::fs::read(&request.artifact)
        .with_context(|| format!("cannot read {}", request.artifact.display()))?;
    check_input(&request.artifact, &data, request.kind.is_some())?;
    let kind = request
        .kind
        .or_else(|| Kind::from_path(&request.artifact))
        .unwrap_or(Kind::Engine);
    let name = request
        .artifact
        .file_name()
        .map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let file = case_file(&data, kind, &name);
    let text = format::write(&file);
    // What we write must load: the format is the contract with `hashcheck run`.
    format::load_str(Path::new("replay.yaml"), &text)
        .map_err(|e| anyhow::anyhow!("the written case does not load ({e}):\n{text}"))?;
    match &request.out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "hashcheck replay: {} ({} target, {} steps) -> {}",
                request.artifact.display(),
                kind.name(),
                file.cases[0].steps.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Refuses input that is not a fuzz input: any bytes decode to some program, so a case
/// file, a report or a typo'd path would otherwise become an invented case. A fuzz input is
/// recognised by where cargo-fuzz keeps it (`fuzz/artifacts/<target>/`,
/// `fuzz/corpus/<target>/`) or by libFuzzer's names for it (`crash-`, `oom-`, `timeout-`,
/// `leak-`, `slow-unit-`, `minimized-from-` and a hash, or a corpus entry's bare hash);
/// `--target` says the user knows it is one. A YAML case file is refused even then.
fn check_input(path: &Path, data: &[u8], kind_given: bool) -> anyhow::Result<()> {
    let shown = path.display();
    if let Ok(text) = std::str::from_utf8(data) {
        if format::load_str(path, text).is_ok() {
            anyhow::bail!(
                "{shown} is a case file, not a fuzz artifact: run it with `hashcheck run {shown}`"
            );
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    const PREFIXES: &[&str] = &[
        "crash-",
        "oom-",
        "timeout-",
        "leak-",
        "slow-unit-",
        "minimized-from-",
    ];
    let libfuzzer_name = PREFIXES
        .iter()
        .any(|p| name.strip_prefix(p).is_some_and(hex))
        || (name.len() == 40 && hex(&name));
    let in_fuzz_dir = Kind::from_path(path).is_some()
        && path
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("artifacts" | "corpus")));
    if kind_given || libfuzzer_name || in_fuzz_dir {
        return Ok(());
    }
    anyhow::bail!(
        "{shown} does not look like a cargo-fuzz artifact (fuzz/artifacts/<target>/crash-<hash>, \
         or a corpus entry); replay only turns fuzz inputs into cases. If it is one, name its \
         fuzz target: --target engine or --target differential"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_writes_a_case_that_loads() {
        let dir = std::env::temp_dir().join(format!("hashcheck-replay-{}", std::process::id()));
        let artifacts = dir.join("artifacts/engine");
        std::fs::create_dir_all(&artifacts).unwrap();
        let artifact = artifacts.join("crash-abc");
        let longest = crate::fuzz::libfuzzer::seeds("engine")
            .into_iter()
            .max_by_key(Vec::len)
            .unwrap();
        std::fs::write(&artifact, longest).unwrap();
        let out = dir.join("case.yaml");
        execute(&ReplayRequest {
            artifact: artifact.clone(),
            out: Some(out.clone()),
            kind: None,
        })
        .unwrap();
        let file = format::load(&out).unwrap();
        assert_eq!(file.cases[0].name, "crash-abc");
        assert!(
            file.behaviour.contains("(engine target)"),
            "{}",
            file.behaviour
        );
        assert!(file.cases[0].steps.len() > 1);
        let missing = execute(&ReplayRequest {
            artifact: dir.join("nope"),
            out: None,
            kind: None,
        });
        assert!(missing.unwrap_err().to_string().contains("cannot read"));
        // What is not a fuzz input is refused, saying what it is.
        let refused = |name: &str, data: &[u8], kind: Option<Kind>| {
            let path = dir.join(name);
            std::fs::write(&path, data).unwrap();
            execute(&ReplayRequest {
                artifact: path,
                out: None,
                kind,
            })
            .err()
            .map(|e| e.to_string())
        };
        let yaml =
            b"source: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [PING]\n";
        let as_case = refused("c.yaml", yaml, Some(Kind::Engine)).unwrap();
        assert!(
            as_case.contains("is a case file, not a fuzz artifact: run it with `hashcheck run "),
            "{as_case}"
        );
        let notes = refused("notes.txt", b"remember the milk", None).unwrap();
        assert!(
            notes.contains("does not look like a cargo-fuzz artifact"),
            "{notes}"
        );
        assert!(notes.contains("--target engine"), "{notes}");
        assert_eq!(
            refused("notes.txt", b"remember the milk", Some(Kind::Engine)),
            None
        );
        assert_eq!(refused(&"ab".repeat(20), b"xyz", None), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
