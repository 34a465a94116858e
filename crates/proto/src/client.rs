//! A small blocking client of the control socket: typed calls, each step (connect, write, read)
//! under a deadline, so that a shim that does not answer (stopped, hung, its backlog full) never
//! hangs a command. Descriptors can go along with a call and come back with its answer.
use crate::fdpass;
use crate::framing::{Message, RpcError, MAX_LINE};
use crate::monitor::StateEvent;
use crate::request::{
    method_version, Call, FreezeParams, KillParams, NoParams, StopParams, PROTOCOL_VERSION,
};
use crate::resources::{CgroupGetParams, CgroupReply, CgroupSetParams, StatsReply};
use crate::response::{HelloReply, KillReply, PsReply, StateReply, SubscribeReply, WaitReply};
use crate::state::{Info, State};
use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
use serde::de::DeserializeOwned;
use std::fmt;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
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
    /// The shim speaks an older protocol that lacks `method`.
    OldShim {
        /// The shim's protocol version.
        protocol: u32,
        /// The method it lacks.
        method: String,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(e) => {
                write!(f, "connect to its shim: {}", crate::text::strerror(e))
            }
            ClientError::NoAnswer(d) => {
                write!(f, "no answer from its shim in {} s", d.as_secs_f64())
            }
            ClientError::Io(e) => write!(f, "talk to its shim: {}", crate::text::strerror(e)),
            ClientError::Closed => f.write_str("its shim closed the connection"),
            ClientError::Protocol(m) => write!(f, "bad answer from its shim: {m}"),
            ClientError::Rpc(e) => f.write_str(&e.message),
            ClientError::OldShim { protocol, method } => write!(
                f,
                "runs an older shim (protocol {protocol}); restart it to use {method}"
            ),
        }
    }
}

impl std::error::Error for ClientError {}

/// A connection to one shim.
pub struct Client {
    stream: UnixStream,
    buf: Vec<u8>,
    /// Descriptors received and not yet taken by an answer.
    fds: Vec<OwnedFd>,
    next_id: u64,
    timeout: Duration,
    protocol: Option<u32>,
}

/// How long a connect waits between attempts while the shim's backlog is full.
const CONNECT_RETRY: Duration = Duration::from_millis(2);

