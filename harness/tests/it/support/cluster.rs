//! A real 3-primary Redis 8.2.3 cluster on loopback (the same binary as the other tests, with
//! `--cluster-enabled yes`), set up by hand the way `redis-cli --cluster create` does it
//! (config epochs, ADDSLOTSRANGE, MEET), and slot migrations as an operator runs them
//! (SETSLOT IMPORTING/MIGRATING, MIGRATE of the slot's keys, SETSLOT NODE on every node).
//! Each node is a [`ServerProcess`], stopped by its PID when the cluster drops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use hashcheck::process::{free_port, ServerProcess};
use hashcheck::targets::slots::{key_slot, parse_cluster_slots};
use hashcheck::targets::{NetworkTarget, Target};
use reference_engine::{Protocol, Reply};

use super::{scratch, servers, wait_until};

pub struct Cluster {
    pub nodes: Vec<ServerProcess>,
    ids: Vec<String>,
}

/// Slot ranges of the three primaries, as `redis-cli --cluster create` splits them.
const RANGES: [(u16, u16); 3] = [(0, 5460), (5461, 10922), (10923, 16383)];

impl Cluster {
    /// Starts three nodes, gives each a third of the slots and joins them; returns once
    /// every node says `cluster_state:ok`.
    pub fn start() -> Self {
        let nodes: Vec<ServerProcess> = (0..3)
            .map(|i| {
                let config = scratch(&format!("cluster-nodes-{i}.conf"));
                let bus = free_port().unwrap().to_string();
                servers::redis_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    config.to_str().unwrap(),
                    "--cluster-port",
                    &bus,
                    "--cluster-node-timeout",
                    "5000",
                ])
            })
            .collect();
        let mut ids = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let addr = node.addr();
            ids.push(text(&call(&addr, &["CLUSTER", "MYID"])));
            let epoch = (i + 1).to_string();
            ok(&addr, &["CLUSTER", "SET-CONFIG-EPOCH", &epoch]);
            let (start, end) = (RANGES[i].0.to_string(), RANGES[i].1.to_string());
            ok(&addr, &["CLUSTER", "ADDSLOTSRANGE", &start, &end]);
        }
        let first = nodes[0].addr();
        for node in &nodes[1..] {
            let bus = bus_port(node);
            ok(
                &first,
                &[
                    "CLUSTER",
                    "MEET",
                    "127.0.0.1",
                    &node.port().to_string(),
                    &bus,
                ],
            );
        }
        let cluster = Self { nodes, ids };
        wait_until("the cluster is up", Duration::from_secs(30), || {
            cluster.nodes.iter().all(|n| {
                let info = text(&call(&n.addr(), &["CLUSTER", "INFO"]));
                info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")
            })
        });
        cluster
    }

    /// The nodes as `--target` takes a list: `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn list(&self) -> String {
        let addrs: Vec<String> = self.nodes.iter().map(ServerProcess::addr).collect();
        addrs.join(",")
    }

    /// The index of the node that owns `slot`, as node 0 sees it.
    pub fn owner(&self, slot: u16) -> usize {
        let here = self.nodes[0].addr();
        let reply = call(&here, &["CLUSTER", "SLOTS"]);
        let ranges = parse_cluster_slots(&reply, &here).unwrap();
        let range = ranges
            .iter()
            .find(|r| r.start <= slot && slot <= r.end)
            .unwrap_or_else(|| panic!("no node owns slot {slot}"));
        self.nodes
            .iter()
            .position(|n| n.addr() == range.addr)
            .unwrap()
    }

    /// Moves `slot` from its owner to the next node, as an operator does: the slot is marked
    /// importing and migrating, its keys move one MIGRATE at a time with `pause` between
    /// (so commands meet ASK and keys split across two nodes), then every node is told the
    /// new owner. Returns how many keys moved.
    pub fn migrate(&self, slot: u16, pause: Duration) -> usize {
        let (from, to) = self.begin_migration(slot);
        std::thread::sleep(pause);
        let mut moved = 0;
        loop {
            let keys = match call(
                &self.nodes[from].addr(),
                &["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "1"],
            ) {
                Reply::Array(keys) => keys,
                other => panic!("GETKEYSINSLOT replied {other:?}"),
            };
            let Some(Reply::Bulk(key)) = keys.first() else {
                break;
            };
            self.move_key(from, to, key);
            moved += 1;
            std::thread::sleep(pause);
        }
        self.finish_migration(slot, to);
        moved
    }

    /// Marks `slot` importing on the next node and migrating on its owner; returns the two.
    pub fn begin_migration(&self, slot: u16) -> (usize, usize) {
        let from = self.owner(slot);
        let to = (from + 1) % self.nodes.len();
        let slot = slot.to_string();
        let (src, dst) = (self.nodes[from].addr(), self.nodes[to].addr());
        ok(
            &dst,
            &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &self.ids[from]],
        );
        ok(
            &src,
            &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &self.ids[to]],
        );
        (from, to)
    }

    /// MIGRATEs one key from node `from` to node `to`.
    pub fn move_key(&self, from: usize, to: usize, key: &[u8]) {
        let port = self.nodes[to].port().to_string();
        let mut migrate = servers::argv(&["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"]);
        migrate.push(key.to_vec());
        match connect(&self.nodes[from].addr()).call(&migrate).unwrap() {
            // NOKEY: the key expired or was deleted since it was listed.
            Reply::Simple(s) if s == "OK" || s == "NOKEY" => {}
            other => panic!("MIGRATE replied {other:?}"),
        }
    }

    /// Tells every node, the new owner first (as redis-cli does), that `slot` is on `to`,
    /// and waits until they all know the new owner's epoch.
    pub fn finish_migration(&self, slot: u16, to: usize) {
        let slot = slot.to_string();
        for i in std::iter::once(to).chain((0..self.nodes.len()).filter(|&i| i != to)) {
            let addr = self.nodes[i].addr();
            ok(&addr, &["CLUSTER", "SETSLOT", &slot, "NODE", &self.ids[to]]);
        }
        wait_until(
            "the nodes agree on slots and epochs",
            Duration::from_secs(30),
            || self.settled(),
        );
    }

    /// Whether every node knows every node's config epoch as that node has it, and sees
    /// the same owners, no slot migrating. Taking a slot bumps the new owner's epoch; a
    /// node that has not heard yet takes an older claim, sent before the old owner let
    /// go, for the newer one: the next migration then finds the slot owned by nobody,
    /// and the node that lost it drops its keys.
    fn settled(&self) -> bool {
        let own: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                let info = text(&call(&n.addr(), &["CLUSTER", "INFO"]));
                let epoch = info
                    .lines()
                    .find_map(|l| l.strip_prefix("cluster_my_epoch:"));
                epoch.unwrap_or_default().trim().to_string()
            })
            .collect();
        let mut views = Vec::new();
        for node in &self.nodes {
            let mut view = Vec::new();
            for line in text(&call(&node.addr(), &["CLUSTER", "NODES"])).lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                let Some(i) = self.ids.iter().position(|id| id == f[0]) else {
                    return false;
                };
                if f[6] != own[i] || f[8..].iter().any(|s| s.starts_with('[')) {
                    return false;
                }
                view.push((i, f[8..].join(" ")));
            }
            view.sort();
            views.push(view);
        }
        views.windows(2).all(|w| w[0] == w[1])
    }

    /// Keys in the whole cluster.
    pub fn keys(&self) -> i64 {
        self.nodes.iter().map(|n| servers::dbsize(&n.addr())).sum()
    }
}

