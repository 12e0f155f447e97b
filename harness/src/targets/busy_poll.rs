//! Waiting for a reply by asking the socket again for a short while before sleeping in the
//! kernel: what a fuzz lane does between sending a batch and reading its replies.
//!
//! WHY: on a loopback server a batch's replies come back within tens of microseconds, and a
//! lane that sleeps in `read` meanwhile lets its core go idle; waking it (and the core) again
//! costs about as much. With the fuzzer on one core and Redis 8.2.3 on the other, two lanes
//! left that core idle 18% of the time, and the run compared 440,000-460,000 commands a
//! second; polling for up to 200 us first, yielding to the other lanes between tries, took it
//! to 515,000-530,000 (`cargo bench -p harness --bench fuzz`, the pinned rows).
//!
//! The budget adapts to how often polling pays: each reply that came while polling scores a
//! point and each that did not loses one (between 0 and [`SCORE`]); with no point left a
//! lane polls only [`MIN`] before it sleeps. So against a remote server, whose replies take
//! longer than any budget, a lane soon stops spending its core on polling, and an
//! occasional slow batch on a local one (another lane's large reply) does not stop it.
//! (Halving the budget at each miss instead let two lanes' budgets collapse now and then,
//! and the rate with them.)

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::net::RecvFlags;

/// The longest a lane polls before it sleeps.
pub const MAX: Duration = Duration::from_micros(200);
/// The shortest: every wait still looks this long, to notice a server that became fast.
pub const MIN: Duration = Duration::from_micros(10);

/// The most points a connection keeps: how many replies in a row may miss the budget before
/// polling stops paying.
pub const SCORE: u8 = 8;

/// One connection's polling budget.
#[derive(Debug, Clone, Copy)]
pub struct BusyPoll {
    score: u8,
}

impl Default for BusyPoll {
    fn default() -> Self {
        Self { score: SCORE }
    }
}

impl BusyPoll {
    /// Reads what `socket` has into `buf` if something arrives within the budget
    /// (`Some(0)`: the server closed the connection); `None` when the budget ran out and
    /// the caller should wait in a blocking read.
    pub fn read(&mut self, socket: &TcpStream, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let start = Instant::now();
        let budget = self.budget();
        loop {
            match rustix::net::recv(socket, &mut *buf, RecvFlags::DONTWAIT) {
                Ok((n, _)) => {
                    self.score = (self.score + 1).min(SCORE);
                    return Ok(Some(n));
                }
                Err(Errno::AGAIN | Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            if start.elapsed() >= budget {
                self.score = self.score.saturating_sub(1);
                return Ok(None);
            }
            // Another lane on this core may have replies to work on.
            std::thread::yield_now();
        }
    }

    /// How long the next wait polls.
    pub fn budget(&self) -> Duration {
        if self.score > 0 {
            MAX
        } else {
            MIN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn polling_stops_after_replies_come_late_and_resumes_when_one_comes_while_polling() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let mut poll = BusyPoll::default();
        let mut buf = [0u8; 16];
        for _ in 0..SCORE {
            assert_eq!(poll.budget(), MAX);
            assert_eq!(poll.read(&client, &mut buf).unwrap(), None);
        }
        assert_eq!(poll.budget(), MIN);
        server.write_all(b"+OK\r\n").unwrap();
        // Loopback delivers within any budget once written; poll until it shows.
        let mut got = None;
        for _ in 0..1_000 {
            got = poll.read(&client, &mut buf).unwrap();
            if got.is_some() {
                break;
            }
        }
        assert_eq!(got, Some(5));
        assert_eq!(&buf[..5], b"+OK\r\n");
        assert_eq!(poll.budget(), MAX);
        drop(server);
        let mut closed = None;
        for _ in 0..1_000 {
            closed = poll.read(&client, &mut buf).unwrap();
            if closed.is_some() {
                break;
            }
        }
        assert_eq!(closed, Some(0), "a closed connection reads as 0 bytes");
    }
}
