//! The control socket's clients: accepting (root or the shim's own uid only), reading, queueing
//! answers and notifications, and dropping. Memory and descriptors are bounded for the whole
//! shim, not only per client: at most [`MAX_CLIENTS`] connections, [`INPUT_CEILING`] bytes of
//! unfinished request lines and [`OUTPUT_CEILING`] bytes of unread answers in all; past a
//! ceiling the client holding the most is dropped, so that a flood from some clients never
//! stalls or starves the others.
use crate::conn::{Conn, ReadOutcome};
use crate::sources::{Source, Sources};
use lxc_proto::framing::{ErrorCode, Response, RpcError};
use mio::net::UnixListener;
use mio::{Interest, Registry, Token};
use nix::sys::socket::{getsockopt, sockopt};
use serde_json::Value;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::time::Instant;

/// Connections served at once; more are accepted and closed at once.
pub const MAX_CLIENTS: usize = 1024;
/// Connections accepted per round of the loop: the ones accepted are read (and the ones gone
/// dropped) before more are taken from the backlog.
const ACCEPT_BATCH: usize = 64;
/// Bytes of unfinished request lines held for all clients together.
pub const INPUT_CEILING: usize = 16 << 20;
/// Bytes of answers and notifications waiting for all clients together.
pub const OUTPUT_CEILING: usize = 32 << 20;

/// Every client.
pub struct Clients {
    conns: HashMap<Token, Conn>,
    /// Besides root, the uid allowed to connect (the shim's own).
    uid: u32,
    /// A descriptor kept in reserve: when the shim runs out, it is closed so that a waiting
    /// client can be accepted and closed rather than left hanging in the backlog.
    spare: Option<File>,
    warned: bool,
    /// Clients dropped since the loop last asked: what they had parked must go too.
    dropped: Vec<Token>,
}

impl Clients {
    pub fn new(uid: u32) -> Clients {
        Clients {
            conns: HashMap::new(),
            uid,
            spare: File::open("/dev/null").ok(),
            warned: false,
            dropped: Vec::new(),
        }
    }

    pub fn get_mut(&mut self, token: Token) -> Option<&mut Conn> {
        self.conns.get_mut(&token)
    }

