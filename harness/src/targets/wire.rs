//! The one way hashcheck reads a server: commands pipelined as raw RESP, replies read with
//! a size limit and a deadline, for `run`, `matrix` and `fuzz` alike.
//!
//! The server is not trusted. Socket timeouts bound each read, not a reply, so a server that
//! sends a byte a second would never time out; and a reply may declare any length. Here:
//! - every batch has one deadline, from sending its first command to the last byte of its
//!   last reply (each socket read and write waits at most for what is left of it);
//! - every reply has a size limit: its bytes plus [`ELEMENT_COST`] for each element (what an
//!   element takes in memory once read, so a reply of a billion `_\r\n` counts as the
//!   memory it would take). A bulk or aggregate header that declares more than fits is
//!   refused as soon as it is read, before any of its data; a reply that keeps growing is
//!   refused once its bytes reach the limit.
//!
//! Complete replies are decoded with the engine's own decoder (`resp::decode_reply`), whose
//! output is what the engine's replies are compared in. A reply that is not complete after
//! one read is followed by a [`Frame`] scanner (`frame.rs`), which resumes where it stopped, checks the
//! limit as bytes arrive, and hands the reply to the decoder once whole, so a large reply
//! is parsed once rather than again after every read.

use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use reference_engine::resp::{decode_reply, encode_request_into, ReplyError};
use reference_engine::Reply;

use super::busy_poll::BusyPoll;
pub use super::frame::ELEMENT_COST;
use super::frame::{Frame, TooLarge, MIN_ELEMENT_BYTES};
use super::tls::TlsStream;

/// The default reply size limit: Redis's own `proto-max-bulk-len` (512 MB).
pub const DEFAULT_MAX_REPLY: u64 = 512 * 1024 * 1024;

/// How much one socket read may bring.
const CHUNK: usize = 1 << 16;

/// A socket timeout is lowered to what is left of a deadline only when it would overshoot by
/// more than this: a batch that is answered at once then costs no `setsockopt`.
const SLACK: Duration = Duration::from_millis(10);

/// Why a conversation failed.
#[derive(Debug)]
pub enum WireError {
    /// The server closed the connection.
    Closed,
    /// The batch's deadline passed; `received` bytes of the pending reply had arrived.
    /// `flag` is the option that set the time.
    Timeout {
        within: Duration,
        received: usize,
        flag: &'static str,
    },
    /// A reply is larger than the limit.
    TooLarge { limit: u64, what: String },
    /// The bytes are not RESP.
    Malformed(ReplyError),
    /// Any other socket or TLS error.
    Io(io::Error),
}

impl From<TooLarge> for WireError {
    fn from(e: TooLarge) -> Self {
        WireError::TooLarge {
            limit: e.limit,
            what: e.what,
        }
    }
}

impl WireError {
    /// Whether the failure is the transport's (closed, timed out, I/O), not the bytes'.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            WireError::Closed | WireError::Timeout { .. } | WireError::Io(_)
        )
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Closed => write!(f, "the server closed the connection"),
            WireError::Timeout {
                within,
                received: 0,
                flag,
            } => write!(f, "no reply within {within:?} ({flag})"),
            WireError::Timeout {
                within,
                received,
                flag,
            } => write!(
                f,
                "reply not complete within {within:?} ({flag}): {received} bytes of it received"
            ),
            WireError::TooLarge { limit, what } => write!(
                f,
                "reply too large: {what}, over the limit of {} (--max-reply)",
                size_text(*limit)
            ),
            WireError::Malformed(e) => write!(f, "the reply is not valid RESP ({e})"),
            WireError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// `512 MB`, `1.5 KB`, `17 bytes`.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let n = bytes as f64 / unit as f64;
            return if n.fract() == 0.0 {
                format!("{n:.0} {name}")
            } else {
                format!("{n:.1} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// A connection: TCP, TLS over TCP, or a Unix socket.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Stream {
    fn set_read_timeout(&self, t: Duration) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.set_read_timeout(Some(t)),
            Stream::Tls(s) => s.socket().set_read_timeout(Some(t)),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_read_timeout(Some(t)),
        }
    }

    fn set_write_timeout(&self, t: Duration) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.set_write_timeout(Some(t)),
            Stream::Tls(s) => s.socket().set_write_timeout(Some(t)),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_write_timeout(Some(t)),
        }
    }

    /// At most one socket read. `Interrupted` when TLS needs more bytes before it has any
    /// plaintext to give.
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => t.read_some(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }

    /// At most one socket write; how much of `buf` was taken.
    fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write_some(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    /// Bytes taken but not yet on the socket (TLS records).
    fn pending_write(&self) -> bool {
        match self {
            Stream::Tls(t) => t.pending_write(),
            _ => false,
        }
    }
}

