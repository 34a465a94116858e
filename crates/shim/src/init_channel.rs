//! The channel between the shim and the container's init: a SOCK_SEQPACKET pair, one JSON
//! datagram per message (never split or merged), able to carry descriptors. Typed both ways,
//! with one function per step the init waits for, so that an unexpected message is an error
//! naming what was expected.
//!
//! Trust: only the init holds its end, and nothing of ours reaches COMMAND (every descriptor
//! but stdio is close-on-exec when COMMAND is executed). The shim still takes the init's word
//! only where it cannot check it otherwise: see `lifecycle::Lifecycle::on_init_message`.
use lxc_proto::fdpass;
use lxc_proto::ExitStatus;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

/// The longest message (a warning's text is cut to fit).
pub const MAX_MESSAGE: usize = 4096;

/// What the init tells its shim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "kebab-case")]
pub enum FromInit {
    /// The init waits for [`ToInit::IdMapWritten`] before its own set-up (a user-namespace
    /// container needs its uid/gid maps written first).
    NeedIdMap,
    /// COMMAND was executed; `pid` is its pid inside the container.
    Running { pid: i32 },
    /// COMMAND could not be executed (`errno` from execve).
    ExecFailed { errno: i32 },
    /// A set-up step failed before COMMAND could start.
    SetupFailed { step: String, errno: i32 },
    /// COMMAND ended; everything else in the container has been killed and reaped.
    Exited { status: ExitStatus },
    /// Set-up had to degrade (for the shim's log).
    Warning { text: String },
    /// The filesystem is set up; the init waits for `go` (only with start-host hooks).
    FsReady,
    /// A line a hook printed (for the shim's log).
    HookOutput { text: String },
    /// A hook failed before COMMAND could start: the whole message.
    HookFailed { message: String },
    /// The container's terminals: the descriptors are its devpts instance's ptmx (`O_PATH`)
    /// then `count` pty masters (tty 0 is the console or COMMAND's terminal, then tty1..N).
    Terminals { count: u32 },
    /// COMMAND's seccomp listener, the one descriptor (sent by COMMAND's process itself
    /// before its exec, when its profile notifies and calls are forwarded).
    SeccompListener,
}

/// What the shim tells the init.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "kebab-case")]
pub enum ToInit {
    /// The uid/gid maps are written.
    IdMapWritten,
    /// The init is in the container's cgroups: start COMMAND.
    Go,
}

/// Decodes one datagram as each side does (the shim reads `FromInit`, the init `ToInit`):
/// `None` for what is not a message. Public for the fuzz target and property tests.
pub fn decode(bytes: &[u8]) -> (Option<FromInit>, Option<ToInit>) {
    (
        serde_json::from_slice(bytes).ok(),
        serde_json::from_slice(bytes).ok(),
    )
}

/// A message of the wrong kind, or none.
#[derive(Debug)]
pub enum ChannelError {
    /// The other end is gone.
    Closed,
    /// Reading or writing failed.
    Io(io::Error),
    /// Not the message that was waited for.
    Unexpected { expected: ToInit, got: String },
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::Closed => f.write_str("the shim is gone"),
            ChannelError::Io(e) => write!(f, "init channel: {}", lxc_proto::strerror(e)),
            ChannelError::Unexpected { expected, got } => {
                write!(f, "init channel: expected {expected:?}, got {got}")
            }
        }
    }
}

fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    serde_json::to_vec(msg).unwrap_or_default()
}

/// Sends one message with optional descriptors.
fn send<T: Serialize>(fd: BorrowedFd<'_>, msg: &T, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
    fdpass::send(fd, &encode(msg), fds).map(drop)
}

/// Receives one datagram: `Ok(None)` when the other end has closed (ECONNRESET: it closed
/// with messages of ours unread).
fn recv(fd: BorrowedFd<'_>, fds: &mut Vec<OwnedFd>) -> io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let n = match fdpass::recv(fd, &mut buf, fds) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
        other => other?,
    };
    if n == 0 {
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(buf))
}

