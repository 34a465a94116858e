//! One client attached to a terminal the shim holds (lxc-console, lxc-execute or lxc-attach at
//! a terminal): the stream the terminal's output goes to, what waits to be written there, and
//! the client's own terminal with the mode it had, put back by the shim if the client goes
//! without saying it did so itself (a `kill -9`). One byte from the client says it did.
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use nix::sys::termios::{tcsetattr, SetArg, Termios};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

/// Output a viewer may have waiting before the terminal's output is paused for it.
pub const BACKLOG: usize = 64 << 10;

pub struct Viewer {
    pub token: Token,
    sock: UnixStream,
    pending: Vec<u8>,
    want_write: bool,
    /// The client's terminal and its mode when it attached.
    restore: Option<(OwnedFd, Termios)>,
    /// Close once everything pending is written (the terminal has ended).
    closing: bool,
}

/// What reading a viewer's stream found.
pub enum ViewerRead {
    /// Still attached.
    Open,
    /// Detached (or gone).
    Closed,
}

impl Viewer {
    pub fn new(
        token: Token,
        sock: UnixStream,
        first: Vec<u8>,
        restore: Option<(OwnedFd, Termios)>,
    ) -> Viewer {
        Viewer {
            token,
            sock,
            pending: first,
            want_write: false,
            restore,
            closing: false,
        }
    }

    pub fn register(&mut self, registry: &Registry) -> io::Result<()> {
        registry.register(&mut self.sock, self.token, Interest::READABLE)
    }

    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.sock);
    }

    pub fn backlog(&self) -> usize {
        self.pending.len()
    }

    /// Queues output.
    pub fn push(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
    }

    /// The terminal has ended: close once the output is written.
    pub fn close_when_flushed(&mut self) {
        self.closing = true;
    }

    /// Reads what the client sent: any byte means its terminal is restored; end of stream
    /// means it detached.
    pub fn read(&mut self) -> ViewerRead {
        let mut buf = [0u8; 64];
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => return ViewerRead::Closed,
                Ok(_) => self.restore = None,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ViewerRead::Open,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ViewerRead::Closed,
            }
        }
    }

    /// Writes what the stream takes; false when the viewer is finished (gone, or closing with
    /// nothing left).
    pub fn flush(&mut self, registry: &Registry) -> bool {
        while !self.pending.is_empty() {
            match self.sock.write(&self.pending) {
                Ok(0) => return false,
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if self.pending.is_empty() && self.pending.capacity() > BACKLOG {
            self.pending = Vec::new();
        }
        if self.closing && self.pending.is_empty() {
            return false;
        }
        let want = !self.pending.is_empty();
        if want != self.want_write {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if registry
                .reregister(&mut self.sock, self.token, interest)
                .is_err()
            {
                return false;
            }
            self.want_write = want;
        }
        true
    }
}

impl Drop for Viewer {
    /// A client that did not say it restored its terminal gets it restored here.
    fn drop(&mut self) {
        if let Some((fd, mode)) = self.restore.take() {
            if let Err(e) = tcsetattr(&fd, SetArg::TCSANOW, &mode) {
                log::warn!("restore a client's terminal: {}", e.desc());
            }
        }
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
}