/// A connection that sends batches of commands and reads their replies, bounded.
pub struct Wire {
    stream: Stream,
    /// Received bytes; unread replies start at `pos`. Kept between batches.
    input: Vec<u8>,
    pos: usize,
    /// Where each read lands: kept, since zeroing 64 KB for every batch cost more than
    /// decoding its replies.
    chunk: Box<[u8]>,
    out: Vec<u8>,
    max_reply: u64,
    /// The socket's timeouts as last set (`None`: unknown, set before the next call).
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// How many commands of the last batch were answered: after a failure, which one the
    /// server left without a reply.
    answered: usize,
    /// Poll the socket for a while before sleeping in a read (plain TCP only).
    busy_poll: Option<BusyPoll>,
}

impl Wire {
    pub fn new(stream: Stream, max_reply: u64) -> Self {
        Self {
            stream,
            input: Vec::with_capacity(CHUNK),
            pos: 0,
            chunk: vec![0; CHUNK].into_boxed_slice(),
            out: Vec::with_capacity(CHUNK),
            max_reply,
            read_timeout: None,
            write_timeout: None,
            answered: 0,
            busy_poll: None,
        }
    }

    /// Whether to poll the socket for a reply before sleeping (see `busy_poll.rs`).
    pub fn set_busy_poll(&mut self, on: bool) {
        self.busy_poll = on.then(BusyPoll::default);
    }

    /// Sends `batch` and reads one reply for each command, all by `deadline`.
    pub fn exchange(
        &mut self,
        batch: &[Vec<Vec<u8>>],
        deadline: &Deadline,
    ) -> Result<Vec<Reply>, WireError> {
        self.out.clear();
        self.answered = 0;
        for argv in batch {
            encode_request_into(&mut self.out, argv);
        }
        self.send(deadline)?;
        self.read_replies(batch.len(), deadline)
    }

