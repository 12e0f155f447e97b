//! hashcheck against a real 3-primary Redis 8.2.3 cluster, given as a list of its nodes and
//! as one node alone: the case suite in both protocols and a fuzz run, each while slots move
//! between primaries under them (see `support::cluster`). Verdicts stay clean, the only
//! cases not run are those that reach past their slot, and no key is left behind.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use hashcheck::cases::format::Capability;
use hashcheck::cases::report::{self, Style};
use hashcheck::cases::runner::suite::{run_suite, SuiteOptions, TargetSpec};
use hashcheck::cases::runner::{Details, Outcome, RunOptions, Unsupported};
use hashcheck::targets;
use reference_engine::{Protocol, Reply};

use crate::support::cluster::{keep_migrating, Cluster};
use crate::support::{self, servers::argv};

#[test]
fn a_cluster_given_as_a_list_of_its_nodes() {
    let _turn = support::light();
    let cluster = Cluster::start();
    routing(&cluster, &cluster.list());
    redirects(&cluster, &cluster.list());
    past_one_slot_is_unsupported(&cluster.list());
    suite_while_migrating(&cluster, &cluster.list());
    fuzz_while_migrating(&cluster, &cluster.list());
}

#[test]
fn a_cluster_given_as_one_node() {
    let _turn = support::light();
    let cluster = Cluster::start();
    let one = cluster.nodes[1].addr();
    suite_while_migrating(&cluster, &one);
    fuzz_while_migrating(&cluster, &one);
}

/// Commands reach the owner of their keys' slot; DEL over several slots is split and
/// counted; DBSIZE counts every primary; the empty check sees a key on any of them.
fn routing(cluster: &Cluster, spec: &str) {
    let mut t = targets::open(spec, Some(Protocol::Resp3), Duration::from_secs(5)).unwrap();
    assert!(t.is_cluster());
    // Three keys whose slots lie on three different primaries.
    let keys = ["a", "b", "c"].map(|k| format!("hc:routing:{k}"));
    let owners: Vec<usize> = keys
        .iter()
        .map(|k| cluster.owner(hashcheck::targets::slots::key_slot(k.as_bytes())))
        .collect();
    for key in &keys {
        assert_eq!(
            t.call(&argv(&["HSET", key, "f", "v"])).unwrap(),
            Reply::Integer(1)
        );
    }
    assert_eq!(t.call(&argv(&["DBSIZE"])).unwrap(), Reply::Integer(3));
    let mut probe = TargetSpec::new(spec).open(Protocol::Resp2).unwrap();
    assert!(matches!(
        hashcheck::cases::runner::safety::contents(probe.as_mut()).unwrap(),
        hashcheck::cases::runner::safety::Contents::Keys(_)
    ));
    let mut del = argv(&["DEL"]);
    del.extend(keys.iter().map(|k| k.as_bytes().to_vec()));
    assert_eq!(t.call(&del).unwrap(), Reply::Integer(3));
    assert_eq!(cluster.keys(), 0);
    eprintln!("routing: keys on primaries {owners:?}");
}

