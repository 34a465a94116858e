//! Every raw syscall of the shim and the container's init, each behind a small safe function.
//! This is the only module allowed to use `unsafe`; each block says why it is sound.
use nix::errno::Errno;
use nix::sys::signal::{SigHandler, Signal};
use nix::unistd::Pid;
use std::os::fd::RawFd;

/// Result of a fork-like call.
pub enum Forked {
    Parent(Pid),
    Child,
}

/// `fork(2)`. Sound here because the shim and the init are single-threaded: no other thread can
/// hold a lock (malloc's included) that the child would inherit locked.
pub fn fork() -> nix::Result<Forked> {
    // SAFETY: the caller is single-threaded (the shim never starts a thread), so the child may
    // run arbitrary code, allocation included, after the fork.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent(child)),
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
    }
}

/// `clone(2)` with fork semantics (no new stack: the child runs on a copy of ours) and new
/// namespaces from `flags`; the child sends SIGCHLD when it ends.
pub fn clone_fork(flags: libc::c_int) -> nix::Result<Forked> {
    // SAFETY: with a null stack the raw clone syscall behaves like fork(2): the child continues
    // on a copy-on-write copy of the caller's stack. The caller is single-threaded (see `fork`).
    // glibc's fork handlers do not run, which is fine: no pthread_atfork handlers are used and
    // glibc no longer caches the pid.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (flags | libc::SIGCHLD) as libc::c_ulong,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_int>(),
            std::ptr::null_mut::<libc::c_int>(),
            0 as libc::c_ulong,
        )
    };
    match ret {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Pid::from_raw(pid as i32))),
    }
}

/// Restores the default disposition of every catchable signal (the shim's handlers must not
/// run in the container's init or COMMAND).
pub fn reset_signal_handlers() {
    for sig in 1..=libc::SIGRTMAX() {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL has no memory-safety preconditions; invalid numbers (the
        // two glibc-reserved RT signals) fail with EINVAL, which is ignored.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
}

/// Sets `sig` to be ignored (used for SIGPIPE in the shim).
pub fn ignore_signal(sig: Signal) -> nix::Result<()> {
    // SAFETY: SIG_IGN is not a handler function, so no async-signal-safety concerns arise.
    unsafe { nix::sys::signal::signal(sig, SigHandler::SigIgn) }.map(drop)
}

/// Waits for any signal of the (fully blocked) mask; returns its number.
pub fn wait_any_signal() -> nix::Result<i32> {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises the set it is given.
    unsafe { libc::sigfillset(set.as_mut_ptr()) };
    loop {
        // SAFETY: `set` was initialised by sigfillset above; a null siginfo pointer is allowed.
        let r = unsafe { libc::sigwaitinfo(set.as_ptr(), std::ptr::null_mut()) };
        if r >= 0 {
            return Ok(r);
        }
        match Errno::last() {
            Errno::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// Sends signal number `sig` (any number, real-time ones included) to `pid`.
pub fn send_signal(pid: Pid, sig: i32) -> nix::Result<()> {
    // SAFETY: kill(2) has no memory-safety preconditions.
    Errno::result(unsafe { libc::kill(pid.as_raw(), sig) }).map(drop)
}

/// Closes every descriptor from `first` up.
pub fn close_fds_from(first: RawFd) -> nix::Result<()> {
    // SAFETY: close_range only closes descriptors; the callers own all of them at this point
    // (the init after its fork: nothing else in the process uses them).
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0,
        )
    };
    Errno::result(r).map(drop)
}

/// Closes every descriptor above 2 except those in `keep`: a shim must not hold on to what
/// its launcher happened to leave open (pipes of a test harness, a terminal, sockets).
pub fn close_fds_except(keep: &[RawFd]) -> nix::Result<()> {
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|&fd| fd > 2).collect();
    keep.sort_unstable();
    keep.dedup();
    let mut first = 3;
    for fd in keep {
        if fd > first {
            // SAFETY: closes only descriptors the caller does not use (all but `keep`).
            let r = unsafe {
                libc::syscall(
                    libc::SYS_close_range,
                    first as libc::c_uint,
                    (fd - 1) as libc::c_uint,
                    0,
                )
            };
            Errno::result(r)?;
        }
        first = fd + 1;
    }
    close_fds_from(first)
}

/// Marks every descriptor from `first` up close-on-exec: what runs after an exec (COMMAND)
/// starts with none of ours, while the caller keeps using them until then.
pub fn cloexec_from(first: RawFd) -> nix::Result<()> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors; it closes
    // nothing and touches no memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    Errno::result(r).map(drop)
}

/// The first 4 KiB of a regular file, never following a symlink at its last component nor
/// blocking on a FIFO; `None` when it cannot be read so.
pub fn read_small(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    f.take(4096).read_to_string(&mut text).ok()?;
    Some(text)
}

/// personality(2): `persona` for this process and what it executes.
pub fn set_personality(persona: libc::c_ulong) -> nix::Result<()> {
    // SAFETY: personality(2) takes a number and touches no memory of ours.
    let r = unsafe { libc::personality(persona) };
    Errno::result(r).map(drop)
}

/// Makes `cmd` start with only its stdio: every other descriptor of ours is marked
/// close-on-exec in the child, just before its exec.
pub fn close_fds_on_exec(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and makes one syscall
    // (close_range), which is async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(|| cloexec_from(3).map_err(std::io::Error::from));
    }
}

