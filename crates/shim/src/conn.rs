//! One client of the control socket: newline-delimited JSON-RPC, non-blocking both ways, with
//! descriptors passed along (SCM_RIGHTS). A request line over 1 MiB gets an error and the
//! connection is closed; a client that stops reading is dropped once [`MAX_PENDING_OUT`] bytes
//! wait for it; a client that is gone (both directions closed) is noticed at once, even with
//! requests parked. Descriptors belong to the request whose line their message started
//! (docs/protocol.md); a request that takes none has them closed.
use lxc_proto::fdpass;
use lxc_proto::framing::{Envelope, ErrorCode, Response, RpcError, MAX_LINE};
use lxc_proto::Call;
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// Output bytes a client may leave unread before it is dropped.
pub const MAX_PENDING_OUT: usize = 1 << 20;

/// Bytes read from one client before its requests are answered.
pub const READ_BUDGET: usize = 64 << 10;

/// One request read from a client.
pub struct Request {
    /// Its id; `None` for a notification (no answer).
    pub id: Option<Value>,
    /// The typed call, or why it is not one.
    pub call: Result<Call, RpcError>,
    /// Descriptors that came with it.
    pub fds: Vec<OwnedFd>,
}

/// A line read from a client.
pub enum Line {
    Request(Request),
    /// Not a request: the error response to send back.
    Bad(Response),
}

/// What reading produced.
pub enum ReadOutcome {
    /// Complete lines (possibly none).
    Lines(Vec<Line>),
    /// The peer is gone, or the connection must be dropped.
    Closed,
}

/// One client.
pub struct Conn {
    stream: UnixStream,
    inbuf: Vec<u8>,
    /// Descriptors received, with the offset in `inbuf` where their message started.
    in_fds: Vec<(usize, OwnedFd)>,
    out: Vec<u8>,
    /// Descriptors to send with the byte at the given offset of `out`.
    out_fds: VecDeque<(usize, Vec<OwnedFd>)>,
    /// Requests parked elsewhere (wait, stop, a freeze in progress) that still owe an answer.
    parked: usize,
    /// Gets a notification for every state change.
    subscribed: bool,
    /// The last read stopped at its budget: there may be more to read.
    more: bool,
    want_write: bool,
    /// Stop reading; close once the output is flushed and nothing is owed.
    closing: bool,
    /// Both directions are closed: nothing can reach the client any more.
    gone: bool,
}

impl Conn {
    pub fn new(stream: UnixStream) -> Conn {
        Conn {
            stream,
            inbuf: Vec::new(),
            in_fds: Vec::new(),
            out: Vec::new(),
            out_fds: VecDeque::new(),
            parked: 0,
            subscribed: false,
            more: false,
            want_write: false,
            closing: false,
            gone: false,
        }
    }

    pub fn stream(&mut self) -> &mut UnixStream {
        &mut self.stream
    }

    /// Bytes held for this client's input (capacity: what it costs).
    pub fn in_cost(&self) -> usize {
        self.inbuf.capacity()
    }

    /// Bytes waiting to be written to this client.
    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    /// Whether the last read stopped at its budget.
    pub fn more(&self) -> bool {
        self.more
    }

    /// Whether the peer has closed both directions.
    pub fn is_gone(&self) -> bool {
        self.gone
    }

    /// Looks again whether the peer has closed both directions (one poll(2)).
    pub fn check_gone(&mut self) -> bool {
        self.gone = self.gone || peer_gone(self.stream.as_fd());
        self.gone
    }

    pub fn park(&mut self) {
        self.parked += 1;
    }

    pub fn unpark(&mut self) {
        self.parked = self.parked.saturating_sub(1);
    }

    pub fn subscribe(&mut self) {
        self.subscribed = true;
    }

    pub fn is_subscribed(&self) -> bool {
        self.subscribed
    }

