//! The monitor channel: every shim sends each state change of its container, as one JSON
//! datagram, to every socket bound in [`MONITOR_DIR`]. `lxc-monitor` and `lxc-wait` bind one
//! there, so that they see containers that start after them, even one whose whole life lasts a
//! millisecond (no one could connect to its control socket in time). Datagrams from one shim to
//! one monitor arrive in order; `seq` numbers each container's changes (1 = STARTING), so that a
//! gap shows a lost event.
use crate::state::{ExitStatus, State};
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Where monitors bind their sockets.
pub const MONITOR_DIR: &str = "/var/run/lxc/.monitor";

/// One state change of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEvent {
    /// The container.
    pub name: String,
    /// Its new state.
    pub state: State,
    /// The change's number for this run of the container: 1 is STARTING.
    pub seq: u64,
    /// When it changed, in seconds since the Unix epoch.
    pub time: f64,
    /// With STOPPED: how COMMAND ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitStatus>,
    /// The shim's pid (tells two runs of one name apart).
    pub shim_pid: i32,
}

/// Sends `event` to every monitor. A full monitor queue is waited on for up to 100 ms, then
/// that monitor misses the event (it sees the gap in `seq`); sockets nobody listens on any
/// more are removed.
pub fn broadcast(sock: &UnixDatagram, event: &StateEvent) {
    let Ok(entries) = fs::read_dir(MONITOR_DIR) else {
        return;
    };
    let Ok(bytes) = serde_json::to_vec(event) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sock") {
            continue;
        }
        let deadline = Instant::now() + Duration::from_millis(100);
        loop {
            match sock.send_to(&bytes, &path) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // Its monitor is gone without cleaning up.
                    let _ = fs::remove_file(&path);
                    break;
                }
                Err(e) => {
                    log::warn!("monitor {}: {e}", path.display());
                    break;
                }
            }
        }
    }
}

/// A monitor's socket; removed when dropped.
pub struct Monitor {
    sock: UnixDatagram,
    path: PathBuf,
}

impl Monitor {
    /// Binds a new monitor socket in [`MONITOR_DIR`].
    pub fn bind() -> io::Result<Monitor> {
        static N: AtomicU32 = AtomicU32::new(0);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(MONITOR_DIR)?;
        let path = Path::new(MONITOR_DIR).join(format!(
            "{}-{}.sock",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path)?;
        Ok(Monitor { sock, path })
    }

    /// The next event, waiting at most `timeout` (`None`: forever); `Ok(None)` on timeout.
    /// Malformed datagrams are skipped.
    pub fn recv(&self, timeout: Option<Duration>) -> io::Result<Option<StateEvent>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let wait = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    Some(left)
                }
                None => None,
            };
            self.sock.set_read_timeout(wait)?;
            match self.sock.recv(&mut buf) {
                Ok(n) => {
                    if let Ok(ev) = serde_json::from_slice(&buf[..n]) {
                        return Ok(Some(ev));
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_wire_form() {
        let ev = StateEvent {
            name: "web".into(),
            state: State::Stopped,
            seq: 4,
            time: 1.5,
            exit: Some(ExitStatus::exited(0)),
            shim_pid: 9,
        };
        assert_eq!(
            serde_json::to_string(&ev).unwrap(),
            r#"{"name":"web","state":"STOPPED","seq":4,"time":1.5,"exit":{"code":0},"shim_pid":9}"#
        );
    }
}
