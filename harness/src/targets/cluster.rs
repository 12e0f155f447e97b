//! A Redis Cluster as one [`Target`]: `--target` names any node (or a comma-separated list
//! of nodes, tried in turn), and every command goes to the primary that owns its keys' slot.
//!
//! Each node is a [`NetworkTarget`], so every reply from every node is read through the
//! bounded [`super::wire`] (size and time) and decoded as the engine's replies are, RESP3
//! included. The `redis` crate's cluster client was the model for the routing (a slot map
//! from CLUSTER SLOTS, MOVED updating it, ASK answered with ASKING on the named node,
//! TRYAGAIN retried), but not used: its connections read replies with its own unbounded
//! parser (why `network.rs` owns its socket), it sends commands a conformance run must not
//! (CLIENT SETINFO, READONLY), and its pipelines retry failed commands after the ones behind
//! them, which reorders commands on one key.
//!
//! Order is what a comparison with the engine needs, so a batch is sent in runs: consecutive
//! commands for one node, pipelined, a run ending after any command with several keys. A
//! command redirected (MOVED, ASK) is sent again, in order with the others redirected, once
//! its run's replies are in; nothing after it on the same key can have run in between, since
//! a node that no longer owns a slot, or no longer holds a key of a slot being migrated,
//! redirects every later command for it too. A multi-key command told TRYAGAIN (its keys
//! split by a migration, or one of them missing on the importing node) is the last of its
//! run, so it is retried before anything after it.
//!
//! Commands without keys go to the node given as the target, except: HELLO goes to every
//! open connection (and later ones open in its protocol), CONFIG SET/RESETSTAT and DEBUG's
//! keyless subcommands (active expiry) to every primary, DBSIZE is summed over the primaries
//! (so the empty-database check covers them all), and DEL/UNLINK/EXISTS/TOUCH whose keys lie
//! in several slots are split per slot and their counts added (the runs' cleanups).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::{ConnectionAddr, IntoConnectionInfo};
use reference_engine::{Protocol, Reply};

use super::keys::key_positions;
use super::slots::{join_host_port, key_slot, parse_cluster_slots, redirect, Redirect, SLOTS};
use super::{
    hello_protocol, ClockKind, ConnectOptions, NetworkTarget, ServerIdentity, Target, TargetError,
};

/// How many times one command may be sent on by MOVED or ASK before the cluster is taken to
/// be broken (a slot moves at most once or twice during a run).
const MAX_REDIRECTS: usize = 16;

/// How long to wait before sending a TRYAGAIN'd command again.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// Multi-key commands whose count is the sum of their per-key counts, so they can be split by
/// slot (as cluster clients do).
const SUMMED: &[&str] = &["del", "unlink", "exists", "touch"];

/// A Redis Cluster reached through its primaries.
pub struct ClusterTarget {
    name: String,
    /// The spec given for the node that answered first: another node's spec is this one
    /// with its `host:port` replaced, so scheme, credentials and TLS settings carry over.
    template: String,
    options: ConnectOptions,
    protocol: Protocol,
    identity: ServerIdentity,
    /// Every node heard of (`host:port`), and its connection once opened.
    addrs: Vec<String>,
    conns: Vec<Option<NetworkTarget>>,
    /// The node (index into `addrs`) that owns each slot, as last learned.
    slots: Vec<usize>,
    /// The node given as the target: keyless commands go there.
    home: usize,
    broken: bool,
    /// The node that answered each key's last HSCAN page, while its walk goes on.
    scan_nodes: HashMap<Vec<u8>, usize>,
    /// See [`Target::scans_moved`].
    scans_moved: u64,
    /// See [`Target::batches_reordered`].
    batches_reordered: u64,
}

/// Where one command goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The owner of this slot (all its keys are in it, or the server is to say CROSSSLOT).
    Slot(u16),
    /// No key: any node; it rides with the run it is in.
    Anywhere,
    /// To every open connection (HELLO) or every primary (settings).
    Everywhere,
    /// DBSIZE: the sum over the primaries.
    SumPrimaries,
    /// DEL/UNLINK/EXISTS/TOUCH over several slots: one command per slot, counts added.
    PerSlot,
}

