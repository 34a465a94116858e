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
    let len = u16::try_from(program.len()).map_err(|_| Errno::E2BIG)?;
    let prog = libc::sock_fprog {
        len,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points to `len` valid instructions that live across the call; the
    // kernel copies them and keeps no pointer to our memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as libc::c_uint,
            &prog as *const libc::sock_fprog,
        )
    };
    let fd = Errno::result(r)?;
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
