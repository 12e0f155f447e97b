//! Which sockets have input: the event loop's one wait, level-triggered (a socket with
//! unread input is reported at every wait, as the loop relies on: a queued client's input
//! waits unread until its turn).
//!
//! WHY rustix's epoll, not the `polling` crate used before: polling also arms a timerfd,
//! re-arms its notifier and reads it at every wait, five system calls where one does. At
//! `redis-benchmark -P 1` (a wait every few requests) that was about one extra call per
//! request, and kept serve just under Redis's rate. Linux only, like the event loop.
//!
//! WHY it looks again for a moment before it sleeps: at `-P 1` each client's next request
//! comes a few microseconds after its reply, and waking a thread that went to sleep costs
//! more than that (on a VM, most of all). With plain epoll and no look, serve used 8% less
//! CPU per request than with polling but answered 5% fewer requests per second; looking for
//! up to `LOOK` first put it 1-15% ahead of Redis at `-P 1`, for about Redis's CPU per
//! request (`cargo bench -p harness --bench versus`). An idle server still sleeps.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// Reports per wait at most; the rest come at the next (they are level-triggered).
const BATCH: usize = 256;
/// How long a wait without a timeout looks for ready sockets before it sleeps.
const LOOK: Duration = Duration::from_micros(20);

pub(super) struct Readiness {
    epoll: std::os::fd::OwnedFd,
    events: Vec<rustix::event::epoll::Event>,
}

impl Readiness {
    pub(super) fn new() -> io::Result<Self> {
        use rustix::event::epoll;
        Ok(Self {
            epoll: epoll::create(epoll::CreateFlags::CLOEXEC)?,
            events: Vec::with_capacity(BATCH),
        })
    }

    /// Reports `source` under `token` whenever it has input or has hung up.
    pub(super) fn watch(&self, source: impl AsFd, token: usize) -> io::Result<()> {
        use rustix::event::epoll;
        let data = epoll::EventData::new_u64(token as u64);
        Ok(epoll::add(
            &self.epoll,
            source,
            data,
            epoll::EventFlags::IN,
        )?)
    }

    /// Stops reporting `source`; it must be called before `source` is closed.
    pub(super) fn forget(&self, source: impl AsFd) {
        // It fails only for a socket that is not watched, which is what is wanted.
        let _ = rustix::event::epoll::delete(&self.epoll, source);
    }

    /// Waits until a watched socket is ready (or `timeout` passes), and puts the tokens of
    /// those that are into `ready`. A signal's interruption is an empty wait. Without a
    /// timeout, it looks for `LOOK` before it sleeps (see the module's docs).
    pub(super) fn wait(
        &mut self,
        ready: &mut Vec<usize>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        if timeout.is_none() {
            let until = Instant::now() + LOOK;
            loop {
                self.wait_once(ready, Some(Duration::ZERO))?;
                if !ready.is_empty() || Instant::now() >= until {
                    break;
                }
            }
            if !ready.is_empty() {
                return Ok(());
            }
        }
        self.wait_once(ready, timeout)
    }

    fn wait_once(&mut self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        let timeout = timeout.map(|t| rustix::event::Timespec {
            tv_sec: t.as_secs() as i64,
            tv_nsec: i64::from(t.subsec_nanos()),
        });
        self.events.clear();
        let buffer = rustix::buffer::spare_capacity(&mut self.events);
        match rustix::event::epoll::wait(&self.epoll, buffer, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        ready.extend(self.events.iter().map(|e| e.data.u64() as usize));
        Ok(())
    }
}