/// The init's end, at a fixed descriptor number in the init.
pub struct InitEnd {
    fd: RawFd,
}

impl InitEnd {
    /// The end at descriptor `fd`, which the init keeps open until it exits.
    pub fn at(fd: RawFd) -> InitEnd {
        InitEnd { fd }
    }

    fn fd(&self) -> BorrowedFd<'static> {
        crate::sys::borrow_fd(self.fd)
    }

    /// Tells the shim. If the shim is gone, the init is about to die of its parent-death
    /// signal anyway: errors are ignored.
    pub fn send(&self, msg: &FromInit) {
        let _ = send(self.fd(), msg, &[]);
    }

    /// Tells the shim and hands it `fds` (the terminals' masters).
    pub fn send_with_fds(&self, msg: &FromInit, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        send(self.fd(), msg, fds)
    }

    /// Blocks until `expected` comes; returns the descriptors that came with it.
    fn wait_for(&self, expected: ToInit) -> Result<Vec<OwnedFd>, ChannelError> {
        // The shim's messages are a few bytes: a buffer on the stack, no allocation in the
        // init (each page the init writes after the clone is a page it no longer shares).
        let mut buf = [0u8; 256];
        let mut fds = Vec::new();
        loop {
            let got = match fdpass::recv(self.fd(), &mut buf, &mut fds) {
                Ok(0) => Ok(None),
                Ok(n) => Ok(Some(&buf[..n])),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(None),
                Err(e) => Err(e),
            };
            match got {
                Ok(Some(bytes)) => {
                    return match serde_json::from_slice::<ToInit>(bytes) {
                        Ok(m) if m == expected => Ok(std::mem::take(&mut fds)),
                        Ok(m) => Err(ChannelError::Unexpected {
                            expected,
                            got: format!("{m:?}"),
                        }),
                        Err(_) => Err(ChannelError::Unexpected {
                            expected,
                            got: String::from_utf8_lossy(bytes).into_owned(),
                        }),
                    }
                }
                Ok(None) => return Err(ChannelError::Closed),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ChannelError::Io(e)),
            }
        }
    }

    /// Blocks until the shim says `go` (the init is then in the container's cgroups).
    pub fn wait_for_go(&self) -> Result<(), ChannelError> {
        self.wait_for(ToInit::Go).map(drop)
    }

    /// Asks for the uid/gid maps and blocks until the shim has written them. With them may
    /// come the rootfs as an idmapped mount, to be attached by the init.
    pub fn wait_for_idmap(&self) -> Result<Option<OwnedFd>, ChannelError> {
        self.send(&FromInit::NeedIdMap);
        Ok(self.wait_for(ToInit::IdMapWritten)?.into_iter().next())
    }
}

/// The shim's end (non-blocking, polled by the event loop).
pub struct ShimEnd {
    fd: OwnedFd,
}

/// What the shim received from the init.
pub enum Received {
    /// A message, with any descriptors that came along.
    Message(FromInit, Vec<OwnedFd>),
    /// A datagram that is no message of ours.
    Malformed(Vec<u8>),
    /// Nothing more now.
    Empty,
    /// The init's end is closed (exited, or a system container's pid 1 was executed).
    Closed,
}

impl ShimEnd {
    /// Wraps the shim's end of the pair.
    pub fn new(fd: OwnedFd) -> ShimEnd {
        ShimEnd { fd }
    }

    /// Tells the init.
    pub fn send(&self, msg: ToInit) -> io::Result<()> {
        send(self.fd.as_fd(), &msg, &[])
    }

    /// Tells the init and hands it descriptors (an idmapped rootfs).
    pub fn send_with_fds(&self, msg: ToInit, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        send(self.fd.as_fd(), &msg, fds)
    }

    /// The next datagram, without blocking.
    pub fn try_recv(&self) -> io::Result<Received> {
        let mut fds = Vec::new();
        loop {
            return match recv(self.fd.as_fd(), &mut fds) {
                Ok(Some(bytes)) => Ok(match serde_json::from_slice(&bytes) {
                    Ok(m) => Received::Message(m, fds),
                    Err(_) => Received::Malformed(bytes),
                }),
                Ok(None) => Ok(Received::Closed),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Received::Empty),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    }
}

impl AsFd for ShimEnd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl std::os::fd::AsRawFd for ShimEnd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    use std::os::fd::AsRawFd;

