use super::*;

fn argv(text: &str) -> Vec<Vec<u8>> {
    text.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

#[test]
fn other_nodes_keep_the_scheme_credentials_and_database() {
    assert_eq!(
        node_spec("127.0.0.1:7000", "127.0.0.1:7001"),
        "127.0.0.1:7001"
    );
    assert_eq!(
        node_spec("rediss://u:p@a:1/0?protocol=resp3", "b:2"),
        "rediss://u:p@b:2/0?protocol=resp3"
    );
    assert_eq!(
        host_port("redis://u:p@10.0.0.1:7000").as_deref(),
        Some("10.0.0.1:7000")
    );
    assert_eq!(host_port("h:1").as_deref(), Some("h:1"));
}

#[test]
fn a_walk_answered_by_another_node_is_counted() {
    let mut t = ClusterTarget {
        name: "t".into(),
        template: "h:1".into(),
        options: ConnectOptions::default(),
        protocol: Protocol::Resp2,
        identity: ServerIdentity::unknown(),
        addrs: vec!["h:1".into(), "h:2".into()],
        conns: vec![None, None],
        slots: vec![0; SLOTS],
        home: 0,
        broken: false,
        scan_nodes: HashMap::new(),
        scans_moved: 0,
        batches_reordered: 0,
    };
    let page = |cursor: &str| Reply::Array(vec![Reply::bulk(cursor), Reply::Array(vec![])]);
    t.note_scan(&argv("HSCAN k 0 COUNT 1"), 0, &page("6"));
    t.note_scan(&argv("HSCAN k 6 COUNT 1"), 0, &page("3"));
    assert_eq!(t.scans_moved(), 0);
    t.note_scan(&argv("HSCAN k 3 COUNT 1"), 1, &page("0"));
    assert_eq!(t.scans_moved(), 1);
    // The walk is over: a new one starts fresh wherever it is answered.
    t.note_scan(&argv("HSCAN k 0"), 0, &page("2"));
    t.note_scan(&argv("HSCAN k 2"), 0, &page("0"));
    t.note_scan(&argv("HSCAN other 9"), 1, &page("0"));
    assert_eq!(t.scans_moved(), 1);
    assert!(t.scan_nodes.is_empty());
}

#[test]
fn keyless_commands_are_planned_by_what_they_change() {
    assert_eq!(keyless_plan(&argv("HELLO 3")), Plan::Everywhere);
    assert_eq!(keyless_plan(&argv("CONFIG SET a b")), Plan::Everywhere);
    assert_eq!(keyless_plan(&argv("CONFIG GET a")), Plan::Anywhere);
    assert_eq!(
        keyless_plan(&argv("DEBUG SET-ACTIVE-EXPIRE 0")),
        Plan::Everywhere
    );
    assert_eq!(keyless_plan(&argv("DEBUG HELP")), Plan::Anywhere);
    assert_eq!(keyless_plan(&argv("DBSIZE")), Plan::SumPrimaries);
    assert_eq!(keyless_plan(&argv("TIME")), Plan::Anywhere);
}
