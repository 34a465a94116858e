//! The raw calls of seccomp's user notification (seccomp(2), seccomp_unotify(2)): installing a
//! filter with a listener, the structure sizes, and the listener's ioctls, each behind a small
//! safe function (one of the modules allowed `unsafe`, beside `sys_confine.rs`).
use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// `struct seccomp_notif` (80 bytes on every kernel so far).
pub type Notif = libc::seccomp_notif;
/// `struct seccomp_notif_resp` (24 bytes).
pub type NotifResp = libc::seccomp_notif_resp;

/// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, program)`: installs
/// `program` on this thread and returns its listener (close-on-exec). A task has at most one
/// filter with a listener (EBUSY for a second).
pub fn install_filter_listener(program: &[libc::sock_filter]) -> nix::Result<OwnedFd> {
    let flags = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as libc::c_uint;
    let fd = crate::sys_confine::set_mode_filter(program, flags)?;
    // SAFETY: on success the call returns a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `seccomp(SECCOMP_GET_NOTIF_SIZES)`: the kernel's sizes of the notification structures.
pub fn notif_sizes() -> nix::Result<libc::seccomp_notif_sizes> {
    let mut sizes = libc::seccomp_notif_sizes {
        seccomp_notif: 0,
        seccomp_notif_resp: 0,
        seccomp_data: 0,
    };
    // SAFETY: the kernel writes one `struct seccomp_notif_sizes` (three u16s) into `sizes`,
    // which is valid for writes across the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_NOTIF_SIZES,
            0 as libc::c_uint,
            &mut sizes as *mut libc::seccomp_notif_sizes,
        )
    };
    Errno::result(r).map(|_| sizes)
}

/// `SECCOMP_IOCTL_NOTIF_RECV`: the next pending notification. It blocks while none is
/// pending, whatever O_NONBLOCK says: call it only when poll(2) has just said POLLIN, and
/// have nobody else read the listener. ENOENT: the caller was gone (or interrupted) first.
/// The caller checks (see `notifier.rs`) that the kernel's structure is no larger than ours.
pub fn notif_recv(listener: BorrowedFd<'_>) -> nix::Result<Notif> {
    // SAFETY: an all-zero `seccomp_notif` is valid (plain integers), and the kernel demands
    // a zeroed buffer.
    let mut notif: Notif = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel writes at most its `seccomp_notif`, which `notifier.rs` has checked
    // to be no larger than ours, into `notif`, valid for writes across the call.
    let r = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut notif as *mut Notif,
        )
    };
    Errno::result(r).map(|_| notif)
}

/// How long a receive may wait in the kernel (see [`notif_recv_within`]).
pub const RECV_LIMIT: std::time::Duration = std::time::Duration::from_millis(20);

/// [`notif_recv`], bounded: a reader that beat the shim to the call poll(2) announced (a proxy
/// that reads the listener it was handed) would leave the receive waiting for the
/// container's next notified call. A one-shot timer aimed at this thread ends the wait after
/// `limit` with EINTR (its handler has no SA_RESTART). Without a timer (none could be
/// made) the receive is unbounded, as before.
pub fn notif_recv_within(
    listener: BorrowedFd<'_>,
    limit: std::time::Duration,
) -> nix::Result<Notif> {
    let timer = alarm_for_this_thread(limit);
    let got = notif_recv(listener);
    drop(timer);
    got
}

/// SIGALRM's handler: does nothing; its delivery interrupts the receive.
extern "C" fn on_alarm(_: libc::c_int) {}

/// A timer that sends this thread SIGALRM once, after `after` (deleted when dropped).
fn alarm_for_this_thread(after: std::time::Duration) -> Option<nix::sys::timer::Timer> {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigevNotify, Signal};
    use nix::sys::time::TimeSpec;
    use nix::sys::timer::{Expiration, Timer, TimerSetTimeFlags};
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        let action = SigAction::new(
            SigHandler::Handler(on_alarm),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing (async-signal-safe by being empty); SIGALRM is
        // the shim's for this alone (nothing else arms or handles it). No SA_RESTART: the
        // kernel would restart the receive's wait (ERESTARTSYS) instead of ending it. The
        // signal is delivered before the timer's deletion returns, so it can interrupt no
        // other call.
        if let Err(e) = unsafe { nix::sys::signal::sigaction(Signal::SIGALRM, &action) } {
            log::warn!("SIGALRM handler: {}", e.desc());
        }
    });
    let event = SigevNotify::SigevThreadId {
        signal: Signal::SIGALRM,
        thread_id: nix::unistd::gettid().as_raw(),
        si_value: 0,
    };
    let mut timer = Timer::new(
        nix::time::ClockId::CLOCK_MONOTONIC,
        nix::sys::signal::SigEvent::new(event),
    )
    .ok()?;
    timer
        .set(
            Expiration::OneShot(TimeSpec::from_duration(after)),
            TimerSetTimeFlags::empty(),
        )
        .ok()?;
    Some(timer)
}

/// `SECCOMP_IOCTL_NOTIF_SEND`: answers notification `resp.id`.
pub fn notif_send(listener: BorrowedFd<'_>, resp: &NotifResp) -> nix::Result<()> {
    let mut resp = *resp;
    // SAFETY: the kernel reads one `seccomp_notif_resp` from `resp`, valid across the call.
    let r = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &mut resp as *mut NotifResp,
        )
    };
    Errno::result(r).map(drop)
}

/// `SECCOMP_IOCTL_NOTIF_ID_VALID`: whether notification `id` is still pending (its caller
/// still waits: what was opened by its pid is the caller's).
pub fn notif_id_valid(listener: BorrowedFd<'_>, id: u64) -> bool {
    let mut id = id;
    // SAFETY: the kernel reads one u64 from `id`, valid across the call.
    let r = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
            &mut id as *mut u64,
        )
    };
    r == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::time::{Duration, Instant};

    /// A child under a filter with a listener that never notifies (every call allowed):
    /// nothing is ever pending, as after a reader that beat the shim to a call.
    #[test]
    fn a_receive_with_nothing_pending_ends_after_its_limit() {
        let (ours, theirs) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Datagram,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let allow = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        }];
        // SAFETY: the child only installs the filter, sends one datagram and waits to be
        // killed, then _exits; it returns to nothing of the test harness.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                if let Ok(fd) = install_filter_listener(&allow) {
                    let _ = lxc_proto::fdpass::send(theirs.as_fd(), b"l", &[fd.as_fd()]);
                }
                loop {
                    nix::unistd::pause();
                }
            }
            nix::unistd::ForkResult::Parent { child } => {
                struct Reap(nix::unistd::Pid);
                impl Drop for Reap {
                    fn drop(&mut self) {
                        let _ = nix::sys::signal::kill(self.0, nix::sys::signal::SIGKILL);
                        let _ = nix::sys::wait::waitpid(self.0, None);
                    }
                }
                let _reap = Reap(child);
                drop(theirs);
                let mut buf = [0u8; 4];
                let mut fds = Vec::new();
                lxc_proto::fdpass::recv(ours.as_fd(), &mut buf, &mut fds).unwrap();
                let listener = fds.pop().expect("the child's listener");
                let started = Instant::now();
                let got = notif_recv_within(listener.as_fd(), Duration::from_millis(50));
                assert_eq!(got.err(), Some(Errno::EINTR));
                assert!(started.elapsed() < Duration::from_secs(5));
            }
        }
    }
}
