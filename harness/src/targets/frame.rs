//! Where a reply that arrives over many reads ends, and whether it stays within the size
//! limit while it does (see [`super::wire`] for the limit and why).

use reference_engine::Reply;

/// The fewest bytes an element takes on the wire (`_\r\n`, `+\r\n`).
pub(super) const MIN_ELEMENT_BYTES: u64 = 3;

/// What each element of a reply counts for on top of its bytes: its size in memory.
pub const ELEMENT_COST: u64 = std::mem::size_of::<Reply>() as u64;

/// A reply found larger than the limit while its frame was read (the wire reports it as
/// [`super::wire::WireError::TooLarge`]).
#[derive(Debug)]
pub(super) struct TooLarge {
    pub limit: u64,
    pub what: String,
}

/// Where a partly received reply ends, found as its bytes arrive: resumes where the last
/// call stopped, and checks the size limit on every header and on the bytes so far. It
/// checks framing only; the decoder checks the rest once the reply is whole.
#[derive(Debug, Default)]
pub(super) struct Frame {
    /// Where the next element's header starts, from the reply's first byte.
    at: usize,
    /// Elements still to come in each open aggregate, innermost last.
    open: Vec<u64>,
    /// Elements whose header has been read.
    elements: u64,
    /// How far the current line has been searched for its end.
    searched: usize,
}

impl Frame {
    /// The reply's length once `reply` holds all of it; `None` while it does not.
    pub(super) fn advance(&mut self, reply: &[u8], limit: u64) -> Result<Option<usize>, TooLarge> {
        loop {
            let rest = &reply[self.at..];
            // A line may arrive over many reads: search only what is new.
            let from = self.searched.max(self.at) - self.at;
            let Some(line_len) = rest[from..].iter().position(|&b| b == b'\r') else {
                self.searched = reply.len();
                return self.partial(reply.len(), limit);
            };
            let line_len = from + line_len;
            let Some(&after) = rest.get(line_len + 1) else {
                self.searched = self.at + line_len;
                return self.partial(reply.len(), limit);
            };
            if after != b'\n' {
                // Not RESP: the decoder says where and why.
                return Ok(Some(reply.len()));
            }
            let kind = rest[0];
            let head = &rest[1..line_len];
            let body = self.at + line_len + 2;
            let elements = self.elements + 1;
            let length = || {
                std::str::from_utf8(head)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
            };
            let size_so_far = body as u64 + elements.saturating_mul(ELEMENT_COST);
            match kind {
                b'$' | b'!' | b'=' => match length() {
                    Some(n) if n >= 0 => {
                        let total = size_so_far.saturating_add((n as u64).saturating_add(2));
                        if total > limit {
                            return Err(TooLarge {
                                limit,
                                what: format!("a bulk string of {n} bytes"),
                            });
                        }
                        let end = body + n as usize + 2;
                        if reply.len() < end {
                            return self.partial(reply.len(), limit);
                        }
                        self.at = end;
                    }
                    Some(-1) => self.at = body,
                    _ => return Ok(Some(reply.len())),
                },
                b'*' | b'~' | b'>' | b'%' | b'|' => match length() {
                    Some(n) if n >= 0 => {
                        let n = n as u64;
                        let count = match kind {
                            b'%' => n.saturating_mul(2),
                            // An attribute's pairs, then the reply it decorates.
                            b'|' => n.saturating_mul(2).saturating_add(1),
                            _ => n,
                        };
                        let least = count.saturating_mul(MIN_ELEMENT_BYTES + ELEMENT_COST);
                        if size_so_far.saturating_add(least) > limit {
                            return Err(TooLarge {
                                limit,
                                what: format!("an aggregate of {n} elements"),
                            });
                        }
                        self.elements = elements;
                        self.at = body;
                        if count > 0 {
                            self.open.push(count);
                            continue;
                        }
                        if self.finish_one() {
                            return Ok(Some(self.at));
                        }
                        continue;
                    }
                    Some(-1) => self.at = body,
                    _ => return Ok(Some(reply.len())),
                },
                _ => self.at = body,
            }
            self.elements = elements;
            if self.finish_one() {
                return Ok(Some(self.at));
            }
        }
    }