/// Migrates the slots of `tags` (hash tags, `{tag}`), round after round, until `done`:
/// in a thread beside a run, so its keys move under it. Counts the migrations and the keys
/// they moved.
pub fn keep_migrating(
    cluster: &Cluster,
    tags: &[String],
    pause: Duration,
    done: &AtomicBool,
    migrations: &AtomicUsize,
    keys_moved: &AtomicUsize,
) {
    while !done.load(Ordering::Relaxed) {
        for tag in tags {
            if done.load(Ordering::Relaxed) {
                return;
            }
            let moved = cluster.migrate(key_slot(tag.as_bytes()), pause);
            migrations.fetch_add(1, Ordering::Relaxed);
            keys_moved.fetch_add(moved, Ordering::Relaxed);
        }
    }
}

fn bus_port(node: &ServerProcess) -> String {
    let reply = call(&node.addr(), &["CONFIG", "GET", "cluster-port"]);
    match reply {
        Reply::Array(items) => text(&items[1]),
        other => panic!("CONFIG GET cluster-port replied {other:?}"),
    }
}

fn connect(addr: &str) -> NetworkTarget {
    NetworkTarget::connect(addr, Some(Protocol::Resp2), Duration::from_secs(10)).unwrap()
}

fn call(addr: &str, words: &[&str]) -> Reply {
    connect(addr).call(&servers::argv(words)).unwrap()
}

fn ok(addr: &str, words: &[&str]) {
    let reply = call(addr, words);
    assert_eq!(reply, Reply::ok(), "{} on {addr}", words.join(" "));
}

fn text(reply: &Reply) -> String {
    match reply {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Verbatim { text, .. } => String::from_utf8_lossy(text).into_owned(),
        Reply::Simple(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}
