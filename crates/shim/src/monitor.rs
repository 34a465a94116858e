//! Sending state changes on the monitor channel: one datagram per change to every socket bound
//! in the run root's monitor directory. Nothing here ever waits: a monitor whose queue is full
//! gets the event later, in order, from a timer, and misses it once its queue stayed full for
//! [`MAX_HOLD`] (it sees the gap in `seq`, as docs/protocol.md says); a socket nobody listens on
//! any more is removed.
use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long events are held for a monitor whose queue is full.
pub const MAX_HOLD: Duration = Duration::from_millis(100);
/// The most events held for one monitor.
const MAX_HELD: usize = 64;
/// How soon held events are tried again.
pub const RETRY: Duration = Duration::from_millis(5);

/// Events not delivered yet to one monitor.
struct Held {
    since: Instant,
    events: VecDeque<Vec<u8>>,
}

/// The sending side.
pub struct MonitorSender {
    sock: Option<UnixDatagram>,
    dir: PathBuf,
    held: HashMap<PathBuf, Held>,
}

impl MonitorSender {
    /// A sender to the monitors bound in `dir`.
    pub fn new(dir: PathBuf) -> MonitorSender {
        let sock = UnixDatagram::unbound()
            .and_then(|s| s.set_nonblocking(true).map(|_| s))
            .ok();
        MonitorSender {
            sock,
            dir,
            held: HashMap::new(),
        }
    }

    /// Sends `event` to every monitor; true when some are held for a retry.
    pub fn broadcast<T: serde::Serialize>(&mut self, event: &T) -> bool {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return !self.held.is_empty();
        };
        let Ok(bytes) = serde_json::to_vec(event) else {
            return !self.held.is_empty();
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("sock") {
                continue;
            }
            if let Some(held) = self.held.get_mut(&path) {
                // Behind ones already waiting: order is kept.
                if held.events.len() < MAX_HELD {
                    held.events.push_back(bytes.clone());
                }
                continue;
            }
            match self.send(&bytes, &path) {
                Sent::Done => {}
                Sent::Full => {
                    self.held.insert(
                        path,
                        Held {
                            since: Instant::now(),
                            events: VecDeque::from([bytes.clone()]),
                        },
                    );
                }
            }
        }
        !self.held.is_empty()
    }

    /// Tries the held events again; true while some are still held.
    pub fn retry(&mut self) -> bool {
        let now = Instant::now();
        let mut held = std::mem::take(&mut self.held);
        held.retain(|path, h| {
            while let Some(bytes) = h.events.front() {
                match self.send(bytes, path) {
                    Sent::Done => {
                        h.events.pop_front();
                        h.since = now;
                    }
                    Sent::Full => break,
                }
            }
            if h.events.is_empty() {
                return false;
            }
            if now.duration_since(h.since) >= MAX_HOLD {
                log::warn!(
                    "monitor {}: queue full for {} ms, {} state change(s) dropped",
                    path.display(),
                    MAX_HOLD.as_millis(),
                    h.events.len()
                );
                return false;
            }
            true
        });
        self.held = held;
        !self.held.is_empty()
    }

    fn send(&self, bytes: &[u8], path: &PathBuf) -> Sent {
        let Some(sock) = &self.sock else {
            return Sent::Done;
        };
        match sock.send_to(bytes, path) {
            Ok(_) => Sent::Done,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Sent::Full,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                // Its monitor is gone without cleaning up.
                let _ = fs::remove_file(path);
                Sent::Done
            }
            Err(e) => {
                log::warn!("monitor {}: {}", path.display(), lxc_proto::strerror(&e));
                Sent::Done
            }
        }
    }
}

enum Sent {
    Done,
    Full,
}