impl Client {
    /// Connects to the socket at `path` within `timeout`, which also bounds every later call
    /// that is not given a deadline of its own. A full listen backlog (a stopped or flooded
    /// shim) is retried until the deadline, never waited on without one.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Client, ClientError> {
        let deadline = Instant::now() + timeout;
        let addr = UnixAddr::new(path).map_err(|e| ClientError::Connect(e.into()))?;
        let fd = socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| ClientError::Connect(e.into()))?;
        loop {
            match connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr) {
                Ok(()) => break,
                Err(nix::errno::Errno::EINTR) => {}
                // AF_UNIX: the listener's backlog is full. Try again until the deadline.
                Err(nix::errno::Errno::EAGAIN) if Instant::now() < deadline => {
                    std::thread::sleep(CONNECT_RETRY)
                }
                Err(nix::errno::Errno::EAGAIN) => return Err(ClientError::NoAnswer(timeout)),
                Err(e) => return Err(ClientError::Connect(e.into())),
            }
        }
        let stream = UnixStream::from(fd);
        stream.set_nonblocking(false).map_err(ClientError::Io)?;
        Ok(Client {
            stream,
            buf: Vec::new(),
            fds: Vec::new(),
            next_id: 1,
            timeout,
            protocol: None,
        })
    }

    /// The deadline of a call that is given none: now plus the client's timeout.
    pub fn default_deadline(&self) -> Option<Instant> {
        Some(Instant::now() + self.timeout)
    }

    /// Whether a complete message is buffered already: poll the socket only when not (what
    /// was read with an earlier message may hold the next one).
    pub fn has_buffered_message(&self) -> bool {
        self.buf.contains(&b'\n')
    }

    /// The socket, for polling it together with something else.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }

    /// Calls and decodes the result, waiting until `deadline` (`None`: forever).
    pub fn call<R: DeserializeOwned>(
        &mut self,
        call: &Call,
        deadline: Option<Instant>,
    ) -> Result<R, ClientError> {
        self.call_with_fds(call, &[], deadline).map(|(r, _)| r)
    }

    /// Calls with `fds` attached to the request; returns the result and the descriptors that
    /// came with the answer.
    pub fn call_with_fds<R: DeserializeOwned>(
        &mut self,
        call: &Call,
        fds: &[BorrowedFd<'_>],
        deadline: Option<Instant>,
    ) -> Result<(R, Vec<OwnedFd>), ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&call.line(id), fds, deadline)?;
        loop {
            let msg = self.read_message(deadline)?;
            if msg.id != id {
                // A notification of an earlier subscription: not ours.
                continue;
            }
            let fds = std::mem::take(&mut self.fds);
            return match (msg.result, msg.error) {
                (_, Some(e)) => Err(ClientError::Rpc(e)),
                (Some(r), None) => serde_json::from_value(r)
                    .map(|r| (r, fds))
                    .map_err(|e| ClientError::Protocol(e.to_string())),
                (None, None) => Err(ClientError::Protocol("neither result nor error".into())),
            };
        }
    }

    fn send(
        &mut self,
        line: &[u8],
        fds: &[BorrowedFd<'_>],
        deadline: Option<Instant>,
    ) -> Result<(), ClientError> {
        let left = remaining(deadline, self.timeout)?;
        self.stream
            .set_write_timeout(left)
            .map_err(ClientError::Io)?;
        let sent = fdpass::send(self.stream.as_fd(), line, fds).map_err(|e| self.io_error(e))?;
        self.stream
            .write_all(&line[sent..])
            .map_err(|e| self.io_error(e))
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
            let left = remaining(deadline, self.timeout)?;
            self.stream
                .set_read_timeout(left)
                .map_err(ClientError::Io)?;
            let mut chunk = [0u8; 8192];
            match fdpass::recv(self.stream.as_fd(), &mut chunk, &mut self.fds) {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e)),
            }
            self.fds.truncate(fdpass::MAX_FDS);
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

    /// The shim's protocol version and methods. A shim of protocol 1 had no `hello`.
    pub fn hello(&mut self) -> Result<HelloReply, ClientError> {
        match self.call::<HelloReply>(&Call::Hello(NoParams {}), self.default_deadline()) {
            Ok(h) => {
                self.protocol = Some(h.protocol);
                Ok(h)
            }
            Err(ClientError::Rpc(e)) if e.is(crate::framing::ErrorCode::MethodNotFound) => {
                self.protocol = Some(1);
                Ok(HelloReply {
                    protocol: 1,
                    methods: crate::request::METHODS
                        .iter()
                        .filter(|(_, v)| *v == 1)
                        .map(|(m, _)| m.to_string())
                        .collect(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Fails with [`ClientError::OldShim`] when the shim is too old for `method` (a shim is a
    /// fork of the lxc-execute that started it: after an upgrade, running containers keep the
    /// old code). Asks the shim once per connection, and only for methods newer than 1.
    pub fn require(&mut self, method: &str) -> Result<(), ClientError> {
        let needed = method_version(method).unwrap_or(PROTOCOL_VERSION);
        if needed <= 1 {
            return Ok(());
        }
        let protocol = match self.protocol {
            Some(p) => p,
            None => self.hello()?.protocol,
        };
        if protocol < needed {
            return Err(ClientError::OldShim {
                protocol,
                method: method.to_string(),
            });
        }
        Ok(())
    }

    /// The state.
    pub fn state(&mut self) -> Result<State, ClientError> {
        let d = self.default_deadline();
        self.call::<StateReply>(&Call::State(NoParams {}), d)
            .map(|r| r.state)
    }

    /// Everything the shim knows.
    pub fn info(&mut self) -> Result<Info, ClientError> {
        let d = self.default_deadline();
        self.call(&Call::Info(NoParams {}), d)
    }

    /// Waits for the container to stop.
    pub fn wait(&mut self, deadline: Option<Instant>) -> Result<WaitReply, ClientError> {
        self.call(&Call::Wait(NoParams {}), deadline)
    }

    /// Stops the container and waits for it to have stopped.
    pub fn stop(
        &mut self,
        params: StopParams,
        deadline: Option<Instant>,
    ) -> Result<WaitReply, ClientError> {
        if params.nokill {
            self.require("stop:nokill")?;
        }
        self.call(&Call::Stop(params), deadline)
    }

    /// Reboots a system container; answers once it runs again.
    pub fn reboot(
        &mut self,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<State, ClientError> {
        self.require("reboot")?;
        let call = Call::Reboot(crate::request::RebootParams {
            timeout: Some(timeout),
        });
        self.call::<StateReply>(&call, deadline).map(|r| r.state)
    }

    /// Sends `signal` to every process of the container.
    pub fn kill(&mut self, signal: i32) -> Result<KillReply, ClientError> {
        let d = self.default_deadline();
        self.call(&Call::Kill(KillParams { signal }), d)
    }

    /// Freezes (undone if not complete within `timeout`); answers once frozen.
    pub fn freeze(
        &mut self,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<State, ClientError> {
        let call = Call::Freeze(FreezeParams {
            timeout: Some(timeout),
        });
        self.call::<StateReply>(&call, deadline).map(|r| r.state)
    }

    /// Dumps the container into `directory` with CRIU (protocol 4), then stops it with
    /// `stop`; answers once done.
    pub fn checkpoint(
        &mut self,
        directory: &str,
        stop: bool,
        deadline: Option<Instant>,
    ) -> Result<State, ClientError> {
        let call = Call::Checkpoint(crate::request::CheckpointParams {
            directory: directory.to_string(),
            stop,
        });
        self.call::<StateReply>(&call, deadline).map(|r| r.state)
    }

    /// Thaws.
    pub fn unfreeze(&mut self) -> Result<State, ClientError> {
        let d = self.default_deadline();
        self.call::<StateReply>(&Call::Unfreeze(NoParams {}), d)
            .map(|r| r.state)
    }

    /// The container's processes.
    pub fn ps(&mut self) -> Result<PsReply, ClientError> {
        let d = self.default_deadline();
        self.call(&Call::Ps(NoParams {}), d)
    }

    /// Subscribes to state changes: the state now; then [`Client::next_event`].
    pub fn subscribe(&mut self) -> Result<SubscribeReply, ClientError> {
        let d = self.default_deadline();
        self.call(&Call::Subscribe(NoParams {}), d)
    }

    /// The next state change of a subscription, until `deadline` (`None`: forever).
    pub fn next_event(&mut self, deadline: Option<Instant>) -> Result<StateEvent, ClientError> {
        loop {
            let msg = self.read_message(deadline)?;
            if msg.method.as_deref() != Some("state") {
                continue;
            }
            let params = msg
                .params
                .ok_or_else(|| ClientError::Protocol("a notification without params".into()))?;
            return serde_json::from_value(params)
                .map_err(|e| ClientError::Protocol(e.to_string()));
        }
    }
}

/// What is left until `deadline` (`None`: no limit); an error once it has passed.
fn remaining(
    deadline: Option<Instant>,
    timeout: Duration,
) -> Result<Option<Duration>, ClientError> {
    match deadline {
        None => Ok(None),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                Err(ClientError::NoAnswer(timeout))
            } else {
                Ok(Some(left))
            }
        }
    }
}

/// The resource methods (protocol 4).
impl Client {
    /// Reads cgroup file `key` of the container.
    pub fn cgroup_get(&mut self, key: &str) -> Result<CgroupReply, ClientError> {
        let call = Call::CgroupGet(CgroupGetParams { key: key.into() });
        self.call_new(&call)
    }

    /// Writes `value` to cgroup file `key` of the container.
    pub fn cgroup_set(&mut self, key: &str, value: &str) -> Result<CgroupReply, ClientError> {
        let call = Call::CgroupSet(CgroupSetParams {
            key: key.into(),
            value: value.into(),
        });
        self.call_new(&call)
    }

    /// The container's use of resources now.
    pub fn stats(&mut self) -> Result<StatsReply, ClientError> {
        self.call_new(&Call::Stats(NoParams {}))
    }

    /// A protocol-4 call without asking `hello` first (one round trip, as these are called
    /// often): a shim that does not know the method is an old one.
    fn call_new<R: DeserializeOwned>(&mut self, call: &Call) -> Result<R, ClientError> {
        let deadline = self.default_deadline();
        match self.call(call, deadline) {
            Err(ClientError::Rpc(e)) if e.is(crate::framing::ErrorCode::MethodNotFound) => {
                let protocol = self.hello().map(|h| h.protocol).unwrap_or(1);
                Err(ClientError::OldShim {
                    protocol,
                    method: call.method().into(),
                })
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests;