impl ClusterTarget {
    /// Connects to the first node of `spec` (`host:port[,host:port...]`, each item as
    /// `--target` takes it) that answers, and reads the slot map from it. A node that is not
    /// in cluster mode is an error here: [`super::open_network`] opens it as a plain server.
    pub fn connect(
        spec: &str,
        protocol: Option<Protocol>,
        options: &ConnectOptions,
    ) -> Result<Self, TargetError> {
        let mut last = None;
        for seed in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match NetworkTarget::connect_with(seed, protocol, options) {
                Ok(node) if node.cluster_mode() => return Self::from_node(node, seed, options),
                Ok(node) => {
                    return Err(TargetError::Connect {
                        target: node.name().to_string(),
                        reason: "not a Redis Cluster node (INFO says redis_mode is not \
                                 cluster); a list of targets must name nodes of one cluster"
                            .to_string(),
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| TargetError::Connect {
            target: super::redact(spec),
            reason: "no node address given".to_string(),
        }))
    }

    /// The cluster behind `node`, a connection to one of its nodes opened from `spec`.
    pub fn from_node(
        node: NetworkTarget,
        spec: &str,
        options: &ConnectOptions,
    ) -> Result<Self, TargetError> {
        let here = host_port(spec).unwrap_or_else(|| node.name().to_string());
        let mut target = Self {
            name: node.name().to_string(),
            template: spec.to_string(),
            options: options.clone(),
            protocol: node.protocol(),
            identity: node.identity().clone(),
            addrs: vec![here],
            conns: vec![Some(node)],
            slots: vec![0; SLOTS],
            home: 0,
            broken: false,
            scan_nodes: HashMap::new(),
            scans_moved: 0,
            batches_reordered: 0,
        };
        target.refresh_slots()?;
        // Reports and errors say it is a cluster, reached through this node.
        target.name = format!(
            "{} (cluster, {} primaries)",
            target.name,
            target.primaries().len()
        );
        Ok(target)
    }

    /// Reads CLUSTER SLOTS from the home node and takes it as the slot map.
    fn refresh_slots(&mut self) -> Result<(), TargetError> {
        let here = self.addrs[self.home].clone();
        let reply = self.node(self.home)?.call(&words(&["CLUSTER", "SLOTS"]))?;
        let ranges =
            parse_cluster_slots(&reply, &here).map_err(|reason| TargetError::Protocol {
                target: self.name.clone(),
                reason,
            })?;
        if ranges.is_empty() {
            return Err(TargetError::Connect {
                target: self.name.clone(),
                reason: "the cluster serves no slots yet (CLUSTER SLOTS is empty)".to_string(),
            });
        }
        for range in ranges {
            let owner = self.index_of(&range.addr);
            for slot in range.start..=range.end {
                self.slots[slot as usize] = owner;
            }
        }
        Ok(())
    }

    /// The index of the node at `addr`, added if it is new.
    fn index_of(&mut self, addr: &str) -> usize {
        if let Some(i) = self.addrs.iter().position(|a| a == addr) {
            return i;
        }
        self.addrs.push(addr.to_string());
        self.conns.push(None);
        self.addrs.len() - 1
    }

    /// The connection to node `i`, opened (in the current protocol) if it is not yet.
    fn node(&mut self, i: usize) -> Result<&mut NetworkTarget, TargetError> {
        if self.conns[i].is_none() {
            let spec = node_spec(&self.template, &self.addrs[i]);
            let conn = NetworkTarget::connect_with(&spec, Some(self.protocol), &self.options)
                .inspect_err(|_| self.broken = true)?;
            self.conns[i] = Some(conn);
        }
        Ok(self.conns[i].as_mut().expect("opened above"))
    }

    /// The primaries, as the slot map has them.
    fn primaries(&self) -> Vec<usize> {
        let mut owners: Vec<usize> = self.slots.clone();
        owners.sort_unstable();
        owners.dedup();
        owners
    }

    /// Where `argv` goes, and whether it has several keys (which ends a run).
    fn plan(&self, argv: &[Vec<u8>]) -> (Plan, bool) {
        let positions = key_positions(argv);
        let Some(&first) = positions.first() else {
            return (keyless_plan(argv), false);
        };
        let slot = key_slot(&argv[first]);
        let multi_key = positions.len() > 1;
        if positions.iter().all(|&p| key_slot(&argv[p]) == slot) {
            return (Plan::Slot(slot), multi_key);
        }
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        if SUMMED.contains(&name.as_str()) {
            (Plan::PerSlot, multi_key)
        } else {
            (Plan::Slot(slot), multi_key)
        }
    }

    fn exchange(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        if self.broken {
            return Err(TargetError::Io {
                target: self.name.clone(),
                reason: "connection unusable after an earlier failure".to_string(),
            });
        }
        let mut out: Vec<Option<Reply>> = vec![None; batch.len()];
        let plans: Vec<(Plan, bool)> = batch.iter().map(|argv| self.plan(argv)).collect();
        let mut i = 0;
        while i < batch.len() {
            match plans[i].0 {
                Plan::Slot(_) | Plan::Anywhere => {
                    // The run: this command and the next ones for the same node, up to and
                    // including the first with several keys.
                    let mut node = None;
                    let mut j = i;
                    while j < batch.len() {
                        let (plan, multi_key) = plans[j];
                        let target = match plan {
                            Plan::Slot(slot) => Some(self.slots[slot as usize]),
                            Plan::Anywhere => None,
                            _ => break,
                        };
                        if target.is_some() && node.is_some() && target != node {
                            break;
                        }
                        node = node.or(target);
                        j += 1;
                        if multi_key {
                            break;
                        }
                    }
                    let node = node.unwrap_or(self.home);
                    self.send_run(batch, (i..j).map(|k| (k, node, false)).collect(), &mut out)?;
                    i = j;
                }
                Plan::Everywhere => {
                    out[i] = Some(self.everywhere(&batch[i])?);
                    i += 1;
                }
                Plan::SumPrimaries => {
                    out[i] = Some(self.sum_primaries(&batch[i])?);
                    i += 1;
                }
                Plan::PerSlot => {
                    out[i] = Some(self.per_slot(&batch[i])?);
                    i += 1;
                }
            }
        }
        Ok(out.into_iter().map(|r| r.unwrap_or(Reply::Null)).collect())
    }

    /// Sends `pending` (command index, node, whether ASKING goes first), in order, following
    /// redirects until every command has its reply in `out`.
    fn send_run(
        &mut self,
        batch: &[Vec<Vec<u8>>],
        mut pending: Vec<(usize, usize, bool)>,
        out: &mut [Option<Reply>],
    ) -> Result<(), TargetError> {
        let retry_until = Instant::now() + self.options.timeout;
        let mut redirects = 0;
        let mut reordered = false;
        while !pending.is_empty() {
            let mut next = Vec::new();
            let mut retry = false;
            let mut a = 0;
            while a < pending.len() {
                let node = pending[a].1;
                let b = a + pending[a..].iter().take_while(|p| p.1 == node).count();
                let run = &pending[a..b];
                let replies = self.send_to(node, batch, run)?;
                let here = self.addrs[node].clone();
                for (&(k, _, _), reply) in run.iter().zip(replies) {
                    match redirect(&reply, &here) {
                        Some(Redirect::Moved { slot, addr }) => {
                            let owner = self.index_of(&addr);
                            self.slots[slot as usize] = owner;
                            next.push((k, owner, false));
                        }
                        Some(Redirect::Ask { addr }) => next.push((k, self.index_of(&addr), true)),
                        // Past the time a command may take, the error is the reply.
                        Some(Redirect::Retry) if Instant::now() < retry_until => {
                            retry = true;
                            let owner = match self.plan(&batch[k]).0 {
                                Plan::Slot(slot) => self.slots[slot as usize],
                                _ => node,
                            };
                            next.push((k, owner, false));
                        }
                        _ => {
                            // Ran before a command ahead of it in the batch, one that is
                            // sent again (in this node's run or an earlier one).
                            reordered |= !next.is_empty();
                            self.note_scan(&batch[k], node, &reply);
                            out[k] = Some(reply);
                        }
                    }
                }
                a = b;
            }
            if retry {
                // A multi-key command ASK sends to the importing node is told TRYAGAIN there
                // while any of its keys is missing (a RENAME into a new key: until the slot
                // is handed over), and ASK again by the old owner: back and forth, bounded
                // by the timeout, not by the count of redirects.
                redirects = 0;
                std::thread::sleep(RETRY_PAUSE);
            } else if !next.is_empty() {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    self.broken = true;
                    return Err(TargetError::Protocol {
                        target: self.name.clone(),
                        reason: format!(
                            "a command was redirected (MOVED/ASK) more than {MAX_REDIRECTS} \
                             times; the cluster's slot map does not settle"
                        ),
                    });
                }
            }
            pending = next;
        }
        self.batches_reordered += u64::from(reordered);
        Ok(())
    }

    /// Counts an HSCAN page answered by another node than its walk's previous page.
    fn note_scan(&mut self, argv: &[Vec<u8>], node: usize, reply: &Reply) {
        let [name, key, cursor, ..] = argv else {
            return;
        };
        // A hash command whose reply is a scan: HSCAN, by the table.
        let hash_scan = reference_engine::command::lookup(name).is_some_and(|spec| {
            spec.hash && spec.reply == reference_engine::command::ReplyPolicy::Scan
        });
        if !hash_scan {
            return;
        }
        if cursor.as_slice() != b"0" && self.scan_nodes.get(key).is_some_and(|&n| n != node) {
            self.scans_moved += 1;
        }
        let goes_on = matches!(reply, Reply::Array(parts)
            if matches!(parts.first(), Some(Reply::Bulk(c)) if c.as_slice() != b"0"));
        if goes_on {
            self.scan_nodes.insert(key.clone(), node);
        } else {
            self.scan_nodes.remove(key);
        }
    }

    /// One pipelined run to `node`: the commands as they are when none needs ASKING (no
    /// copy), else each asking one after an ASKING whose own reply is dropped.
    fn send_to(
        &mut self,
        node: usize,
        batch: &[Vec<Vec<u8>>],
        run: &[(usize, usize, bool)],
    ) -> Result<Vec<Reply>, TargetError> {
        let first = run[0].0;
        let contiguous = run
            .iter()
            .enumerate()
            .all(|(n, p)| p.0 == first + n && !p.2);
        let conn = self.node(node)?;
        let result = if contiguous {
            conn.call_batch(&batch[first..first + run.len()])
        } else {
            let mut sent = Vec::with_capacity(run.len() * 2);
            for &(k, _, asking) in run {
                if asking {
                    sent.push(words(&["ASKING"]));
                }
                sent.push(batch[k].clone());
            }
            conn.call_batch(&sent).map(|replies| {
                let mut kept = Vec::with_capacity(run.len());
                let mut replies = replies.into_iter();
                for &(_, _, asking) in run {
                    if asking {
                        replies.next();
                    }
                    kept.extend(replies.next());
                }
                kept
            })
        };
        result.inspect_err(|_| self.broken = true)
    }

    /// HELLO on every open connection (the protocol then applies to the ones opened later),
    /// a setting on every primary. The home node's reply, or the first error.
    fn everywhere(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let hello = argv[0].eq_ignore_ascii_case(b"hello");
        let nodes: Vec<usize> = if hello {
            (0..self.conns.len())
                .filter(|&i| self.conns[i].is_some())
                .collect()
        } else {
            self.primaries()
        };
        let mut home_reply = None;
        let mut error = None;
        for node in nodes.into_iter().chain(std::iter::once(self.home)) {
            if home_reply.is_some() && node == self.home {
                continue;
            }
            let reply = self
                .node(node)?
                .call(argv)
                .inspect_err(|_| self.broken = true)?;
            if reply.is_error() && error.is_none() {
                error = Some(reply.clone());
            }
            if node == self.home {
                home_reply = Some(reply);
            }
        }
        let reply = error.or(home_reply).unwrap_or(Reply::Null);
        if let Some(p) = hello_protocol(argv, &reply) {
            self.protocol = p;
        }
        Ok(reply)
    }

    /// DBSIZE on every primary (the slot map read again first), added up.
    fn sum_primaries(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        self.refresh_slots()?;
        let mut total = 0;
        for node in self.primaries() {
            match self
                .node(node)?
                .call(argv)
                .inspect_err(|_| self.broken = true)?
            {
                Reply::Integer(n) => total += n,
                other => return Ok(other),
            }
        }
        Ok(Reply::Integer(total))
    }

    /// `argv` (DEL and the like) split into one command per slot, its integer replies added.
    fn per_slot(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let mut by_slot: Vec<(u16, Vec<Vec<u8>>)> = Vec::new();
        for p in key_positions(argv) {
            let slot = key_slot(&argv[p]);
            match by_slot.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, command)) => command.push(argv[p].clone()),
                None => by_slot.push((slot, vec![argv[0].clone(), argv[p].clone()])),
            }
        }
        let mut total = 0;
        for (slot, command) in by_slot {
            let mut out = [None];
            let owner = self.slots[slot as usize];
            self.send_run(
                std::slice::from_ref(&command),
                vec![(0, owner, false)],
                &mut out,
            )?;
            match out[0].take() {
                Some(Reply::Integer(n)) => total += n,
                other => return Ok(other.unwrap_or(Reply::Null)),
            }
        }
        Ok(Reply::Integer(total))
    }
}