/// One slot through a migration, step by step: a pipeline meets ASK for a key already moved
/// and for a new one while the key beside them is served where it is, in order; a multi-key
/// command whose keys are split is told TRYAGAIN and retried until they are together; once
/// the slot is handed over, MOVED is followed and the new owner remembered.
fn redirects(cluster: &Cluster, spec: &str) {
    let mut t = targets::open(spec, Some(Protocol::Resp2), Duration::from_secs(5)).unwrap();
    let slot = hashcheck::targets::slots::key_slot(b"{redirect}");
    for key in ["{redirect}a", "{redirect}b"] {
        assert_eq!(
            t.call(&argv(&["HSET", key, "f", "1"])).unwrap(),
            Reply::Integer(1)
        );
    }
    // A hash large enough to be scanned in pages.
    let mut hset = argv(&["HSET", "{redirect}big"]);
    for i in 0..1000 {
        hset.extend(argv(&[&format!("f{i}"), "v"]));
    }
    assert_eq!(t.call(&hset).unwrap(), Reply::Integer(1000));
    let (from, to) = cluster.begin_migration(slot);
    // A walk whose key moves between two pages: the second page comes from the new node,
    // where the first page's cursor means nothing, and the target says so.
    let page = t
        .call(&argv(&["HSCAN", "{redirect}big", "0", "COUNT", "10"]))
        .unwrap();
    let Reply::Array(parts) = page else {
        panic!("{page:?}")
    };
    let Reply::Bulk(cursor) = &parts[0] else {
        panic!("{parts:?}")
    };
    assert_ne!(cursor.as_slice(), b"0");
    cluster.move_key(from, to, b"{redirect}big");
    let mut next = argv(&["HSCAN", "{redirect}big", "0", "COUNT", "10"]);
    next[2] = cursor.clone();
    assert_eq!(t.scans_moved(), 0);
    assert!(t.call(&next).is_ok());
    assert_eq!(t.scans_moved(), 1);
    cluster.move_key(from, to, b"{redirect}a");
    let batch = [
        "HGET {redirect}a f",
        "HGET {redirect}b f",
        "HSET {redirect}c f 2",
        "HINCRBY {redirect}a f 1",
        "HINCRBY {redirect}b f 1",
        "HINCRBY {redirect}c f 1",
        "HGET {redirect}a f",
        "HGET {redirect}c f",
    ]
    .map(|c| argv(&c.split(' ').collect::<Vec<_>>()));
    assert_eq!(t.batches_reordered(), 0);
    let replies = t.call_batch(&batch).unwrap();
    // b's commands ran where b is, before a's and c's were sent again with ASKING.
    assert_eq!(t.batches_reordered(), 1);
    let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    assert_eq!(
        replies,
        [
            bulk("1"),
            bulk("1"),
            Reply::Integer(1),
            Reply::Integer(2),
            Reply::Integer(2),
            Reply::Integer(3),
            bulk("2"),
            bulk("3")
        ]
    );
    // b is still on the old node, a and c on the new one: EXISTS over all three is told
    // TRYAGAIN until b moves too (a moment later).
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            cluster.move_key(from, to, b"{redirect}b");
        });
        let exists = argv(&["EXISTS", "{redirect}a", "{redirect}b", "{redirect}c"]);
        assert_eq!(t.call(&exists).unwrap(), Reply::Integer(3));
    });
    // Retried alone: nothing ran around it.
    assert_eq!(t.batches_reordered(), 1);
    // A RENAME into a new key: the old node has neither key and says ASK, the new one lacks
    // the destination and says TRYAGAIN, back and forth until the slot is handed over (far
    // more round trips than redirects allowed, so only the timeout bounds them).
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            cluster.finish_migration(slot, to);
        });
        let rename = argv(&["RENAME", "{redirect}c", "{redirect}d"]);
        assert_eq!(t.call(&rename).unwrap(), Reply::ok());
    });
    assert!(t.usable());
    assert_eq!(cluster.owner(slot), to);
    assert_eq!(
        t.call(&argv(&["HGET", "{redirect}b", "f"])).unwrap(),
        bulk("2")
    );
    let del = argv(&[
        "DEL",
        "{redirect}a",
        "{redirect}b",
        "{redirect}d",
        "{redirect}big",
    ]);
    assert_eq!(t.call(&del).unwrap(), Reply::Integer(4));
    assert_eq!(cluster.keys(), 0);
}

