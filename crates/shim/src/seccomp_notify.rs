//! The profile's `notify` action (SECCOMP_RET_USER_NOTIF), on the confined process's side.
//! seccompiler has no such action: `seccomp::compile` gives `notify` a placeholder answer no
//! profile can write (`errno` above the kernel's MAX_ERRNO), which `prepare` turns into
//! SECCOMP_RET_USER_NOTIF. The program that has it is installed with a listener when the
//! shim can forward calls (`lxc.seccomp.notify.proxy`); the process hands the listener to
//! its shim (`install`) and goes on to its exec. Without a listener the kernel answers every
//! such call with ENOSYS, which is what LXC answers when no proxy takes it.
use nix::errno::Errno;
use std::os::fd::{AsFd, BorrowedFd, IntoRawFd};

/// What `seccomp::compile` returns for `notify` (SECCOMP_RET_ERRNO with this data): errno
/// 65535, beyond MAX_ERRNO (4095), which the profile parser refuses to write.
pub const PLACEHOLDER: u32 = 0xffff;

/// The datagram that carries a listener to the shim: `FromInit::SeccompListener` on the
/// init channel (the same bytes on an attached process's hand-off socket). Written out so
/// that the confined process, which is about to exec, allocates nothing for it.
pub const LISTENER_MESSAGE: &[u8] = br#"{"msg":"seccomp-listener"}"#;

/// Turns every placeholder answer of `programs` into SECCOMP_RET_USER_NOTIF; returns which
/// program has it (at most one: the profile's `notify` rules share one program, and a
/// task can hold only one filter with a listener).
pub fn prepare(programs: &mut [Vec<libc::sock_filter>]) -> Option<usize> {
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let placeholder = libc::SECCOMP_RET_ERRNO | PLACEHOLDER;
    let mut found = None;
    for (i, program) in programs.iter_mut().enumerate() {
        for insn in program.iter_mut() {
            if insn.code == ret && insn.k == placeholder {
                insn.k = libc::SECCOMP_RET_USER_NOTIF;
                found.get_or_insert(i);
            }
        }
    }
    found
}

/// Installs `programs` on this process: the last step before exec. Program `listener` (when
/// the shim forwards calls) is installed with a listener, which goes to the shim through
/// `to` at once: any call of this process from then on may wait for the shim's answer.
pub fn install(
    programs: &[Vec<libc::sock_filter>],
    listener: Option<usize>,
    to: Option<BorrowedFd<'_>>,
) -> nix::Result<()> {
    for (i, program) in programs.iter().enumerate() {
        match (listener == Some(i), to) {
            (true, Some(to)) => {
                let fd = crate::sys_seccomp::install_filter_listener(program)?;
                let sent = lxc_proto::fdpass::send(to, LISTENER_MESSAGE, &[fd.as_fd()])
                    .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
                if sent != LISTENER_MESSAGE.len() {
                    return Err(Errno::EIO);
                }
                // Left to the exec to close (it is close-on-exec): close(2) may itself be a
                // call the filter notifies, and the shim may not have read it yet.
                let _ = fd.into_raw_fd();
            }
            _ => crate::sys_confine::install_filter(program)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::compile;
    use lxc_config::seccomp::parse_profile;

    fn rets(program: &[libc::sock_filter]) -> Vec<u32> {
        program
            .iter()
            .filter(|i| i.code == (libc::BPF_RET | libc::BPF_K) as u16)
            .map(|i| i.k)
            .collect()
    }

    #[test]
    fn notify_becomes_user_notif_in_one_program() {
        let mut p = compile(
            &parse_profile(
                "2\ndenylist\nmkdir notify\nmkdirat notify\nkexec_load errno 1\n",
                "p",
            )
            .unwrap(),
            "x86_64",
        )
        .unwrap();
        let i = prepare(&mut p).expect("a notify program");
        assert!(rets(&p[i]).contains(&libc::SECCOMP_RET_USER_NOTIF));
        for (j, program) in p.iter().enumerate() {
            let r = rets(program);
            assert!(!r.contains(&(libc::SECCOMP_RET_ERRNO | PLACEHOLDER)));
            if j != i {
                assert!(!r.contains(&libc::SECCOMP_RET_USER_NOTIF));
            }
        }
        // As a default action too (an allowlist that notifies the rest).
        let mut p = compile(
            &parse_profile("2\nallowlist notify\nread\nwrite\n", "p").unwrap(),
            "x86_64",
        )
        .unwrap();
        let i = prepare(&mut p).unwrap();
        assert!(rets(&p[i]).contains(&libc::SECCOMP_RET_USER_NOTIF));
        // Without notify nothing changes.
        let mut p = compile(
            &parse_profile("2\ndenylist\nmkdir errno 4095\n", "p").unwrap(),
            "x86_64",
        )
        .unwrap();
        let before: Vec<Vec<u32>> = p.iter().map(|q| rets(q)).collect();
        assert_eq!(prepare(&mut p), None);
        assert_eq!(before, p.iter().map(|q| rets(q)).collect::<Vec<_>>());
    }

    #[test]
    fn the_listener_message_is_the_init_channels() {
        let (from, _) = crate::init_channel::decode(LISTENER_MESSAGE);
        assert_eq!(from, Some(crate::init_channel::FromInit::SeccompListener));
    }
}
