//! Planted servers, both kinds (issue 11): every planted bug is found by `hashcheck run`
//! alone and by a default `hashcheck fuzz` alone; no legal variant fails either by default,
//! and each fails `hashcheck run --details strict` (unless the list says Redis itself
//! leaves no trace a case could pin).
//!
//! The plants are the `planted` example (harness/examples/planted), which `cargo test`
//! builds: one build, one process, one loopback port per plant. The list comes from
//! `planted --list`, so it has one home. scripts/planted-bugs.sh runs the same checks by
//! hand, one line per plant.
//!
//! Time (2 cores, debug builds): a bug is found by fuzz in well under a second to ~20 s
//! (when the seed's first command subset leaves its command out). So each fuzz stops at
//! the first divergence (`--max-cases 1`) and shrinks for at most a second (the written
//! case is not what is tested here), and a bug's run is capped by a command count, not a
//! time (see BUG_OPS). A legal variant needs a long clean run: `all-legal` (every variant
//! at once) is fuzzed for a default run's 60 s, each variant alone for LEGAL_ALONE. Two fuzz
//! runs go at once, one per core, with three `hashcheck run`s beside them (they mostly wait
//! on the cases' sleeps); a plant serves one job at a time.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support;

/// How long each legal variant alone is fuzzed.
const LEGAL_ALONE: &str = "10s";
/// How long `all-legal` is fuzzed: a default run's length.
const LEGAL_ALL: &str = "60s";
/// How many commands a bug gets. A default 60 s run sends millions (release builds do
/// ~150,000 a second); a count, not a time, keeps the verdict the same on a loaded machine
/// (debug builds under load here did 1,000 a second). Seed 1 finds every bug within ~440,000:
/// the GT tie at 433,152 since the mix grew from 32 commands to 42 (the keyspace commands
/// take their share), the others within ~120,000.
const BUG_OPS: &str = "600000";
/// Fuzz runs at once: one per core (each is a client and a server busy at once, and a
/// loaded machine makes the fuzzer slow to reach the commands a bug needs).
const FUZZ_WORKERS: usize = 2;
/// `hashcheck run`s at once, beside them: they mostly wait on the cases' sleeps.
const RUN_WORKERS: usize = 3;

/// The planted example, next to the hashcheck binary cargo built for this test.
fn planted_binary() -> PathBuf {
    let hashcheck = PathBuf::from(env!("CARGO_BIN_EXE_hashcheck"));
    let path = hashcheck.parent().unwrap().join("examples").join("planted");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it with the other targets; alone, run \
         `cargo build -p harness --example planted` first (this test never skips)",
        path.display()
    );
    path
}

struct Plant {
    name: String,
    kind: String,
    addr: String,
}

/// The planted process, killed by its PID when dropped.
struct Planted(Child);

impl Drop for Planted {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start() -> (Planted, Vec<Plant>) {
    let binary = planted_binary();
    let list = Command::new(&binary).arg("--list").output().unwrap();
    assert!(list.status.success(), "planted --list failed");
    let kinds: Vec<(String, String)> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut w = l.split(' ');
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect();
    let mut child = Command::new(&binary)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let server = Planted(child);
    let mut plants = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        let (name, addr) = line.split_once(' ').unwrap();
        let kind = kinds.iter().find(|(n, _)| n == name).unwrap().1.clone();
        plants.push(Plant {
            name: name.to_string(),
            kind,
            addr: addr.to_string(),
        });
    }
    assert_eq!(
        plants.len(),
        kinds.len(),
        "planted did not serve every plant"
    );
    (server, plants)
}

/// What one hashcheck run gave: its exit code, how long it took, and its output's lines
/// that say what differed (shown when a verdict is wrong).
struct Ran {
    code: Option<i32>,
    took: Duration,
    why: String,
}

/// Runs hashcheck.
fn hashcheck(args: &[&str]) -> Ran {
    let started = Instant::now();
    let out = support::command(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The diffs come first; the per-command table and totals (all "passed") after.
    let why: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.contains(" passed"))
        .take(40)
        .collect();
    Ran {
        code: out.status.code(),
        took: started.elapsed(),
        why: format!(
            "{}\n{}",
            why.join("\n"),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// A default fuzz run, but for its seed, its cap (`--ops N` or `--duration D`), and
/// stopping at the first divergence with a short shrink.
fn fuzz(addr: &str, cap: [&str; 2], out: &std::path::Path) -> Ran {
    let dir = out;
    let out = out.to_str().unwrap();
    let mut ran = hashcheck(&[
        "fuzz",
        "--target",
        addr,
        "--seed",
        "1",
        cap[0],
        cap[1],
        "--max-cases",
        "1",
        "--shrink-time",
        "1s",
        "--out",
        out,
    ]);
    // What the fuzzer wrote says what differed: the summary alone does not, and a wrong
    // verdict in CI must be readable from its log.
    if ran.code != Some(0) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let cut: String = text.chars().take(4000).collect();
            ran.why
                .push_str(&format!("\n--- {}:\n{cut}", entry.path().display()));
        }
    }
    ran
}

/// One hashcheck command against one plant.
#[derive(Clone, Copy, PartialEq)]
enum Job {
    Run,
    Strict,
    Fuzz,
}

/// Runs `jobs` on `workers` threads; returns each job with what it gave. A plant serves
/// one job at a time (hashcheck refuses a database that holds another run's keys), so a
/// worker takes the first job whose plant no worker of either pool (`busy`) holds.
fn run_all<'a>(
    jobs: Vec<(&'a Plant, Job)>,
    workers: usize,
    busy: &Mutex<HashSet<String>>,
    scratch: &std::path::Path,
) -> Vec<(&'a Plant, Job, Ran)> {
    let queue = Mutex::new(jobs);
    let done = Mutex::new(Vec::new());
    let next = || loop {
        let mut queue = queue.lock().unwrap();
        if queue.is_empty() {
            return None;
        }
        let mut busy = busy.lock().unwrap();
        if let Some(at) = queue.iter().position(|(p, _)| !busy.contains(&p.name)) {
            let (plant, job) = queue.remove(at);
            busy.insert(plant.name.clone());
            return Some((plant, job));
        }
        drop((queue, busy));
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some((plant, job)) = next() {
                    let ran = match job {
                        Job::Run => hashcheck(&["run", "--target", &plant.addr]),
                        Job::Strict => {
                            hashcheck(&["run", "--target", &plant.addr, "--details", "strict"])
                        }
                        Job::Fuzz => {
                            let duration = match plant.kind.as_str() {
                                "bug" => ["--ops", BUG_OPS],
                                _ if plant.name == "all-legal" => ["--duration", LEGAL_ALL],
                                _ => ["--duration", LEGAL_ALONE],
                            };
                            fuzz(&plant.addr, duration, &scratch.join(&plant.name))
                        }
                    };
                    busy.lock().unwrap().remove(&plant.name);
                    done.lock().unwrap().push((plant, job, ran));
                }
            });
        }
    });
    done.into_inner().unwrap()
}