    /// Counts a complete element against the open aggregates; true when the reply is done.
    fn finish_one(&mut self) -> bool {
        while let Some(left) = self.open.last_mut() {
            *left -= 1;
            if *left > 0 {
                return false;
            }
            self.open.pop();
        }
        true
    }

    fn partial(&self, received: usize, limit: u64) -> Result<Option<usize>, TooLarge> {
        let size = (received as u64).saturating_add(self.elements.saturating_mul(ELEMENT_COST));
        if size > limit {
            return Err(TooLarge {
                limit,
                what: format!("{received} bytes received and not complete"),
            });
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::wire::WireError;
    use crate::targets::wire::DEFAULT_MAX_REPLY;
    use reference_engine::{Protocol, Reply};

    fn framed(bytes: &[u8], step: usize, limit: u64) -> Result<Option<usize>, WireError> {
        let mut frame = Frame::default();
        let mut have = 0;
        loop {
            have = (have + step).min(bytes.len());
            if let Some(len) = frame.advance(&bytes[..have], limit)? {
                return Ok(Some(len));
            }
            if have == bytes.len() {
                return Ok(None);
            }
        }
    }

    #[test]
    fn frames_end_where_the_decoder_ends() {
        let replies = [
            Reply::Array(vec![
                Reply::Map(vec![(Reply::bulk("a\r\nb"), Reply::Double(-0.25))]),
                Reply::Set(vec![Reply::Integer(i64::MIN), Reply::Boolean(false)]),
                Reply::Array(vec![]),
                Reply::Error("ERR x".into()),
                Reply::Null,
                Reply::NullArray,
                Reply::Verbatim {
                    format: "txt".into(),
                    text: b"x".to_vec(),
                },
            ]),
            Reply::bulk(""),
            Reply::Integer(3),
        ];
        for reply in &replies {
            for protocol in [Protocol::Resp2, Protocol::Resp3] {
                let mut bytes = reply.to_bytes(protocol);
                let len = bytes.len();
                bytes.extend_from_slice(b":7\r\n");
                for step in [1, 2, 3, 7, 1000] {
                    let got = framed(&bytes, step, DEFAULT_MAX_REPLY).unwrap();
                    assert_eq!(got, Some(len), "{reply:?} {protocol:?} step {step}");
                }
            }
        }
        // An attribute frames with the reply it decorates.
        assert_eq!(
            framed(b"|1\r\n+a\r\n+b\r\n:3\r\n", 1, 1 << 20).unwrap(),
            Some(16)
        );
    }

    #[test]
    fn declared_lengths_over_the_limit_are_refused_before_their_data() {
        let limit = 1 << 20;
        for (bytes, what) in [
            (
                &b"$9223372036854775807\r\n"[..],
                "a bulk string of 9223372036854775807",
            ),
            (
                b"*9223372036854775807\r\n",
                "an aggregate of 9223372036854775807",
            ),
            (
                b"%4611686018427387904\r\n",
                "an aggregate of 4611686018427387904",
            ),
            (b"*2\r\n$1048576\r\n", "a bulk string of 1048576"),
            (b"*30000\r\n", "an aggregate of 30000"),
        ] {
            match framed(bytes, 1, limit) {
                Err(WireError::TooLarge { what: w, .. }) => assert!(w.starts_with(what), "{w}"),
                other => panic!("{other:?}"),
            }
        }
        // Just under: waits for the data.
        assert_eq!(framed(b"$1000000\r\n", 1, limit).unwrap(), None);
    }

    #[test]
    fn growing_replies_are_refused_at_the_limit() {
        let limit = 1000;
        let mut endless = b"*10\r\n".to_vec();
        endless.extend(format!("+{}\r\n", "a".repeat(200)).as_bytes().repeat(10));
        match framed(&endless, 64, limit) {
            Err(WireError::TooLarge { what, .. }) => assert!(what.contains("received"), "{what}"),
            other => panic!("{other:?}"),
        }
        let mut line = b"+".to_vec();
        line.extend(vec![b'a'; 2000]);
        assert!(matches!(
            framed(&line, 100, limit),
            Err(WireError::TooLarge { .. })
        ));
        let nested = b"*1\r\n".repeat(1000);
        assert!(matches!(
            framed(&nested, 100, limit),
            Err(WireError::TooLarge { .. })
        ));
    }
}
