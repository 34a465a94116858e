//! The seccomp notifier's events in the loop (`notifier.rs` holds the proxy and listeners):
//! listeners that have calls, the proxy's answers, its time limit, and attached processes'
//! hand-off sockets. Calls are taken a few per round, one is with the proxy at a time.
use crate::event_loop::Shim;
use crate::seccomp_proxy::{self, REPLY_LEN};
use crate::sources::Source;
use crate::sys_seccomp;
use crate::timers::TimerKind;
use mio::unix::SourceFd;
use mio::{Interest, Token};
use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Instant;

/// Calls taken from the listeners in one round of the loop before others get their turn.
const PER_ROUND: usize = 32;
/// Datagrams read from the proxy per wakeup; one that sends more is dropped.
const MAX_READS: usize = 64;

impl Shim {
    /// COMMAND's listener, from the init channel.
    pub(crate) fn on_seccomp_listener(&mut self, fds: Vec<OwnedFd>) {
        let Some(n) = self.notifier.as_deref_mut() else {
            return;
        };
        for fd in fds.into_iter().take(1) {
            n.add_listener(fd, self.poll.registry(), &mut self.sources);
        }
        self.seccomp_pump();
    }

    /// The hand-off socket for a process about to be attached: its end (ours waits in the
    /// loop for the listener); `None` when its filter has no listener.
    pub(crate) fn seccomp_handoff(&mut self) -> Result<Option<OwnedFd>, Errno> {
        let Some(n) = self.notifier.as_deref_mut() else {
            return Ok(None);
        };
        let (ours, theirs) = socket::socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        )?;
        let token = self.sources.add(Source::SeccompHandoff);
        let registry = self.poll.registry();
        if let Err(e) =
            registry.register(&mut SourceFd(&ours.as_raw_fd()), token, Interest::READABLE)
        {
            self.sources.remove(token);
            return Err(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)));
        }
        n.handoffs.push((token, ours));
        Ok(Some(theirs))
    }

    /// An attached process's hand-off socket: its listener, or its end closed (it executed
    /// or failed first). Either way the socket is done with.
    pub(crate) fn on_seccomp_handoff(&mut self, token: Token) {
        let Some(n) = self.notifier.as_deref_mut() else {
            return;
        };
        let Some(i) = n.handoffs.iter().position(|(t, _)| *t == token) else {
            return;
        };
        let mut buf = [0u8; 64];
        let mut fds = Vec::new();
        let got = lxc_proto::fdpass::recv(n.handoffs[i].1.as_fd(), &mut buf, &mut fds);
        if matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
            return;
        }
        let (_, sock) = n.handoffs.swap_remove(i);
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut SourceFd(&sock.as_raw_fd()));
        self.sources.remove(token);
        let expected = crate::seccomp_notify::LISTENER_MESSAGE;
        if matches!(got, Ok(len) if buf.get(..len) == Some(expected)) && fds.len() == 1 {
            for fd in fds {
                n.add_listener(fd, registry, &mut self.sources);
            }
            self.seccomp_pump();
        }
    }

    /// A listener has calls (or all its processes are gone).
    pub(crate) fn on_seccomp_ready(&mut self, token: Token) {
        if let Some(n) = self.notifier.as_deref_mut() {
            if !n.pending.contains(&token) {
                n.pending.push_back(token);
            }
        }
        self.seccomp_pump();
    }

    /// Whether calls may wait that the last round left (the loop then does not sleep).
    pub(crate) fn seccomp_more(&self) -> bool {
        self.notifier
            .as_deref()
            .is_some_and(|n| n.in_flight.is_none() && !n.pending.is_empty())
    }

    /// Takes waiting calls while none is with the proxy, a few per round: each is forwarded,
    /// or answered ENOSYS at once when it cannot be.
    pub(crate) fn seccomp_pump(&mut self) {
        let init_pid = self.life.init().as_raw();
        let Some(n) = self.notifier.as_deref_mut() else {
            return;
        };
        let registry = self.poll.registry();
        let mut budget = PER_ROUND;
        while n.in_flight.is_none() && budget > 0 {
            let Some(token) = n.pending.pop_front() else {
                break;
            };
            let Some(ready) = n.listener(token).map(readiness) else {
                continue;
            };
            match ready {
                Ready::Calls => {}
                Ready::None => continue,
                Ready::Gone => {
                    n.remove_listener(token, registry, &mut self.sources);
                    continue;
                }
            }
            budget -= 1;
            let Some(got) = n
                .listener(token)
                .map(|fd| sys_seccomp::notif_recv_within(fd.as_fd(), sys_seccomp::RECV_LIMIT))
            else {
                continue;
            };
            // It may hold more: its turn comes again after the others'.
            n.pending.push_back(token);
            let notif = match got {
                Ok(notif) => notif,
                Err(Errno::ENOENT | Errno::EINTR) => continue,
                Err(e) => {
                    n.warn(format_args!("read a listener: {}", e.desc()));
                    n.remove_listener(token, registry, &mut self.sources);
                    continue;
                }
            };
            log::debug!(
                "seccomp notify: call {} of pid {}",
                notif.data.nr,
                notif.pid
            );
            if let Err(why) = n.forward(token, &notif, init_pid, registry, &mut self.sources) {
                n.warn(format_args!(
                    "call {} of pid {}: {why}",
                    notif.data.nr, notif.pid
                ));
                n.answer(token, &seccomp_proxy::enosys(notif.id));
            }
        }
        if n.in_flight.is_some() {
            self.timers
                .arm_no_later(Instant::now() + n.timeout, TimerKind::SeccompProxy);
        }
    }

    /// The proxy's socket: its answers, or its end closed.
    pub(crate) fn on_seccomp_proxy(&mut self) {
        let Some(n) = self.notifier.as_deref_mut() else {
            return;
        };
        let registry = self.poll.registry();
        let mut reads = 0;
        while let Some((_, conn)) = &n.conn {
            reads += 1;
            if reads > MAX_READS {
                n.warn(format_args!(
                    "{} sends more than it is asked",
                    n.proxy.clone()
                ));
                n.disconnect(registry, &mut self.sources);
                break;
            }
            let mut buf = [0u8; REPLY_LEN + 1];
            let mut fds = Vec::new(); // anything the proxy attaches is closed
            let got = lxc_proto::fdpass::recv(conn.as_fd(), &mut buf, &mut fds);
            let len = match got {
                Ok(0) => {
                    n.disconnect(registry, &mut self.sources);
                    break;
                }
                Ok(len) => len,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    n.disconnect(registry, &mut self.sources);
                    break;
                }
            };
            let Some((listener, id)) = n.in_flight.take() else {
                continue; // nothing asked: ignored
            };
            self.timers.cancel(TimerKind::SeccompProxy);
            match seccomp_proxy::decode_reply(&buf[..len], id) {
                Ok(resp) => n.answer(listener, &resp),
                Err(e) => {
                    n.warn(format_args!(
                        "{}: an answer was refused: {e}",
                        n.proxy.clone()
                    ));
                    n.answer(listener, &seccomp_proxy::enosys(id));
                    // Out of step with it: a new connection for the next call.
                    n.disconnect(registry, &mut self.sources);
                }
            }
        }
        if n.conn.is_none() {
            if let Some((listener, id)) = n.in_flight.take() {
                self.timers.cancel(TimerKind::SeccompProxy);
                n.warn(format_args!("{} closed the connection", n.proxy.clone()));
                n.answer(listener, &seccomp_proxy::enosys(id));
            }
        }
        self.seccomp_pump();
    }

    /// The proxy did not answer in time: ENOSYS, and a new connection for the next call (a
    /// late answer must not be taken for another call's).
    pub(crate) fn on_seccomp_timeout(&mut self) {
        let Some(n) = self.notifier.as_deref_mut() else {
            return;
        };
        if let Some((listener, id)) = n.in_flight.take() {
            let ms = n.timeout.as_millis();
            n.warn(format_args!(
                "{} did not answer within {ms} ms",
                n.proxy.clone()
            ));
            n.answer(listener, &seccomp_proxy::enosys(id));
            n.disconnect(self.poll.registry(), &mut self.sources);
        }
        self.seccomp_pump();
    }
}

enum Ready {
    Calls,
    None,
    /// Every process of its filter is gone.
    Gone,
}

/// What the listener has now (poll(2), no wait): NOTIF_RECV blocks unless a call waits.
fn readiness(fd: &OwnedFd) -> Ready {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => {
            let got = fds[0].revents().unwrap_or(PollFlags::empty());
            if got.contains(PollFlags::POLLIN) {
                Ready::Calls
            } else if got.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
            {
                Ready::Gone
            } else {
                Ready::None
            }
        }
        Err(_) => Ready::None,
    }
}