/// The verdict on one plant from its jobs' results: a summary line, and whether it held.
fn judge(plant: &Plant, results: &[(&Plant, Job, Ran)]) -> (String, bool) {
    let get = |job: Job| {
        results
            .iter()
            .find(|(p, j, _)| p.name == plant.name && *j == job)
            .map(|(_, _, ran)| ran)
    };
    let (plain, fuzzed) = (get(Job::Run).unwrap(), get(Job::Fuzz).unwrap());
    let (ok, mut line) = if plant.kind == "bug" {
        (
            plain.code == Some(1) && fuzzed.code == Some(1),
            format!(
                "{} bug: run exit {:?} ({:.1}s), fuzz exit {:?} ({:.1}s)",
                plant.name,
                plain.code,
                plain.took.as_secs_f64(),
                fuzzed.code,
                fuzzed.took.as_secs_f64()
            ),
        )
    } else {
        let strict = get(Job::Strict).unwrap();
        let want_strict = if plant.kind == "legal-strict-blind" {
            0
        } else {
            1
        };
        (
            plain.code == Some(0) && fuzzed.code == Some(0) && strict.code == Some(want_strict),
            format!(
                "{} {}: run exit {:?}, fuzz exit {:?} ({:.1}s), run --details strict exit {:?} (want 0, 0, {want_strict})",
                plant.name,
                plant.kind,
                plain.code,
                fuzzed.code,
                fuzzed.took.as_secs_f64(),
                strict.code
            ),
        )
    };
    if !ok {
        line.push_str(&format!(
            "  <-- WRONG\n--- run:\n{}\n--- fuzz:\n{}",
            plain.why, fuzzed.why
        ));
    }
    (line, ok)
}

#[test]
fn planted_bugs_are_found_and_legal_variants_pass() {
    // It keeps both cores busy, and a bug's fuzz run is capped by a count of commands that a
    // busier machine takes longer to send.
    let _turn = support::heavy();
    let started = Instant::now();
    let (_server, plants) = start();
    let bugs = plants.iter().filter(|p| p.kind == "bug").count();
    let legal = plants.len() - bugs;
    assert!(bugs >= 40, "only {bugs} planted bugs");
    assert!(
        legal >= 7,
        "only {legal} legal plants (6 variants and all-legal)"
    );
    let scratch = support::scratch("planted");
    // The long clean run first, so it overlaps the rest.
    let mut fuzz_jobs: Vec<(&Plant, Job)> = plants.iter().map(|p| (p, Job::Fuzz)).collect();
    fuzz_jobs.sort_by_key(|(p, _)| (p.name != "all-legal", p.kind != "bug"));
    let run_jobs: Vec<(&Plant, Job)> = plants
        .iter()
        .flat_map(|p| {
            let strict = (p.kind != "bug").then_some((p, Job::Strict));
            std::iter::once((p, Job::Run)).chain(strict)
        })
        .collect();
    let busy = Mutex::new(HashSet::new());
    let (fuzzed, ran) = std::thread::scope(|s| {
        let fuzzed = s.spawn(|| run_all(fuzz_jobs, FUZZ_WORKERS, &busy, &scratch));
        let ran = run_all(run_jobs, RUN_WORKERS, &busy, &scratch);
        (fuzzed.join().unwrap(), ran)
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let all: Vec<_> = fuzzed.into_iter().chain(ran).collect();
    let mut results: Vec<(String, bool)> = plants.iter().map(|p| judge(p, &all)).collect();
    results.sort();
    for (line, _) in &results {
        println!("{line}");
    }
    let wrong: Vec<&String> = results.iter().filter(|r| !r.1).map(|r| &r.0).collect();
    println!(
        "{bugs} bugs, {legal} legal plants, {} wrong, in {:.0}s",
        wrong.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        wrong.is_empty(),
        "planted servers judged wrongly:\n{}",
        wrong
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