    /// Reads what is available, at most [`READ_BUDGET`] bytes per call (then `more` is set and
    /// the caller comes back after answering: mio is edge-triggered, so everything must be
    /// read eventually, but a client that floods requests gets answered as it goes and is
    /// dropped once it does not read its answers), and splits it into requests.
    pub fn read(&mut self) -> ReadOutcome {
        let mut out = Vec::new();
        self.more = false;
        if self.closing {
            // A half-closed client that has now closed for good.
            self.gone = self.gone || peer_gone(self.stream.as_fd());
            return self.closed_or(out);
        }
        let mut chunk = [0u8; 4096];
        let mut eof = false;
        let mut budget = READ_BUDGET;
        loop {
            if budget == 0 {
                self.more = true;
                break;
            }
            let mut fds = Vec::new();
            match fdpass::recv(self.stream.as_fd(), &mut chunk, &mut fds) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    let at = self.inbuf.len();
                    for fd in fds {
                        if self.in_fds.len() < fdpass::MAX_FDS {
                            self.in_fds.push((at, fd));
                        }
                    }
                    self.inbuf.extend_from_slice(&chunk[..n]);
                    budget = budget.saturating_sub(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
            if self.inbuf.len() > MAX_LINE + 1 {
                // Only a line over the limit gets here: shorter ones are split off below
                // before the buffer can grow this far.
                break;
            }
        }
        self.split_lines(&mut out);
        if eof {
            self.closing = true;
            // Half-closed (shutdown of its writing side) still gets its answers; closed for
            // good, it gets nothing more: its parked requests no longer hold the connection.
            self.gone = peer_gone(self.stream.as_fd());
        }
        if self.closing {
            self.inbuf = Vec::new();
            self.in_fds.clear();
            self.more = false;
        } else if self.inbuf.is_empty() && self.inbuf.capacity() > 2 * READ_BUDGET {
            self.inbuf = Vec::new();
        }
        self.closed_or(out)
    }

    fn closed_or(&self, lines: Vec<Line>) -> ReadOutcome {
        if self.closing && lines.is_empty() && (self.gone || !self.owes_more()) {
            ReadOutcome::Closed
        } else {
            ReadOutcome::Lines(lines)
        }
    }

    fn split_lines(&mut self, out: &mut Vec<Line>) {
        let mut start = 0;
        while let Some(pos) = self.inbuf[start..].iter().position(|&b| b == b'\n') {
            let end = start + pos;
            let fds: Vec<OwnedFd> = {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_fds)
                    .into_iter()
                    .partition(|(at, _)| *at <= end);
                self.in_fds = rest;
                mine.into_iter().map(|(_, fd)| fd).collect()
            };
            let line = &self.inbuf[start..end];
            start = end + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if line.len() > MAX_LINE {
                out.push(Line::Bad(too_long()));
                self.closing = true;
                break;
            }
            out.push(match Envelope::parse(line) {
                Ok(env) => Line::Request(Request {
                    call: Call::decode(&env.method, env.params),
                    id: env.id,
                    fds,
                }),
                Err(resp) => Line::Bad(resp),
            });
        }
        self.inbuf.drain(..start);
        for (at, _) in &mut self.in_fds {
            *at = at.saturating_sub(start);
        }
        if !self.closing && self.inbuf.len() > MAX_LINE {
            out.push(Line::Bad(too_long()));
            self.closing = true;
        }
    }

    /// Whether more is to be sent to this client later: a half-closed client still gets it.
    fn owes_more(&self) -> bool {
        self.subscribed || self.parked > 0
    }

    /// Queues a line; false when the client is too far behind and must be dropped.
    pub fn send(&mut self, line: &[u8]) -> bool {
        self.out.extend_from_slice(line);
        self.out.len() <= MAX_PENDING_OUT
    }

    /// Queues a line with descriptors that go along with its first byte.
    pub fn send_with_fds(&mut self, line: &[u8], fds: Vec<OwnedFd>) -> bool {
        if !fds.is_empty() {
            self.out_fds.push_back((self.out.len(), fds));
        }
        self.send(line)
    }

    /// Writes what the socket takes now and asks for WRITABLE when something is left. Returns
    /// false when the connection is finished (error, or closing with nothing left to write).
    pub fn flush(&mut self, registry: &Registry, token: Token) -> bool {
        if self.gone {
            return false;
        }
        while !self.out.is_empty() {
            match self.write_some() {
                Ok(0) => return false,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        let want = !self.out.is_empty();
        if want != self.want_write {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if registry
                .reregister(&mut self.stream, token, interest)
                .is_err()
            {
                return false;
            }
            self.want_write = want;
        }
        !(self.closing && self.out.is_empty() && !self.owes_more())
    }

    /// Writes from the head of the output, up to the next descriptors' byte; descriptors due
    /// at the head go with this write.
    fn write_some(&mut self) -> io::Result<usize> {
        let fds = match self.out_fds.front() {
            Some((0, _)) => self.out_fds.pop_front().map(|(_, f)| f),
            _ => None,
        };
        let end = self.out_fds.front().map_or(self.out.len(), |(at, _)| *at);
        let n = match fds {
            Some(fds) => {
                let borrowed: Vec<BorrowedFd> = fds.iter().map(AsFd::as_fd).collect();
                fdpass::send(self.stream.as_fd(), &self.out[..end], &borrowed)?
            }
            None => self.stream.write(&self.out[..end])?,
        };
        self.out.drain(..n);
        for (at, _) in &mut self.out_fds {
            *at -= n;
        }
        Ok(n)
    }

    /// Last chance before the shim exits: write until done or `deadline`.
    pub fn flush_until(&mut self, deadline: Instant) {
        while !self.out.is_empty() && !self.gone && Instant::now() < deadline {
            match self.write_some() {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

/// Whether the peer of a stream socket has closed both directions (POLLHUP): a client that only
/// shut down its writing side still reads.
fn peer_gone(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    poll(&mut fds, PollTimeout::ZERO).is_ok()
        && fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR))
}

fn too_long() -> Response {
    Response::error(
        Value::Null,
        RpcError::new(
            ErrorCode::InvalidRequest,
            "invalid request: line longer than 1 MiB",
        ),
    )
}
