//! A small blocking client of the control socket: one request, one answer, under a deadline,
//! so that a shim that does not answer (stopped, hung) never hangs a command.
use crate::wire::{Message, Request, RpcError, MAX_LINE};
use serde_json::Value;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Why a call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The socket could not be connected to (no shim, or a stale socket).
    Connect(io::Error),
    /// No complete answer arrived within the deadline.
    NoAnswer(Duration),
    /// Reading or writing the socket failed.
    Io(io::Error),
    /// The shim closed the connection before answering.
    Closed,
    /// The answer was not a valid response.
    Protocol(String),
    /// The shim answered with an error.
    Rpc(RpcError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(e) => write!(f, "connect to its shim: {e}"),
            ClientError::NoAnswer(d) => {
                write!(f, "no answer from its shim in {} s", d.as_secs_f64())
            }
            ClientError::Io(e) => write!(f, "talk to its shim: {e}"),
            ClientError::Closed => f.write_str("its shim closed the connection"),
            ClientError::Protocol(m) => write!(f, "bad answer from its shim: {m}"),
            ClientError::Rpc(e) => f.write_str(&e.message),
        }
    }
}

impl std::error::Error for ClientError {}

/// A connection to one shim.
pub struct Client {
    stream: UnixStream,
    buf: Vec<u8>,
    next_id: u64,
    timeout: Duration,
}

impl Client {
    /// Connects to the socket at `path`; `timeout` bounds every later call.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(path).map_err(ClientError::Connect)?;
        stream
            .set_write_timeout(Some(timeout))
            .map_err(ClientError::Io)?;
        Ok(Client {
            stream,
            buf: Vec::new(),
            next_id: 1,
            timeout,
        })
    }

    /// Calls `method` and returns its result, waiting at most the client's timeout.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, ClientError> {
        let deadline = Instant::now() + self.timeout;
        self.call_until(method, params, Some(deadline))
    }

    /// Calls `method` and waits for its answer until `deadline` (`None`: forever).
    pub fn call_until(
        &mut self,
        method: &str,
        params: Value,
        deadline: Option<Instant>,
    ) -> Result<Value, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = Request::line(id, method, params).into_bytes();
        line.push(b'\n');
        self.stream.write_all(&line).map_err(|e| self.io_error(e))?;
        loop {
            let resp = self.read_message(deadline)?;
            if resp.id == id {
                return match (resp.result, resp.error) {
                    (_, Some(e)) => Err(ClientError::Rpc(e)),
                    (Some(r), None) => Ok(r),
                    (None, None) => Err(ClientError::Protocol("neither result nor error".into())),
                };
            }
            // Anything else is a notification of an earlier subscription: skip it.
        }
    }

    /// Reads the next message (response or notification) until `deadline` (`None`: forever).
    pub fn read_message(&mut self, deadline: Option<Instant>) -> Result<Message, ClientError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return serde_json::from_slice(&line[..pos])
                    .map_err(|e| ClientError::Protocol(e.to_string()));
            }
            if self.buf.len() > MAX_LINE {
                return Err(ClientError::Protocol("answer longer than 1 MiB".into()));
            }
            let wait = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ClientError::NoAnswer(self.timeout));
                    }
                    Some(left)
                }
                None => None,
            };
            self.stream
                .set_read_timeout(wait)
                .map_err(ClientError::Io)?;
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e)),
            }
        }
    }

    fn io_error(&self, e: io::Error) -> ClientError {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                ClientError::NoAnswer(self.timeout)
            }
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => ClientError::Closed,
            _ => ClientError::Io(e),
        }
    }
}
