//! The raw syscalls of confinement (capability sets, seccomp), each behind a small safe
//! function: the one module besides `sys.rs` allowed `unsafe`, kept apart so that the
//! capability and seccomp steps (shared with lxc-attach) stay in one place.
use nix::errno::Errno;

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAP_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct` (capget(2)).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct` (capget(2)); two of them hold 64 bits per set.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// A process's three capability sets, as 64-bit masks (bit N = capability N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

/// capget(2) of this thread.
pub fn capget() -> nix::Result<CapSets> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: the header and a 2-element data array of the layout capget(2) documents for
    // version 3 are valid for the kernel to read and write during the call.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    Errno::result(r)?;
    let join = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
    Ok(CapSets {
        effective: join(data[0].effective, data[1].effective),
        permitted: join(data[0].permitted, data[1].permitted),
        inheritable: join(data[0].inheritable, data[1].inheritable),
    })
}

/// capset(2) of this thread.
pub fn capset(sets: CapSets) -> nix::Result<()> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let split = |v: u64| (v as u32, (v >> 32) as u32);
    let (e0, e1) = split(sets.effective);
    let (p0, p1) = split(sets.permitted);
    let (i0, i1) = split(sets.inheritable);
    let data = [
        CapData {
            effective: e0,
            permitted: p0,
            inheritable: i0,
        },
        CapData {
            effective: e1,
            permitted: p1,
            inheritable: i1,
        },
    ];
    // SAFETY: as in `capget`; the kernel only reads the data array here.
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    Errno::result(r).map(drop)
}

/// `prctl(PR_CAPBSET_DROP, cap)`: removes `cap` from the bounding set.
pub fn drop_bounding(cap: u32) -> nix::Result<()> {
    // SAFETY: PR_CAPBSET_DROP takes a number and touches no memory of ours.
    let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0, 0, 0) };
    Errno::result(r).map(drop)
}

/// `prctl(PR_CAPBSET_READ, cap)`: whether `cap` is in the bounding set (`EINVAL`: the kernel
/// knows no such capability).
pub fn in_bounding(cap: u32) -> nix::Result<bool> {
    // SAFETY: PR_CAPBSET_READ takes a number and touches no memory of ours.
    let r = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0, 0, 0) };
    Errno::result(r).map(|v| v == 1)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap)`.
pub fn lower_ambient(cap: u32) -> nix::Result<()> {
    // SAFETY: PR_CAP_AMBIENT takes numbers and touches no memory of ours.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_LOWER as libc::c_ulong,
            libc::c_ulong::from(cap),
            0,
            0,
        )
    };
    Errno::result(r).map(drop)
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, program)`: installs a classic BPF filter on this
/// thread (and what it executes). Needs no_new_privs or CAP_SYS_ADMIN in the effective set.
pub fn install_filter(program: &[libc::sock_filter]) -> nix::Result<()> {
    set_mode_filter(program, 0).map(drop)
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, program)`: what the call returns (a listener's
/// descriptor with SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0).
pub fn set_mode_filter(
    program: &[libc::sock_filter],
    flags: libc::c_uint,
) -> nix::Result<libc::c_long> {
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
            flags,
            &prog as *const libc::sock_fprog,
        )
    };
    Errno::result(r)
}
