//! Redis Cluster's addressing: which of the 16384 hash slots a key is in, what a MOVED or ASK
//! reply says, and the slot map CLUSTER SLOTS gives. Plain functions over bytes and replies,
//! so the routing in `cluster.rs` reads as decisions only.

use reference_engine::Reply;

/// How many hash slots a Redis Cluster has.
pub const SLOTS: usize = 16384;

/// The slot of `key`: CRC16 (XMODEM) of its hash tag (the bytes between the first `{` and
/// the next `}`, when there are any), else of the whole key, modulo 16384. As Redis's own
/// `keyHashSlot`; a unit test checks it against the slots Redis's cluster spec lists.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % SLOTS as u16
}

/// CRC16/XMODEM (polynomial 0x1021, initial 0), bit by bit: a key's tag is a few bytes, and
/// ten lines read more easily than a 512-byte table.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// What a cluster node answers instead of running a command elsewhere's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `MOVED <slot> <addr>`: the slot lives on `addr` now; every later command for it too.
    Moved { slot: u16, addr: String },
    /// `ASK <slot> <addr>`: this one command goes to `addr`, after ASKING (a slot being
    /// migrated, whose key is already there or not yet anywhere).
    Ask { addr: String },
    /// `TRYAGAIN` (a multi-key command whose keys are split by a migration in progress) or
    /// `CLUSTERDOWN` (the cluster is settling): the same command, a little later.
    Retry,
}

/// The redirect an error reply is, if it is one. `addr` is `host:port`; a node that does
/// not know its own address says `:port` (Redis) or `?:port`, which means the host of the
/// connection that got the reply, `here`.
pub fn redirect(reply: &Reply, here: &str) -> Option<Redirect> {
    let Reply::Error(text) = reply else {
        return None;
    };
    let mut words = text.split(' ');
    match words.next()? {
        kind @ ("MOVED" | "ASK") => {
            // A slot out of range is not a redirect: the error is the reply.
            let slot: u16 = words
                .next()?
                .parse()
                .ok()
                .filter(|&s| (s as usize) < SLOTS)?;
            let addr = endpoint(words.next()?, here)?;
            Some(if kind == "MOVED" {
                Redirect::Moved { slot, addr }
            } else {
                Redirect::Ask { addr }
            })
        }
        "TRYAGAIN" | "CLUSTERDOWN" => Some(Redirect::Retry),
        _ => None,
    }
}

/// `host:port` from a node's announced endpoint, the host of `here` filling an unknown one.
fn endpoint(addr: &str, here: &str) -> Option<String> {
    let (host, port) = addr.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let host = match host {
        "" | "?" => here.rsplit_once(':').map_or(here, |(h, _)| h),
        h => h,
    };
    Some(join_host_port(host, port))
}

/// `host:port`, with an IPv6 host in brackets.
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One range of CLUSTER SLOTS: `start..=end` served by the primary at `addr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRange {
    pub start: u16,
    pub end: u16,
    pub addr: String,
}

/// The ranges a CLUSTER SLOTS reply lists (each `[start, end, [host, port, id, ..], replicas..]`),
/// hosts left empty or `?` filled from `here`. `Err` names what was not understood.
pub fn parse_cluster_slots(reply: &Reply, here: &str) -> Result<Vec<SlotRange>, String> {
    let Reply::Array(entries) = reply else {
        return Err(format!("CLUSTER SLOTS replied {reply}"));
    };
    let int = |r: &Reply| match r {
        Reply::Integer(n) => u16::try_from(*n).ok().filter(|&n| (n as usize) < SLOTS),
        _ => None,
    };
    let text = |r: &Reply| match r {
        Reply::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Reply::Simple(s) => Some(s.clone()),
        _ => None,
    };
    let mut ranges = Vec::new();
    for entry in entries {
        let parsed = (|| {
            let Reply::Array(parts) = entry else {
                return None;
            };
            let (start, end) = (int(parts.first()?)?, int(parts.get(1)?)?);
            let Reply::Array(node) = parts.get(2)? else {
                return None;
            };
            let host = text(node.first()?)?;
            let Reply::Integer(port) = node.get(1)? else {
                return None;
            };
            let addr = endpoint(&format!("{host}:{port}"), here)?;
            (start <= end).then_some(SlotRange { start, end, addr })
        })();
        ranges.push(parsed.ok_or_else(|| format!("CLUSTER SLOTS entry not understood: {entry}"))?);
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_redis_s() {
        // The cluster spec's own example, and values CLUSTER KEYSLOT gives on Redis 8.2.3.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"somekey"), 11058);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"hc:abc:{7}:h"), key_slot(b"7"));
        // An empty tag does not count: the whole key is hashed.
        assert_eq!(key_slot(b"{}x"), crc16(b"{}x") % 16384);
        assert_eq!(key_slot(b"a{b"), crc16(b"a{b") % 16384);
    }

    #[test]
    fn redirects_are_read_from_error_replies() {
        let moved = Reply::Error("MOVED 3999 127.0.0.1:6381".into());
        assert_eq!(
            redirect(&moved, "127.0.0.1:7000"),
            Some(Redirect::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            })
        );
        let ask = Reply::Error("ASK 1 :7002".into());
        assert_eq!(
            redirect(&ask, "10.0.0.1:7000"),
            Some(Redirect::Ask {
                addr: "10.0.0.1:7002".into()
            })
        );
        let v6 = Reply::Error("MOVED 5 ::1:7001".into());
        assert_eq!(
            redirect(&v6, "x:1"),
            Some(Redirect::Moved {
                slot: 5,
                addr: "[::1]:7001".into()
            })
        );
        let retry = Reply::Error("TRYAGAIN Multiple keys request during rehashing of slot".into());
        assert_eq!(redirect(&retry, "h:1"), Some(Redirect::Retry));
        assert_eq!(redirect(&Reply::Error("ERR MOVED".into()), "h:1"), None);
        assert_eq!(redirect(&Reply::Error("MOVED x y".into()), "h:1"), None);
        assert_eq!(
            redirect(&Reply::Error("MOVED 16384 h:2".into()), "h:1"),
            None
        );
        assert_eq!(redirect(&Reply::Integer(1), "h:1"), None);
    }

    #[test]
    fn cluster_slots_become_ranges() {
        let node = |host: &str, port| {
            Reply::Array(vec![
                Reply::bulk(host),
                Reply::Integer(port),
                Reply::bulk("id"),
            ])
        };
        let reply = Reply::Array(vec![
            Reply::Array(vec![
                Reply::Integer(0),
                Reply::Integer(5460),
                node("127.0.0.1", 7000),
                node("127.0.0.1", 7003),
            ]),
            Reply::Array(vec![
                Reply::Integer(5461),
                Reply::Integer(16383),
                node("", 7001),
            ]),
        ]);
        let ranges = parse_cluster_slots(&reply, "10.1.1.1:7000").unwrap();
        assert_eq!(
            ranges,
            [
                SlotRange {
                    start: 0,
                    end: 5460,
                    addr: "127.0.0.1:7000".into()
                },
                SlotRange {
                    start: 5461,
                    end: 16383,
                    addr: "10.1.1.1:7001".into()
                }
            ]
        );
        assert!(parse_cluster_slots(&Reply::Error("ERR x".into()), "h:1").is_err());
        let bad = Reply::Array(vec![Reply::Array(vec![Reply::Integer(0)])]);
        assert!(parse_cluster_slots(&bad, "h:1").is_err());
    }
}
