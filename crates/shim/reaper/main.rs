//! lxc-init: the process an application container (`lxc-execute`) keeps as its pid 1 once
//! COMMAND runs. The shim's init sets the container up in a clone of the shim, starts COMMAND
//! and then executes this program in its place (from an execute-only file the shim writes:
//! see `src/reaper.rs`), so that what stays for the container's whole life is a page or two
//! of its own rather than a copy of the shim's heap, stack and relocated data: a page either
//! of two processes writes after a fork is a page of each of them.
//!
//! It has no standard library and no libc (their start-up alone writes a dozen pages): a
//! `_start` of its own and raw system calls, for x86_64 and aarch64 (`crates/shim/build.rs`
//! builds it; elsewhere the init stays a copy of the shim). It takes over with every signal
//! blocked (the mask survives the exec) and does what `logic.rs` says; it allocates nothing
//! and reads nothing from the container but wait statuses and signal numbers. Parameters
//! come in its environment: `LXC_INIT_COMMAND=PID` (COMMAND) and `LXC_INIT_CHANNEL=FD` (its
//! end of the init channel).
#![no_std]
#![no_main]

#[path = "logic.rs"]
mod logic;

use core::arch::{asm, global_asm};
use logic::{env_value, exited_message, parse_number, supervise, Reaped, Sys, MESSAGE_MAX};

#[cfg(target_arch = "x86_64")]
mod nr {
    pub const RT_SIGTIMEDWAIT: usize = 128;
    pub const WAIT4: usize = 61;
    pub const KILL: usize = 62;
    pub const SENDTO: usize = 44;
    pub const PRCTL: usize = 157;
    pub const GETPID: usize = 39;
    pub const EXIT_GROUP: usize = 231;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    pub const RT_SIGTIMEDWAIT: usize = 137;
    pub const WAIT4: usize = 260;
    pub const KILL: usize = 129;
    pub const SENDTO: usize = 206;
    pub const PRCTL: usize = 167;
    pub const GETPID: usize = 172;
    pub const EXIT_GROUP: usize = 94;
}

const EINTR: isize = 4;
const WNOHANG: usize = 1;
const PR_SET_DUMPABLE: usize = 4;
const PR_SET_NAME: usize = 15;
const MSG_NOSIGNAL: usize = 0x4000;

// The kernel starts us with the stack pointer at argc (then argv, NULL, envp, NULL).
#[cfg(target_arch = "x86_64")]
global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym entry,
);

#[cfg(target_arch = "aarch64")]
global_asm!(
    ".globl _start",
    "_start:",
    "mov x29, xzr",
    "mov x30, xzr",
    "mov x0, sp",
    "bl {entry}",
    "brk #0",
    entry = sym entry,
);