    fn send(&mut self, deadline: &Deadline) -> Result<(), WireError> {
        let mut sent = 0;
        while sent < self.out.len() || self.stream.pending_write() {
            let remaining = deadline.remaining(0)?;
            if self.write_timeout.is_none_or(|t| t > remaining + SLACK) {
                self.stream
                    .set_write_timeout(remaining)
                    .map_err(WireError::Io)?;
                self.write_timeout = Some(remaining);
            }
            match self.stream.write_some(&self.out[sent..]) {
                Ok(n) => sent += n,
                Err(e) if is_timeout(&e) => self.write_timeout = None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WireError::Io(e)),
            }
        }
        Ok(())
    }

    fn read_replies(&mut self, n: usize, deadline: &Deadline) -> Result<Vec<Reply>, WireError> {
        let mut replies = Vec::with_capacity(n);
        let mut frame: Option<Frame> = None;
        while replies.len() < n {
            let rest = &self.input[self.pos..];
            if frame.is_none() && fits_whatever_it_holds(rest.len(), self.max_reply) {
                // The common case: the reply is all here, and no reply this short can break
                // the limit.
                match decode_reply(rest).map_err(WireError::Malformed)? {
                    Some((reply, used)) => {
                        self.take(reply, used, rest[0], &mut replies);
                        continue;
                    }
                    None => frame = Some(Frame::default()),
                }
            }
            let f = frame.get_or_insert_with(Frame::default);
            if let Some(len) = f.advance(rest, self.max_reply)? {
                match decode_reply(&rest[..len]).map_err(WireError::Malformed)? {
                    Some((reply, used)) => {
                        self.take(reply, used, rest[0], &mut replies);
                        frame = None;
                        continue;
                    }
                    None => {
                        return Err(WireError::Malformed(ReplyError::Malformed {
                            what: "reply framing",
                            at: self.pos + len,
                        }))
                    }
                }
            }
            if self.pos > 0 {
                self.input.drain(..self.pos);
                self.pos = 0;
            }
            let pending = self.input.len();
            self.read_more(deadline, pending)?;
        }
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
            // Give back what a large reply grew the buffer to.
            if self.input.capacity() > 16 * CHUNK {
                self.input.shrink_to(CHUNK);
            }
        }
        Ok(replies)
    }

    /// Records a decoded reply, skipping pushes (`>`): they are messages the server sends on
    /// its own, not answers.
    fn take(&mut self, reply: Reply, used: usize, kind: u8, replies: &mut Vec<Reply>) {
        self.pos += used;
        if kind != b'>' {
            replies.push(reply);
            self.answered += 1;
        }
    }

    /// How many commands of the last `exchange` got their reply.
    pub fn answered(&self) -> usize {
        self.answered
    }

    fn read_more(&mut self, deadline: &Deadline, pending: usize) -> Result<(), WireError> {
        loop {
            let remaining = deadline.remaining(pending)?;
            if self.read_timeout.is_none_or(|t| t > remaining + SLACK) {
                self.stream
                    .set_read_timeout(remaining)
                    .map_err(WireError::Io)?;
                self.read_timeout = Some(remaining);
            }
            let polled = match (&self.stream, &mut self.busy_poll) {
                (Stream::Plain(socket), Some(poll)) => {
                    poll.read(socket, &mut self.chunk).transpose()
                }
                _ => None,
            };
            match polled.unwrap_or_else(|| self.stream.read_some(&mut self.chunk)) {
                Ok(0) => return Err(WireError::Closed),
                Ok(n) => {
                    // `input` holds only the pending reply: past the limit, it is too large
                    // before it is even stored, so the buffer never outgrows the limit.
                    let (len, capacity) = (self.input.len(), self.input.capacity());
                    if (len + n) as u64 > self.max_reply {
                        return Err(WireError::TooLarge {
                            limit: self.max_reply,
                            what: format!("{} bytes received and not complete", len + n),
                        });
                    }
                    if capacity - len < n {
                        let grown = (capacity * 2).min(self.max_reply as usize);
                        self.input.reserve_exact(grown.max(len + n) - len);
                    }
                    self.input.extend_from_slice(&self.chunk[..n]);
                    return Ok(());
                }
                // Timed out early (a timeout lowered for an earlier batch) or at the
                // deadline: the next turn of the loop tells which.
                Err(e) if is_timeout(&e) => self.read_timeout = None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(WireError::Closed)
                }
                Err(e) => return Err(WireError::Io(e)),
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Whether every reply that fits in `bytes` is within `limit`, counting each element (at
/// least [`MIN_ELEMENT_BYTES`] each) at [`ELEMENT_COST`] more.
fn fits_whatever_it_holds(bytes: usize, limit: u64) -> bool {
    let bytes = bytes as u64;
    bytes + bytes / MIN_ELEMENT_BYTES * ELEMENT_COST <= limit
}

/// The end of a batch's time.
pub struct Deadline {
    at: Instant,
    within: Duration,
    /// The option that set `within`, for the error.
    flag: &'static str,
}

impl Deadline {
    pub fn after(within: Duration, flag: &'static str) -> Self {
        Self {
            at: Instant::now() + within,
            within,
            flag,
        }
    }

    /// What is left, at least a millisecond (a zero socket timeout means none), or the
    /// timeout error once nothing is; `received` is what the pending reply has so far.
    pub fn remaining(&self, received: usize) -> Result<Duration, WireError> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WireError::Timeout {
                within: self.within,
                received,
                flag: self.flag,
            });
        }
        Ok(left.max(Duration::from_millis(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame found feeding `bytes` in pieces of `step`, as reads would bring them.
    #[test]
    fn short_buffers_skip_the_frame_only_when_nothing_in_them_can_break_the_limit() {
        assert!(fits_whatever_it_holds(CHUNK, DEFAULT_MAX_REPLY));
        assert!(!fits_whatever_it_holds(100, 1000));
        assert!(fits_whatever_it_holds(3, 3 + ELEMENT_COST));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        // `--max-reply --help` says what an element costs.
        assert_eq!(ELEMENT_COST, 48);
        assert_eq!(size_text(DEFAULT_MAX_REPLY), "512 MB");
        assert_eq!(size_text(1536), "1.5 KB");
        assert_eq!(size_text(17), "17 bytes");
    }
}