/// `dup2(2)` onto a fixed number, for the init's stdio. The caller must own `to` or know it free.
pub fn dup_onto(from: RawFd, to: RawFd) -> nix::Result<()> {
    if from == to {
        return clear_cloexec(to);
    }
    // SAFETY: dup2 has no memory-safety preconditions; the descriptor table change is intended.
    Errno::result(unsafe { libc::dup2(from, to) }).map(drop)
}

/// Clears FD_CLOEXEC so that `fd` survives exec.
pub fn clear_cloexec(fd: RawFd) -> nix::Result<()> {
    // SAFETY: fcntl F_SETFD on an integer descriptor has no memory-safety preconditions.
    Errno::result(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }).map(drop)
}

/// Sets FD_CLOEXEC.
pub fn set_cloexec(fd: RawFd) -> nix::Result<()> {
    // SAFETY: fcntl F_SETFD on an integer descriptor has no memory-safety preconditions.
    Errno::result(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }).map(drop)
}

/// Writes all of `buf` to a raw descriptor (used by the init and the exec-error pipe).
pub fn write_raw(fd: RawFd, buf: &[u8]) -> nix::Result<()> {
    // SAFETY: `buf` is a valid slice for its whole length.
    let r = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    Errno::result(r).map(drop)
}

/// Gives the heap's free pages back to the kernel (`malloc_trim(3)`): a shim and an init live
/// as long as their container, and what start-up allocated and freed would otherwise stay
/// resident in each.
pub fn trim_heap() {
    // SAFETY: malloc_trim only returns free memory of glibc's allocator to the kernel; it has
    // no preconditions (the process is single-threaded, and no allocation is in progress).
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Ends the process at once, without running atexit handlers or flushing stdio (after fork).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}

