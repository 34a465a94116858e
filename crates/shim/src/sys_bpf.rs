//! bpf(2) for cgroup2 device programs (`lxc.cgroup2.devices.*`): each call a thin wrapper with its
//! `SAFETY:` reason, beside `sys.rs`.
use nix::errno::Errno;
use std::os::fd::RawFd;

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