    /// Accepts pending connections, at most a batch; true when more may be waiting (the loop
    /// comes back once it has read these).
    pub fn accept(
        &mut self,
        listener: &UnixListener,
        registry: &Registry,
        sources: &mut Sources,
    ) -> bool {
        for _ in 0..ACCEPT_BATCH {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let allowed = getsockopt(&stream, sockopt::PeerCredentials)
                        .map(|c| c.uid() == 0 || c.uid() == self.uid)
                        .unwrap_or(false);
                    if !allowed {
                        log::warn!("refused a client that is neither root nor uid {}", self.uid);
                        continue;
                    }
                    if self.conns.len() >= MAX_CLIENTS && !self.sweep_gone(registry, sources) {
                        self.warn_once(&format!("more than {MAX_CLIENTS} clients"));
                        continue;
                    }
                    let token = sources.add(Source::Client);
                    if registry
                        .register(&mut stream, token, Interest::READABLE)
                        .is_ok()
                    {
                        self.conns.insert(token, Conn::new(stream));
                    } else {
                        sources.remove(token);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // Out of descriptors: shed the client at the head of the backlog (it sees
                    // the connection closed) instead of leaving it to hang there.
                    self.warn_once("out of file descriptors");
                    self.spare = None;
                    let shed = listener.accept();
                    drop(shed);
                    self.spare = File::open("/dev/null").ok();
                    if self.spare.is_none() {
                        return false;
                    }
                }
                Err(e) => {
                    log::warn!("accept: {}", lxc_proto::strerror(&e));
                    return false;
                }
            }
        }
        true
    }

    /// At the limit: drops the clients that have closed meanwhile (their close not read yet).
    /// True when room was made.
    fn sweep_gone(&mut self, registry: &Registry, sources: &mut Sources) -> bool {
        let gone: Vec<Token> = self
            .conns
            .iter_mut()
            .filter_map(|(t, c)| c.check_gone().then_some(*t))
            .collect();
        for token in &gone {
            self.drop_conn(*token, registry, sources);
        }
        !gone.is_empty()
    }

    fn warn_once(&mut self, why: &str) {
        if !self.warned {
            log::warn!("{why}: refusing clients");
            self.warned = true;
        }
    }

    /// Reads a client, holding the shim's input within its ceiling.
    pub fn read(
        &mut self,
        token: Token,
        registry: &Registry,
        sources: &mut Sources,
    ) -> ReadOutcome {
        let Some(conn) = self.conns.get_mut(&token) else {
            return ReadOutcome::Closed;
        };
        let outcome = conn.read();
        while self.conns.values().map(Conn::in_cost).sum::<usize>() > INPUT_CEILING {
            let Some(big) = self.largest(Conn::in_cost) else {
                break;
            };
            log::warn!("dropping a client: the shim's input buffers are full");
            let line = Response::error(
                Value::Null,
                RpcError::new(
                    ErrorCode::InvalidRequest,
                    "invalid request: the shim's input buffers are full",
                ),
            )
            .to_line();
            if let Some(c) = self.conns.get_mut(&big) {
                c.send(&line);
                c.flush_until(Instant::now());
            }
            self.drop_conn(big, registry, sources);
            if big == token {
                return ReadOutcome::Closed;
            }
        }
        outcome
    }

    fn largest(&self, cost: fn(&Conn) -> usize) -> Option<Token> {
        self.conns
            .iter()
            .max_by_key(|(_, c)| cost(c))
            .map(|(t, _)| *t)
    }

    /// Queues `line` for a client and writes what the socket takes; the client is dropped when
    /// it is too far behind or gone. False when it was dropped.
    pub fn send(
        &mut self,
        token: Token,
        line: &[u8],
        registry: &Registry,
        sources: &mut Sources,
    ) -> bool {
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        if !conn.send(line) || !conn.flush(registry, token) {
            if conn.out_len() > crate::conn::MAX_PENDING_OUT {
                log::warn!("dropping a client that does not read its answers");
            }
            self.drop_conn(token, registry, sources);
            return false;
        }
        self.hold_output(registry, sources);
        self.conns.contains_key(&token)
    }

    /// Like `send`, with descriptors that go along with the line's first byte.
    pub fn send_with_fds(
        &mut self,
        token: Token,
        line: &[u8],
        fds: Vec<std::os::fd::OwnedFd>,
        registry: &Registry,
        sources: &mut Sources,
    ) -> bool {
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        if !conn.send_with_fds(line, fds) || !conn.flush(registry, token) {
            self.drop_conn(token, registry, sources);
            return false;
        }
        self.hold_output(registry, sources);
        self.conns.contains_key(&token)
    }

    fn hold_output(&mut self, registry: &Registry, sources: &mut Sources) {
        while self.conns.values().map(Conn::out_len).sum::<usize>() > OUTPUT_CEILING {
            let Some(big) = self.largest(Conn::out_len) else {
                break;
            };
            log::warn!("dropping the client furthest behind: the shim's output buffers are full");
            self.drop_conn(big, registry, sources);
        }
    }

    /// Answers a parked request (the client may have gone meanwhile).
    pub fn answer(
        &mut self,
        token: Token,
        line: &[u8],
        registry: &Registry,
        sources: &mut Sources,
    ) {
        if let Some(conn) = self.conns.get_mut(&token) {
            conn.unpark();
            self.send(token, line, registry, sources);
        }
    }

    /// Sends a notification to every subscriber.
    pub fn notify(&mut self, line: &[u8], registry: &Registry, sources: &mut Sources) {
        let subscribers: Vec<Token> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is_subscribed())
            .map(|(t, _)| *t)
            .collect();
        for token in subscribers {
            self.send(token, line, registry, sources);
        }
    }

    /// Flushes a client; drops it when it is finished.
    pub fn flush(&mut self, token: Token, registry: &Registry, sources: &mut Sources) {
        if let Some(conn) = self.conns.get_mut(&token) {
            if !conn.flush(registry, token) {
                self.drop_conn(token, registry, sources);
            }
        }
    }

    pub fn drop_conn(&mut self, token: Token, registry: &Registry, sources: &mut Sources) {
        if let Some(mut c) = self.conns.remove(&token) {
            let _ = registry.deregister(c.stream());
            self.dropped.push(token);
        }
        sources.remove(token);
    }

    /// The clients dropped since the last call.
    pub fn take_dropped(&mut self) -> Vec<Token> {
        std::mem::take(&mut self.dropped)
    }

    /// Last chance before the shim exits: write what is queued, until `deadline`.
    pub fn flush_all_until(&mut self, deadline: Instant) {
        for conn in self.conns.values_mut() {
            conn.flush_until(deadline);
        }
    }
}