    fn pair() -> (ShimEnd, OwnedFd) {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        )
        .unwrap();
        (ShimEnd::new(a), b)
    }

    #[test]
    fn messages_both_ways_with_a_descriptor() {
        let (shim, init_fd) = pair();
        // The init's end blocks in the init; here it is non-blocking, so send first.
        let init = InitEnd::at(init_fd.as_raw_fd());
        let file = std::fs::File::open("/dev/null").unwrap();
        init.send_with_fds(
            &FromInit::Warning {
                text: "console".into(),
            },
            &[file.as_fd()],
        )
        .unwrap();
        init.send(&FromInit::Exited {
            status: ExitStatus::signaled(9),
        });
        match shim.try_recv().unwrap() {
            Received::Message(FromInit::Warning { text }, fds) => {
                assert_eq!(text, "console");
                assert_eq!(fds.len(), 1);
            }
            _ => panic!("expected the warning with its descriptor"),
        }
        assert!(matches!(
            shim.try_recv().unwrap(),
            Received::Message(
                FromInit::Exited {
                    status: ExitStatus::Signaled { signal: 9 }
                },
                _
            )
        ));
        assert!(matches!(shim.try_recv().unwrap(), Received::Empty));
        shim.send(ToInit::IdMapWritten).unwrap();
        shim.send(ToInit::Go).unwrap();
        let mut fds = Vec::new();
        let got = recv(init_fd.as_fd(), &mut fds).unwrap().unwrap();
        assert_eq!(got, br#"{"msg":"id-map-written"}"#);
        let e = init.wait_for_idmap().unwrap_err();
        assert!(
            matches!(
                e,
                ChannelError::Unexpected {
                    expected: ToInit::IdMapWritten,
                    ..
                }
            ),
            "{e}"
        );
        drop(shim);
        // The NeedIdMap request went to a closed end; a closed channel reads as such.
        let r = init.wait_for_go();
        assert!(matches!(r, Err(ChannelError::Closed)), "{r:?}");
    }

    #[test]
    fn wire_form() {
        assert_eq!(
            String::from_utf8(encode(&FromInit::SetupFailed {
                step: "mount /proc".into(),
                errno: 1
            }))
            .unwrap(),
            r#"{"msg":"setup-failed","step":"mount /proc","errno":1}"#
        );
        assert_eq!(
            String::from_utf8(encode(&FromInit::Exited {
                status: ExitStatus::exited(3)
            }))
            .unwrap(),
            r#"{"msg":"exited","status":{"code":3}}"#
        );
    }

    /// Property test of the datagram decoders (what `scripts/fuzz.sh` fuzzes): mutated
    /// messages never panic them, and what decodes round-trips.
    #[test]
    fn datagrams_never_panic_and_round_trip() {
        use lxc_config::fuzzgen::{Gen, CASES};
        let seeds: &[&[u8]] = &[
            br#"{"msg":"setup-failed","step":"mount","errno":2}"#,
            br#"{"msg":"exited","status":{"signal":9}}"#,
            br#"{"msg":"running","pid":2}"#,
            br#"{"msg":"go"}"#,
            br#"{"msg":"id-map-written"}"#,
        ];
        let tokens = &[
            "{",
            "}",
            "\"",
            ":",
            ",",
            "\"msg\"",
            "\"warning\"",
            "\"text\"",
            "-1",
        ];
        let mut g = Gen::new(0x5eed_0201);
        for _ in 0..CASES {
            let input = {
                let s = seeds[g.below(seeds.len())];
                g.mutate(s, tokens)
            };
            let (from, to) = decode(&input);
            if let Some(m) = from {
                assert_eq!(decode(&encode(&m)).0, Some(m));
            }
            if let Some(m) = to {
                assert_eq!(decode(&encode(&m)).1, Some(m));
            }
        }
    }
}
