//! A plain TCP connection that pipelines raw RESP, for the fuzzer's throughput.
//!
//! The fuzzer spends most of its time talking to the server; through the `redis` crate a
//! third of it went to building commands and parsing replies. Here a batch is encoded into
//! one buffer, written at once, and the replies are decoded with the engine's own reply
//! parser, whose output is exactly what the engine's replies are compared in
//! (`resp::canonical`). It handles only `host:port` and `redis://host:port[/0]` with no
//! user, password or options; anything else (TLS, AUTH, another database) goes through
//! [`NetworkTarget`](crate::target::NetworkTarget).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use reference_engine::resp::{decode_reply, encode_request_into};
use reference_engine::{Protocol, Reply};

use crate::target::{hello_protocol, ClockKind, ServerIdentity, Target, TargetError};

/// A raw RESP connection.
pub struct WireTarget {
    name: String,
    stream: TcpStream,
    protocol: Protocol,
    identity: ServerIdentity,
    out: Vec<u8>,
    input: Vec<u8>,
    /// Where each read lands: kept, since zeroing 64 KB for every batch cost more than
    /// decoding its replies.
    chunk: Box<[u8]>,
    broken: bool,
}

impl WireTarget {
    /// Connects to `spec` if it is a plain address (see the module docs); `Ok(None)` if it
    /// needs the full client.
    pub fn connect(
        spec: &str,
        protocol: Protocol,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Option<Self>, TargetError> {
        let Some(addr) = plain_address(spec) else {
            return Ok(None);
        };
        let fail = |reason: String| TargetError::Connect {
            target: addr.to_string(),
            reason,
        };
        let resolved = addr
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .next()
            .ok_or_else(|| fail("no address".to_string()))?;
        let stream = TcpStream::connect_timeout(&resolved, connect_timeout)
            .map_err(|e| fail(e.to_string()))?;
        stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(timeout)))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| fail(e.to_string()))?;
        let mut target = Self {
            name: addr.to_string(),
            stream,
            protocol: Protocol::Resp2,
            identity: ServerIdentity::from_info(""),
            out: Vec::with_capacity(1 << 16),
            input: Vec::with_capacity(1 << 16),
            chunk: vec![0; 1 << 16].into_boxed_slice(),
            broken: false,
        };
        if protocol == Protocol::Resp3 {
            let reply = target
                .call(&[b"HELLO".to_vec(), b"3".to_vec()])
                .map_err(|e| fail(e.to_string()))?;
            if target.protocol != Protocol::Resp3 {
                return Err(fail(format!("HELLO 3 replied {reply}")));
            }
        }
        let info = target
            .call(&[b"INFO".to_vec(), b"server".to_vec()])
            .map_err(|e| fail(e.to_string()))?;
        if let Reply::Bulk(text) | Reply::Verbatim { text, .. } = &info {
            target.identity = ServerIdentity::from_info(&String::from_utf8_lossy(text));
        }
        Ok(Some(target))
    }

    fn io_error(&mut self, reason: String) -> TargetError {
        self.broken = true;
        TargetError::Io {
            target: self.name.clone(),
            reason,
        }
    }

    /// Reads `n` replies.
    fn read_replies(&mut self, n: usize) -> Result<Vec<Reply>, TargetError> {
        let mut replies = Vec::with_capacity(n);
        let mut pos = 0;
        while replies.len() < n {
            match decode_reply(&self.input[pos..]) {
                Ok(Some((reply, used))) => {
                    replies.push(reply);
                    pos += used;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    self.broken = true;
                    return Err(TargetError::Protocol {
                        target: self.name.clone(),
                        reason: e.to_string(),
                    });
                }
            }
            self.input.drain(..pos);
            pos = 0;
            let read = match self.stream.read(&mut self.chunk) {
                Ok(0) => return Err(self.io_error("connection closed by the server".into())),
                Ok(read) => read,
                Err(e) => return Err(self.io_error(e.to_string())),
            };
            self.input.extend_from_slice(&self.chunk[..read]);
        }
        self.input.drain(..pos);
        Ok(replies)
    }
}

/// `host:port` from `host:port` or `redis://host:port[/0]`, if that is all the spec says.
fn plain_address(spec: &str) -> Option<&str> {
    let rest = match spec.split_once("://") {
        Some(("redis", rest)) => rest,
        Some(_) => return None,
        None => spec,
    };
    let addr = match rest.split_once('/') {
        Some((addr, "" | "0")) => addr,
        Some(_) => return None,
        None => rest,
    };
    let plain = !addr.contains(['@', '?'])
        && addr
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    plain.then_some(addr)
}

impl Target for WireTarget {
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

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let mut replies = self.call_batch(&[argv.to_vec()])?;
        Ok(replies.pop().unwrap_or(Reply::Null))
    }

    fn call_batch(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        if self.broken {
            return Err(TargetError::Io {
                target: self.name.clone(),
                reason: "connection unusable after an earlier failure".to_string(),
            });
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.out.clear();
        for argv in batch {
            encode_request_into(&mut self.out, argv);
        }
        if let Err(e) = self.stream.write_all(&self.out) {
            return Err(self.io_error(e.to_string()));
        }
        let replies = self.read_replies(batch.len())?;
        for (argv, reply) in batch.iter().zip(&replies) {
            if let Some(p) = hello_protocol(argv, reply) {
                self.protocol = p;
            }
        }
        Ok(replies)
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_addresses_take_the_fast_path() {
        assert_eq!(plain_address("127.0.0.1:6379"), Some("127.0.0.1:6379"));
        assert_eq!(
            plain_address("redis://localhost:7000"),
            Some("localhost:7000")
        );
        assert_eq!(
            plain_address("redis://localhost:7000/0"),
            Some("localhost:7000")
        );
        assert_eq!(plain_address("redis://localhost:7000/2"), None);
        assert_eq!(plain_address("redis://user:pw@h:1"), None);
        assert_eq!(plain_address("rediss://h:1"), None);
        assert_eq!(plain_address("redis://h:1?protocol=resp3"), None);
        assert_eq!(plain_address("h"), None);
    }

    #[test]
    fn unreachable_servers_are_connect_errors() {
        let err = WireTarget::connect(
            "127.0.0.1:1",
            Protocol::Resp2,
            Duration::from_secs(2),
            Duration::from_secs(2),
        )
        .err()
        .unwrap();
        assert!(matches!(err, TargetError::Connect { .. }), "{err}");
    }
}
