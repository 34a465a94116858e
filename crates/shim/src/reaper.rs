//! lxc-init, the program an application container's init becomes once COMMAND runs
//! (`crates/shim/reaper`, built by `build.rs`): its bytes, embedded, and how the init
//! executes them. The logic it runs (`reaper/logic.rs`) is tested here with a fake kernel.
use std::ffi::CString;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd, RawFd};

/// The program (empty where it is not built: see `build.rs`).
const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lxc-init"));

/// Executes lxc-init from a sealed memfd (nothing of the host's filesystem is involved, and
/// nobody can change what runs) with COMMAND's pid and the channel's descriptor in its
/// environment. The signal mask (all blocked), pending signals, children and the channel
/// carry over the exec. Returns only on failure, with why.
pub fn become_reaper(cmd: i32, channel: RawFd) -> String {
    if PROGRAM.is_empty() {
        return "lxc-init is not built for this architecture".into();
    }
    let memfd = match program_memfd() {
        Ok(fd) => fd,
        Err(e) => return format!("make lxc-init's memfd: {}", e.desc()),
    };
    let argv = [c"lxc-init"];
    let env = [
        CString::new(format!("LXC_INIT_COMMAND={cmd}")),
        CString::new(format!("LXC_INIT_CHANNEL={channel}")),
    ];
    let [Ok(command), Ok(chan)] = env else {
        return "lxc-init's environment".into();
    };
    let Err(e) = nix::unistd::fexecve(memfd.as_fd(), &argv, &[command, chan]);
    format!("execute lxc-init: {}", e.desc())
}

fn program_memfd() -> nix::Result<OwnedFd> {
    use nix::fcntl::{fcntl, FcntlArg, SealFlag};
    use nix::sys::memfd::{memfd_create, MFdFlags};
    let flags = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
    // MFD_EXEC (Linux 6.3) says so where vm.memfd_noexec asks; older kernels refuse the flag.
    let fd = match memfd_create(
        c"lxc-init",
        flags | MFdFlags::from_bits_retain(libc::MFD_EXEC),
    ) {
        Err(nix::errno::Errno::EINVAL) => memfd_create(c"lxc-init", flags)?,
        other => other?,
    };
    let mut file = std::fs::File::from(fd);
    file.write_all(PROGRAM)
        .map_err(|e| nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
    let seals = SealFlag::F_SEAL_SEAL
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_WRITE;
    fcntl(&file, FcntlArg::F_ADD_SEALS(seals))?;
    Ok(OwnedFd::from(file))
}

#[cfg(test)]
#[path = "../reaper/logic.rs"]
#[allow(dead_code)]
mod logic;

#[cfg(test)]
mod tests {
    use super::logic::{self, Reaped, Status, Sys};
    use crate::init_channel::FromInit;
    use lxc_proto::ExitStatus;
    use std::collections::VecDeque;

    /// A kernel of our making: what waits return and which signals arrive, in order.
    struct Fake {
        reaps: VecDeque<Reaped>,
        signals: VecDeque<i32>,
        kills: Vec<(i32, i32)>,
    }

    impl Sys for Fake {
        fn reap(&mut self) -> Reaped {
            self.reaps.pop_front().unwrap_or(Reaped::NoChildren)
        }
        fn wait_signal(&mut self) -> i32 {
            self.signals
                .pop_front()
                .expect("the loop waited once too often")
        }
        fn kill(&mut self, pid: i32, sig: i32) {
            self.kills.push((pid, sig));
        }
    }

    fn fake<const R: usize, const S: usize>(reaps: [Reaped; R], signals: [i32; S]) -> Fake {
        Fake {
            reaps: reaps.into(),
            signals: signals.into(),
            kills: Vec::new(),
        }
    }

    fn message(s: Status) -> String {
        let mut buf = [0u8; logic::MESSAGE_MAX];
        let n = logic::exited_message(s, &mut buf);
        String::from_utf8(buf[..n].to_vec()).expect("ascii")
    }

    #[test]
    fn the_program_is_built_and_is_an_elf() {
        assert!(super::PROGRAM.starts_with(b"\x7fELF"));
        // A few kilobytes: no standard library, no libc.
        assert!(super::PROGRAM.len() < 16 * 1024, "{}", super::PROGRAM.len());
    }

    #[test]
    fn its_message_is_the_shims_exited() {
        for (s, want) in [
            (Status::Exited(0), ExitStatus::exited(0)),
            (Status::Exited(255), ExitStatus::exited(255)),
            (Status::Signaled(9), ExitStatus::signaled(9)),
        ] {
            let text = message(s);
            let got: FromInit = serde_json::from_str(&text).expect(&text);
            assert_eq!(got, FromInit::Exited { status: want });
            assert_eq!(s.shell_code(), want.shell_code());
        }
        assert_eq!(
            message(Status::Exited(i32::MIN)),
            r#"{"msg":"exited","status":{"code":-2147483648}}"#
        );
    }

    #[test]
    fn wait_statuses() {
        assert_eq!(Status::from_wait(3 << 8), Some(Status::Exited(3)));
        assert_eq!(Status::from_wait(9), Some(Status::Signaled(9)));
        assert_eq!(Status::from_wait(9 | 0x80), Some(Status::Signaled(9))); // core dumped
        assert_eq!(Status::from_wait(0x137f), None); // stopped by SIGSTOP
        assert_eq!(Status::from_wait(0xffff), None); // continued
    }

    #[test]
    fn parameters() {
        assert_eq!(logic::parse_number(b"123"), Some(123));
        assert_eq!(logic::parse_number(b"2147483647"), Some(i32::MAX));
        for bad in [&b"2147483648"[..], b"", b"-1", b"1x", b"99999999999"] {
            assert_eq!(logic::parse_number(bad), None);
        }
        assert_eq!(
            logic::env_value(b"LXC_INIT_COMMAND=5", b"LXC_INIT_COMMAND"),
            Some(&b"5"[..])
        );
        assert_eq!(
            logic::env_value(b"LXC_INIT_COMMANDX=5", b"LXC_INIT_COMMAND"),
            None
        );
    }

    #[test]
    fn command_ended_before_the_takeover_is_seen_at_once() {
        let mut k = fake([Reaped::Child(7, 4 << 8), Reaped::NoChildren], []);
        assert_eq!(logic::supervise(&mut k, 7), Status::Exited(4));
        assert_eq!(k.kills, [(-1, logic::SIGKILL)]);
    }

    #[test]
    fn signals_go_to_command_or_its_group_and_orphans_are_reaped() {
        let mut k = fake(
            [
                Reaped::NoneYet,
                // an orphan ends: reaped, nothing else happens
                Reaped::Child(30, 0),
                Reaped::NoneYet,
                // COMMAND is killed; then what it left behind goes
                Reaped::Child(7, 15),
                Reaped::Child(31, 9),
                Reaped::NoChildren,
            ],
            [15, logic::SIGINT, logic::SIGCHLD, logic::SIGCHLD],
        );
        assert_eq!(logic::supervise(&mut k, 7), Status::Signaled(15));
        assert_eq!(
            k.kills,
            [(7, 15), (-7, logic::SIGINT), (-1, logic::SIGKILL)]
        );
    }

    #[test]
    fn signals_after_command_ended_go_nowhere() {
        let mut k = fake(
            [Reaped::Child(7, 0), Reaped::NoneYet, Reaped::NoChildren],
            [logic::SIGINT, logic::SIGCHLD],
        );
        assert_eq!(logic::supervise(&mut k, 7), Status::Exited(0));
        assert_eq!(k.kills, [(-1, logic::SIGKILL)]);
    }
}