/// Borrows a descriptor that stays open for the rest of the process (the init's sync channel).
pub fn borrow_fd(fd: RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only called for descriptors that the caller keeps open until it exits.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// Takes ownership of a descriptor inherited from the parent process by number.
pub fn adopt_fd(fd: RawFd) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // Refuse numbers that are not open, so that we never own a descriptor twice by mistake.
    // SAFETY: F_GETFD only queries the descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the descriptor is open (checked above) and the caller has just made it (with
    // F_DUPFD_CLOEXEC): nothing else in this process refers to it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Rewrites the process's command line as `ps` shows it (the shim and the init are forks of
/// lxc-execute, whose arguments would otherwise show). The title is cut to the space the
/// original arguments took.
pub fn set_cmdline(title: &str) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // proc(5): arg_start and arg_end are fields 48 and 49; `rest` starts at field 3.
    let parse = |i: usize| fields.get(i).and_then(|f| f.parse::<usize>().ok());
    let (Some(start), Some(end)) = (parse(45), parse(46)) else {
        return;
    };
    if end <= start + 1 || start == 0 {
        return;
    }
    let len = end - start;
    let n = title.len().min(len - 1);
    // SAFETY: [arg_start, arg_end) is the argument area the kernel mapped for this process
    // (on its stack), writable and owned by it. Nothing reads the original arguments after
    // this point: the shim and the init never look at std::env::args.
    unsafe {
        let dst = start as *mut u8;
        std::ptr::copy_nonoverlapping(title.as_ptr(), dst, n);
        std::ptr::write_bytes(dst.add(n), 0, len - n);
    }
}

/// Loads a `BPF_PROG_TYPE_CGROUP_DEVICE` program (`insns`: `struct bpf_insn`s, 8 bytes each).
pub fn bpf_load_device_program(insns: &[u64]) -> nix::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    const BPF_PROG_LOAD: libc::c_long = 5;
    const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
    let license = c"GPL";
    // union bpf_attr for BPF_PROG_LOAD: prog_type u32 @0, insn_cnt u32 @4, insns u64 @8,
    // license u64 @16; the rest (log, kernel version, flags, name...) zero.
    let mut attr = [0u8; 128];
    attr[0..4].copy_from_slice(&BPF_PROG_TYPE_CGROUP_DEVICE.to_ne_bytes());
    attr[4..8].copy_from_slice(&(insns.len() as u32).to_ne_bytes());
    attr[8..16].copy_from_slice(&(insns.as_ptr() as u64).to_ne_bytes());
    attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_ne_bytes());
    // SAFETY: bpf(2) reads `attr` (128 bytes, as passed) and, through it, `insns` and the
    // license string, which outlive the call; it writes nothing into our memory (no log).
    let fd = unsafe { libc::syscall(libc::SYS_bpf, BPF_PROG_LOAD, attr.as_ptr(), attr.len()) };
    Errno::result(fd)?;
    // SAFETY: on success bpf(2) returns a new descriptor that nothing else owns.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Attaches device program `prog` to the cgroup2 group open at `cgroup` (BPF_F_ALLOW_MULTI:
/// programs of the groups above keep applying too).
pub fn bpf_attach_device_program(
    cgroup: std::os::fd::BorrowedFd<'_>,
    prog: std::os::fd::BorrowedFd<'_>,
) -> nix::Result<()> {
    use std::os::fd::AsRawFd;
    const BPF_PROG_ATTACH: libc::c_long = 8;
    const BPF_CGROUP_DEVICE: u32 = 6;
    const BPF_F_ALLOW_MULTI: u32 = 2;
    // union bpf_attr for BPF_PROG_ATTACH: target_fd u32 @0, attach_bpf_fd u32 @4,
    // attach_type u32 @8, attach_flags u32 @12.
    let mut attr = [0u8; 32];
    attr[0..4].copy_from_slice(&(cgroup.as_raw_fd() as u32).to_ne_bytes());
    attr[4..8].copy_from_slice(&(prog.as_raw_fd() as u32).to_ne_bytes());
    attr[8..12].copy_from_slice(&BPF_CGROUP_DEVICE.to_ne_bytes());
    attr[12..16].copy_from_slice(&BPF_F_ALLOW_MULTI.to_ne_bytes());
    // SAFETY: bpf(2) only reads `attr` (32 bytes, as passed); both descriptors are open.
    let r = unsafe { libc::syscall(libc::SYS_bpf, BPF_PROG_ATTACH, attr.as_ptr(), attr.len()) };
    Errno::result(r).map(drop)
}
