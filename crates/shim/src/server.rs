//! Connections of the control socket: newline-delimited JSON-RPC, non-blocking both ways. A
//! request line over 1 MiB gets an error and the connection is closed; a client that stops
//! reading is dropped once [`MAX_PENDING_OUT`] bytes wait for it, so it never blocks the shim
//! nor grows its memory.
use lxc_proto::wire::{ErrorCode, Request, Response, RpcError, MAX_LINE};
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// Output bytes a client may leave unread before it is dropped.
pub const MAX_PENDING_OUT: usize = 1 << 20;

/// Bytes read from one client before its requests are answered.
pub const READ_BUDGET: usize = 64 << 10;

/// One client.
pub struct Conn {
    pub stream: UnixStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// Ids of `wait` requests to answer at stop.
    pub waits: Vec<serde_json::Value>,
    /// Gets a notification for every state change.
    pub subscribed: bool,
    /// Requests parked elsewhere (a freeze in progress) that still owe an answer.
    pub parked: usize,
    /// The last read stopped at its budget: there may be more to read.
    pub more: bool,
    want_write: bool,
    /// Stop reading; close once the output is flushed.
    closing: bool,
}

/// What reading a connection produced.
pub enum ReadOutcome {
    /// Complete request lines (parsed, or the error to send back).
    Requests(Vec<Result<Request, Response>>),
    /// The peer is gone, or the connection must be dropped.
    Closed,
}

impl Conn {
    pub fn new(stream: UnixStream) -> Conn {
        Conn {
            stream,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            waits: Vec::new(),
            subscribed: false,
            parked: 0,
            more: false,
            want_write: false,
            closing: false,
        }
    }

    /// Reads what is available, at most [`READ_BUDGET`] bytes per call (then `more` is set and
    /// the caller comes back after answering: mio is edge-triggered, so everything must be read
    /// eventually, but a client that floods requests gets answered as it goes and is dropped
    /// once it does not read its answers), and splits it into requests.
    pub fn read(&mut self) -> ReadOutcome {
        let mut out = Vec::new();
        self.more = false;
        if self.closing {
            return ReadOutcome::Requests(out);
        }
        let mut chunk = [0u8; 4096];
        let mut eof = false;
        let mut budget = READ_BUDGET;
        loop {
            if budget == 0 {
                self.more = true;
                break;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
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
        let mut start = 0;
        while let Some(pos) = self.inbuf[start..].iter().position(|&b| b == b'\n') {
            let line = &self.inbuf[start..start + pos];
            start += pos + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if line.len() > MAX_LINE {
                out.push(Err(too_long()));
                self.closing = true;
                break;
            }
            out.push(Request::parse(line));
        }
        self.inbuf.drain(..start);
        if !self.closing && self.inbuf.len() > MAX_LINE {
            out.push(Err(too_long()));
            self.closing = true;
        }
        if self.closing {
            self.inbuf = Vec::new();
            self.more = false;
        }
        if eof && out.is_empty() && !self.owes_more() {
            return ReadOutcome::Closed;
        }
        if eof {
            self.closing = true;
        }
        ReadOutcome::Requests(out)
    }

    /// Whether more is to be sent to this client later: a half-closed client still gets it.
    fn owes_more(&self) -> bool {
        !self.waits.is_empty() || self.subscribed || self.parked > 0
    }

    /// Queues a response; false when the client is too far behind and must be dropped.
    pub fn send(&mut self, resp: &Response) -> bool {
        self.send_raw(&resp.to_line())
    }

    /// Queues a ready-made line (a notification).
    pub fn send_raw(&mut self, line: &[u8]) -> bool {
        self.outbuf.extend_from_slice(line);
        self.outbuf.len() <= MAX_PENDING_OUT
    }

    /// Writes what the socket takes now and asks for WRITABLE when something is left. Returns
    /// false when the connection is finished (error, or closing with nothing left to write).
    pub fn flush(&mut self, registry: &Registry, token: Token) -> bool {
        while !self.outbuf.is_empty() {
            match self.stream.write(&self.outbuf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.outbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        let want = !self.outbuf.is_empty();
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
        !(self.closing && self.outbuf.is_empty() && !self.owes_more())
    }

    /// Last chance before the shim exits: write until done or `deadline`.
    pub fn flush_until(&mut self, deadline: Instant) {
        while !self.outbuf.is_empty() && Instant::now() < deadline {
            match self.stream.write(&self.outbuf) {
                Ok(0) => return,
                Ok(n) => {
                    self.outbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

fn too_long() -> Response {
    Response::error(
        serde_json::Value::Null,
        RpcError::new(
            ErrorCode::InvalidRequest,
            "invalid request: line longer than 1 MiB",
        ),
    )
}