/// A system call with up to six arguments; returns the kernel's result (-errno on failure).
///
/// # Safety
/// The arguments must be what system call `n` expects (valid pointers where it takes any).
#[cfg(target_arch = "x86_64")]
unsafe fn syscall(n: usize, a: [usize; 6]) -> isize {
    let r: isize;
    // SAFETY: the caller passes arguments valid for system call `n`; `syscall` clobbers only
    // rcx and r11 besides rax, as declared.
    unsafe {
        asm!("syscall", inlateout("rax") n as isize => r,
             in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
             in("r10") a[3], in("r8") a[4], in("r9") a[5],
             lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// A system call with up to six arguments; returns the kernel's result (-errno on failure).
///
/// # Safety
/// The arguments must be what system call `n` expects (valid pointers where it takes any).
#[cfg(target_arch = "aarch64")]
unsafe fn syscall(n: usize, a: [usize; 6]) -> isize {
    let r: isize;
    // SAFETY: the caller passes arguments valid for system call `n`; `svc 0` returns in x0
    // and clobbers nothing else.
    unsafe {
        asm!("svc 0", in("x8") n,
             inlateout("x0") a[0] as isize => r, in("x1") a[1], in("x2") a[2],
             in("x3") a[3], in("x4") a[4], in("x5") a[5], options(nostack));
    }
    r
}

fn exit(code: i32) -> ! {
    loop {
        // SAFETY: exit_group takes an integer and does not return.
        unsafe { syscall(nr::EXIT_GROUP, [code as usize, 0, 0, 0, 0, 0]) };
    }
}

struct Raw;

impl Sys for Raw {
    fn reap(&mut self) -> Reaped {
        let mut st: i32 = 0;
        loop {
            let p = core::ptr::addr_of_mut!(st) as usize;
            // SAFETY: `st` is a writable int for the call; a null rusage is allowed.
            let r = unsafe { syscall(nr::WAIT4, [usize::MAX, p, WNOHANG, 0, 0, 0]) };
            if r > 0 {
                return Reaped::Child(r as i32, st);
            }
            if r == 0 {
                return Reaped::NoneYet;
            }
            if r != -EINTR {
                return Reaped::NoChildren;
            }
        }
    }

    fn wait_signal(&mut self) -> i32 {
        // Every signal: the kernel's sigset is 64 bits here.
        let set: u64 = u64::MAX;
        loop {
            let p = core::ptr::addr_of!(set) as usize;
            // SAFETY: `set` is a readable 8-byte sigset; null info and timeout are allowed.
            let r = unsafe { syscall(nr::RT_SIGTIMEDWAIT, [p, 0, 0, 8, 0, 0]) };
            if r > 0 {
                return r as i32;
            }
        }
    }

    fn kill(&mut self, pid: i32, sig: i32) {
        // SAFETY: kill takes two integers.
        unsafe { syscall(nr::KILL, [pid as isize as usize, sig as usize, 0, 0, 0, 0]) };
    }
}

/// The bytes of the NUL-terminated string at `p`.
///
/// # Safety
/// `p` points to a NUL-terminated string that lives as long as the process.
unsafe fn c_bytes(p: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated (caller's contract): we stop at the NUL. A
    // volatile read, or the compiler makes this loop a call to strlen, which is not here.
    while unsafe { core::ptr::read_volatile(p.add(n)) } != 0 {
        n += 1;
    }
    // SAFETY: `n` bytes from `p` were just read, and the string lives for the process.
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// Where `_start` lands with the initial stack.
///
/// # Safety
/// `sp` is the stack pointer the kernel started the process with.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: the kernel's initial stack: argc, argc pointers, NULL, then the environment's
    // pointers up to a NULL, all valid for the process's life.
    let (cmd, chan) = unsafe {
        let argc = *sp;
        let mut envp = sp.add(argc + 2) as *const *const u8;
        let (mut cmd, mut chan) = (None, None);
        while !(*envp).is_null() {
            let entry = c_bytes(*envp);
            cmd = cmd.or(env_value(entry, b"LXC_INIT_COMMAND").and_then(parse_number));
            chan = chan.or(env_value(entry, b"LXC_INIT_CHANNEL").and_then(parse_number));
            envp = envp.add(1);
        }
        (cmd, chan)
    };
    // SAFETY: prctl with integers, and a NUL-terminated name that outlives the call.
    unsafe {
        syscall(nr::PRCTL, [PR_SET_DUMPABLE, 0, 0, 0, 0, 0]);
        syscall(nr::PRCTL, [PR_SET_NAME, c"lxc-init".as_ptr() as usize, 0, 0, 0, 0]);
    }
    // Only a pid namespace's first process may act as its init: elsewhere the kill of
    // everything else once COMMAND ends would reach far more than a container.
    // SAFETY: getpid takes nothing.
    let pid = unsafe { syscall(nr::GETPID, [0; 6]) };
    let (Some(cmd), Some(chan), 1) = (cmd, chan, pid) else {
        exit(125)
    };
    let status = supervise(&mut Raw, cmd);
    let mut buf = [0u8; MESSAGE_MAX];
    let n = exited_message(status, &mut buf);
    // SAFETY: `buf` holds `n` initialised bytes; a null address with length 0 is allowed.
    unsafe {
        let p = buf.as_ptr() as usize;
        syscall(nr::SENDTO, [chan as usize, p, n, MSG_NOSIGNAL, 0, 0]);
    }
    exit(status.shell_code())
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(125)
}