/// Where a command without keys goes.
fn keyless_plan(argv: &[Vec<u8>]) -> Plan {
    let word = |i: usize| {
        argv.get(i)
            .map(|w| String::from_utf8_lossy(w).to_ascii_lowercase())
            .unwrap_or_default()
    };
    match (word(0).as_str(), word(1).as_str()) {
        ("hello", _) | ("config", "set" | "resetstat") => Plan::Everywhere,
        // DEBUG's keyless subcommands that change the server (active expiry); HELP is not.
        ("debug", sub) if !sub.is_empty() && sub != "help" => Plan::Everywhere,
        ("dbsize", _) => Plan::SumPrimaries,
        _ => Plan::Anywhere,
    }
}

impl Target for ClusterTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }

    fn clock(&self) -> ClockKind {
        ClockKind::Real
    }

    fn usable(&self) -> bool {
        !self.broken
    }

    fn is_cluster(&self) -> bool {
        true
    }

    fn scans_moved(&self) -> u64 {
        self.scans_moved
    }

    fn batches_reordered(&self) -> u64 {
        self.batches_reordered
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let mut replies = self.exchange(std::slice::from_ref(&argv.to_vec()))?;
        Ok(replies.pop().unwrap_or(Reply::Null))
    }

    fn call_batch(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        self.exchange(batch)
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        crate::interrupt::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

/// The `host:port` a spec connects to, as MOVED and CLUSTER SLOTS write it.
fn host_port(spec: &str) -> Option<String> {
    let url = if spec.contains("://") {
        spec.to_string()
    } else {
        format!("redis://{spec}")
    };
    match url.as_str().into_connection_info().ok()?.addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            Some(join_host_port(host, &port.to_string()))
        }
        _ => None,
    }
}

/// `template` (a URL or `host:port`) with its `host:port` replaced by `addr`; scheme,
/// credentials, database and query stay.
fn node_spec(template: &str, addr: &str) -> String {
    let (scheme, rest) = match template.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, template),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, _)) => format!("{userinfo}@{addr}"),
        None => addr.to_string(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

fn words(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|w| w.as_bytes().to_vec()).collect()
}

#[cfg(test)]
mod tests;
