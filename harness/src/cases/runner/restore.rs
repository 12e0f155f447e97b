//! Server settings a run changed with `--allow-debug` (CONFIG SET values, DEBUG
//! SET-ACTIVE-EXPIRE), put back at the end of the run on a fresh connection: the run's own
//! connections may be broken or stuck by then. A second Ctrl-C, which exits without waiting
//! for the cases in flight, puts them back too (see [`crate::interrupt::on_forced_exit`]).
//!
//! Before a case changes a setting, the runner records the command that undoes it: for
//! CONFIG SET, `CONFIG SET name <value read with CONFIG GET just before>`; for active expiry,
//! `DEBUG SET-ACTIVE-EXPIRE 1` (Redis's default; the switch cannot be read). The first value
//! seen wins, so a setting changed twice goes back to what the server had.

use std::sync::{Arc, Mutex};

use reference_engine::{Protocol, Reply};

use super::suite::TargetSpec;
use crate::targets::{Target, TargetError};

type Argv = Vec<Vec<u8>>;

/// The commands that undo a run's setting changes, shared by its cases and the Ctrl-C hook.
#[derive(Debug, Clone, Default)]
pub struct Restore {
    undo: Arc<Mutex<Vec<(String, Argv)>>>,
}

impl Restore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Argv)>> {
        self.undo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `undo` for the setting `key`, unless one is recorded already.
    pub fn remember(&self, key: &str, undo: Argv) {
        let mut list = self.lock();
        if !list.iter().any(|(k, _)| k == key) {
            list.push((key.to_string(), undo));
        }
    }

    pub fn knows(&self, key: &str) -> bool {
        self.lock().iter().any(|(k, _)| k == key)
    }

    /// The recorded commands, which are forgotten.
    fn take(&self) -> Vec<Argv> {
        std::mem::take(&mut *self.lock())
            .into_iter()
            .map(|(_, argv)| argv)
            .collect()
    }

    /// Before `argv` runs on `target`: records what undoes it, if it changes a setting.
    /// A CONFIG GET that fails leaves the CONFIG SET to fail the same way.
    pub fn before(&self, target: &mut dyn Target, argv: &[Vec<u8>]) -> Result<(), TargetError> {
        let word = |i: usize| {
            argv.get(i)
                .map(|w| String::from_utf8_lossy(w).to_ascii_lowercase())
        };
        match (word(0).as_deref(), word(1).as_deref()) {
            (Some("debug"), Some("set-active-expire")) => {
                self.remember("active-expire", words(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]));
            }
            (Some("config"), Some("set")) => {
                for name in argv.iter().skip(2).step_by(2) {
                    let key = format!(
                        "config {}",
                        String::from_utf8_lossy(name).to_ascii_lowercase()
                    );
                    if self.knows(&key) {
                        continue;
                    }
                    let reply =
                        target.call(&[b"CONFIG".to_vec(), b"GET".to_vec(), name.clone()])?;
                    if let Some(value) = config_value(&reply) {
                        self.remember(
                            &key,
                            vec![b"CONFIG".to_vec(), b"SET".to_vec(), name.clone(), value],
                        );
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends the recorded commands on a new connection to `spec`. Returns how many were
    /// sent, or what went wrong (naming the commands that could not be sent).
    pub fn put_back(&self, spec: &TargetSpec) -> Result<usize, String> {
        let undo = self.take();
        if undo.is_empty() {
            return Ok(0);
        }
        let shown = || {
            undo.iter()
                .map(|a| super::display_argv(a))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut target = spec
            .open(Protocol::Resp2)
            .map_err(|e| format!("{e}; not restored: {}", shown()))?;
        for argv in &undo {
            match target.call(argv) {
                // A server without the command never had the setting changed by it.
                Ok(Reply::Error(e)) if e.starts_with("ERR unknown") => {}
                Ok(Reply::Error(e)) => {
                    return Err(format!("{} replied {e}", super::display_argv(argv)))
                }
                Ok(_) => {}
                Err(e) => return Err(format!("{e}; not restored: {}", shown())),
            }
        }
        Ok(undo.len())
    }

    /// Puts the settings back if the process is made to exit by a second Ctrl-C, until the
    /// returned guard is dropped.
    pub fn on_forced_exit(&self, spec: &TargetSpec) -> crate::interrupt::Hook {
        let (restore, spec) = (self.clone(), spec.clone());
        crate::interrupt::on_forced_exit(Box::new(move || match restore.put_back(&spec) {
            Ok(0) => {}
            Ok(n) => eprintln!("hashcheck: restored {n} server settings"),
            Err(e) => eprintln!("hashcheck: could not restore the server's settings: {e}"),
        }))
    }
}

/// The value in a CONFIG GET reply for one parameter: `[name, value]` or `{name: value}`.
fn config_value(reply: &Reply) -> Option<Vec<u8>> {
    let value = match reply {
        Reply::Array(items) if items.len() == 2 => &items[1],
        Reply::Map(pairs) if pairs.len() == 1 => &pairs[0].1,
        _ => return None,
    };
    match value {
        Reply::Bulk(b) => Some(b.clone()),
        _ => None,
    }
}

fn words(list: &[&str]) -> Argv {
    list.iter().map(|w| w.as_bytes().to_vec()).collect()
}
