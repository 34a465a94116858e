//! The listening side of the monitor channel (`lxc-monitor`, `lxc-wait`): a datagram socket
//! bound in the run root's monitor directory, removed when dropped.
use lxc_proto::monitor::StateEvent;
use lxc_proto::paths::RunRoot;
use std::fs::{self, DirBuilder};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A monitor's socket.
pub struct Monitor {
    sock: UnixDatagram,
    path: PathBuf,
    root: RunRoot,
}

impl Monitor {
    /// Binds a new monitor socket.
    pub fn bind(root: &RunRoot) -> io::Result<Monitor> {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = root.monitor_dir();
        let path = dir.join(format!(
            "{}-{}.sock",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        // Another lxcpath's run root may go with its last user meanwhile: make it again.
        let mut tries = 0;
        let sock = loop {
            DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
            let _ = fs::remove_file(&path);
            match UnixDatagram::bind(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && tries < 100 => tries += 1,
                other => break other?,
            }
        };
        Ok(Monitor {
            sock,
            path,
            root: root.clone(),
        })
    }

    /// The socket, for polling it together with something else.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
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
        self.root.remove_if_empty();
    }
}