/// A case that counts every key (DBSIZE) cannot run on a cluster: unsupported, with the step
/// and the reason, listed in the report; the case beside it runs.
fn past_one_slot_is_unsupported(spec: &str) {
    let dir = support::temp_dir("cluster-unsupported");
    let path = dir.join("dbsize.yaml");
    std::fs::write(
        &path,
        "source: https://redis.io/docs/latest/commands/dbsize/\nbehaviour: b\ncases:\n  \
         - name: counts every key\n    steps:\n      - send: [HSET, h, f, v]\n        \
         expect: 1\n      - send: [DBSIZE]\n        expect: 1\n  - name: one hash\n    \
         steps:\n      - send: [HSET, h, f, v]\n        expect: 1\n      - send: [DEL, h, \
         other]\n        expect: 1\n",
    )
    .unwrap();
    let file = hashcheck::cases::format::load(&path).unwrap();
    let options = SuiteOptions {
        target: TargetSpec::new(spec),
        protocols: vec![Protocol::Resp3],
        jobs: 1,
        fail_fast: false,
        filter: None,
        run: RunOptions::default(),
        allow_nonempty: false,
        partition: None,
    };
    let report = run_suite(std::slice::from_ref(&file), &options).unwrap();
    let text = report::suite(&report, &dir, Style::default());
    assert!(report.passed(), "{text}");
    let [counts, one] = &report.cases[..] else {
        panic!("{text}")
    };
    assert_eq!(one.outcome, Outcome::Pass, "{text}");
    let Some(Unsupported::Cluster(why)) = &counts.unsupported else {
        panic!("{text}")
    };
    assert!(
        why.starts_with("unsupported in cluster mode: DBSIZE"),
        "{why}"
    );
    assert!(
        text.contains("unsupported in cluster mode: DBSIZE"),
        "{text}"
    );
    assert!(
        report.target.contains("(cluster, 3 primaries)"),
        "{}",
        report.target
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The case suite in both protocols while the slots of the first cases (those that wait
/// longest, so they run first and stay longest) move between primaries.
fn suite_while_migrating(cluster: &Cluster, spec: &str) {
    let options = SuiteOptions {
        target: TargetSpec::new(spec),
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        jobs: 16,
        fail_fast: false,
        filter: None,
        run: RunOptions {
            allow_debug: true,
            // Redis's own choices too (order of small listings, encodings): a migrated
            // key is the same hash on its new node, down to its listpack order.
            details: Details::Strict,
            ..RunOptions::default()
        },
        allow_nonempty: false,
        partition: None,
    };
    let files = support::load_dir(&support::workspace().join("cases"));
    let tags: Vec<String> = (0..24).map(|n| format!("{{{n}}}")).collect();
    let (done, migrations, moved) = (
        AtomicBool::new(false),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let report = std::thread::scope(|scope| {
        scope.spawn(|| {
            keep_migrating(
                cluster,
                &tags,
                Duration::from_millis(2),
                &done,
                &migrations,
                &moved,
            )
        });
        let report = run_suite(&files, &options);
        done.store(true, Ordering::Relaxed);
        report
    })
    .unwrap();
    let text = report::suite(&report, support::workspace(), Style::default());
    eprintln!("{}", report::summary(&report, Style::default()));
    let unsupported: Vec<String> = report
        .cases
        .iter()
        .filter(|c| matches!(c.unsupported, Some(Unsupported::Cluster(_))))
        .map(|c| format!("{}:{}", c.file.display(), c.line))
        .collect();
    eprintln!(
        "{spec}: {} case runs, {} unsupported in cluster mode {unsupported:?}; {} migrations \
         moved {} keys during the run",
        report.cases.len(),
        unsupported.len(),
        migrations.load(Ordering::Relaxed),
        moved.load(Ordering::Relaxed)
    );
    assert!(report.passed(), "{text}");
    for case in &report.cases {
        match (&case.outcome, &case.unsupported) {
            (Outcome::Pass, _) | (Outcome::Skipped { .. }, Some(Unsupported::Cluster(_))) => {}
            other => panic!("{}:{} {other:?}", case.file.display(), case.line),
        }
    }
    let selected: usize = files
        .iter()
        .flat_map(|f| &f.cases)
        .map(|c| c.resp.len())
        .sum();
    assert_eq!(report.cases.len(), selected);
    // The only steps not run are those of cases that reach past their slot (other
    // databases, every key) ...
    let past_one_slot: usize = report
        .cases
        .iter()
        .filter(|c| c.unsupported.is_some())
        .map(|c| c.steps.skipped)
        .sum();
    assert_eq!(report.steps().skipped, past_one_slot, "{text}");
    // ... and nothing a default run on one server runs is lost on a cluster: each such case
    // is one that needs --allow-databases there.
    for run in &report.cases {
        if !matches!(run.unsupported, Some(Unsupported::Cluster(_))) {
            continue;
        }
        let case = files
            .iter()
            .filter(|f| f.path == run.file)
            .flat_map(|f| &f.cases)
            .find(|c| c.line == run.line)
            .expect("the case of a report");
        assert!(
            case.requires.contains(&Capability::Databases),
            "{}:{} unsupported on a cluster",
            run.file.display(),
            run.line
        );
    }
    assert!(migrations.load(Ordering::Relaxed) > 0);
    assert!(
        moved.load(Ordering::Relaxed) > 0,
        "no key moved while the cases ran"
    );
    assert_eq!(cluster.keys(), 0, "keys left behind");
}

/// A short fuzz run (the binary, both protocols, two lanes) while each lane's slot moves.
fn fuzz_while_migrating(cluster: &Cluster, spec: &str) {
    let out = support::temp_dir("cluster-fuzz");
    let tags = ["{j0}".to_string(), "{j1}".to_string()];
    let (done, migrations, moved) = (
        AtomicBool::new(false),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let output = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Let the lanes create their keys first.
            std::thread::sleep(Duration::from_millis(500));
            keep_migrating(
                cluster,
                &tags,
                Duration::from_millis(5),
                &done,
                &migrations,
                &moved,
            )
        });
        let output = support::hashcheck(&[
            "fuzz",
            "--target",
            spec,
            "--duration",
            "6s",
            "--seed",
            "14",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        done.store(true, Ordering::Relaxed);
        output
    });
    eprintln!(
        "{spec}: fuzz with {} migrations moving {} keys",
        migrations.load(Ordering::Relaxed),
        moved.load(Ordering::Relaxed)
    );
    support::assert_exit(&output, 0);
    assert!(
        support::text(&output.stdout).contains("no divergence"),
        "{}",
        support::all(&output)
    );
    assert!(
        moved.load(Ordering::Relaxed) > 0,
        "no key moved during the fuzz run"
    );
    assert_eq!(cluster.keys(), 0, "keys left behind");
    std::fs::remove_dir_all(&out).ok();
}
