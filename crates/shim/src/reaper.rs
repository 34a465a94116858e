//! lxc-init, the program an application container's init becomes once COMMAND runs
//! (`crates/shim/reaper`, built by `build.rs`): its bytes, embedded, the file they are run
//! from, and how the init executes it. The logic it runs (`reaper/logic.rs`) is tested here
//! with a fake kernel.
//!
//! The file is one per program version for every container of the host, in the run
//! directories' base (`/var/run/lxc/.lxc-init-HASH`): root's and execute-only (0111). Shared,
//! its page is in memory once for all containers; unreadable, the kernel makes the process
//! that executes it non-dumpable from the first instruction (no window in which COMMAND could
//! ptrace pid 1 or take its channel) and, in a user namespace, keeps its memory the host's to
//! inspect (the file's owner is not mapped there). CRIU checkpoints it as the file it is (an
//! exe on a memfd it cannot restore).
use std::ffi::CString;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The program (empty where it is not built: see `build.rs`).
const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lxc-init"));

/// The file's mode: anyone may execute it, nobody may read it.
const MODE: u32 = 0o111;

/// The program's file in `base` (made, or made again if it is not what it must be), for the
/// init to execute. Other versions' files there go (a running init keeps its own).
pub fn program_file(base: &Path) -> Result<PathBuf, String> {
    if PROGRAM.is_empty() {
        return Err("lxc-init is not built for this architecture".into());
    }
    let name = format!(".lxc-init-{:016x}", lxc_proto::paths::fnv1a(PROGRAM));
    let path = base.join(&name);
    if is_intact(&path) {
        return Ok(path);
    }
    let tmp = base.join(format!("{name}.{}", std::process::id()));
    let made = write_program(&tmp).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = made {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "write {}: {}",
            path.display(),
            lxc_proto::strerror(&e)
        ));
    }
    if let Ok(entries) = std::fs::read_dir(base) {
        for entry in entries.flatten() {
            let other = entry.file_name();
            if is_stale(&other.to_string_lossy(), &name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(path)
}

/// Another version's program file (`.lxc-init-HASH`), or the `.lxc-init-HASH.PID` of a writer
/// that is gone: a writer still at work (a shim starting now) keeps its file until its rename.
fn is_stale(other: &str, name: &str) -> bool {
    let Some(rest) = other.strip_prefix(".lxc-init-") else {
        return false;
    };
    if other == name {
        return false;
    }
    match rest.split_once('.') {
        None => true,
        Some((_, pid)) => match pid.parse::<i32>() {
            Ok(pid) if pid > 0 => {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
                    == Err(nix::errno::Errno::ESRCH)
            }
            _ => true,
        },
    }
}

/// Root's, execute-only, a regular file holding exactly the program.
fn is_intact(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.is_file()
        && meta.uid() == nix::unistd::geteuid().as_raw()
        && meta.mode() & 0o7777 == MODE
        && meta.len() == PROGRAM.len() as u64
        && std::fs::read(path).is_ok_and(|bytes| bytes == PROGRAM)
}

fn write_program(tmp: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    file.write_all(PROGRAM)?;
    file.set_permissions(std::fs::Permissions::from_mode(MODE))?;
    // A fixed time: a checkpoint names the file by path, size and time, and a restore (here or
    // on another host) finds the same whoever wrote it.
    file.set_modified(std::time::UNIX_EPOCH)?;
    file.sync_all()
}

/// Takes CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of the effective set (permitted keeps
/// them). Best effort: a process without them is already where this leads.
fn drop_effective_dac_override() {
    use crate::sys_confine::{capget, capset, CapSets};
    const DAC: u64 = (1 << 1) | (1 << 2); // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    if let Ok(sets) = capget() {
        let _ = capset(CapSets {
            effective: sets.effective & !DAC,
            ..sets
        });
    }
}

/// Executes lxc-init from `program` (an `O_PATH` descriptor of its file) with COMMAND's pid
/// and the channel's descriptor in its environment. The signal mask (all blocked), pending
/// signals, children and the channel carry over the exec. Returns only on failure, with why.
pub fn become_reaper(program: BorrowedFd<'_>, cmd: i32, channel: RawFd) -> String {
    let argv = [c"lxc-init"];
    let env = [
        CString::new(format!("LXC_INIT_COMMAND={cmd}")),
        CString::new(format!("LXC_INIT_CHANNEL={channel}")),
    ];
    let [Ok(command), Ok(chan)] = env else {
        return "lxc-init's environment".into();
    };
    // Root could read the file despite its mode; without these two in the effective set it
    // cannot, and so starts lxc-init non-dumpable. They come back with the exec.
    drop_effective_dac_override();
    let Err(e) = nix::unistd::fexecve(program.as_fd(), &argv, &[command, chan]);
    format!("execute lxc-init: {}", e.desc())
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
    use std::os::unix::fs::PermissionsExt;

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
    fn the_program_file_is_made_once_execute_only_and_made_again_when_wrong() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("lxc-reaper-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".lxc-init-0000000000000000"), b"old version").unwrap();
        let path = super::program_file(&dir).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o111);
        assert_eq!(meta.mtime(), 0);
        assert_eq!(std::fs::read(&path).unwrap(), super::PROGRAM);
        assert!(
            !dir.join(".lxc-init-0000000000000000").exists(),
            "old version kept"
        );
        // Tampered with (a root could): written again.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&path, b"not the program").unwrap();
        assert_eq!(super::program_file(&dir).unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), super::PROGRAM);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Shims starting at once on a fresh host (CI's first tests) each write the file under a
    /// name of their own and rename it: one that is done must not remove another's file in
    /// the middle of that (its rename failed, and its container's init stayed a copy of the
    /// shim). The file of a writer that is gone goes.
    #[test]
    fn another_writers_file_in_progress_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("lxc-reaper-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!(".lxc-init-{:016x}", lxc_proto::paths::fnv1a(super::PROGRAM));
        let writing = dir.join(format!("{name}.1")); // pid 1: a writer still there
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        gone.wait().unwrap();
        let left = dir.join(format!(".lxc-init-0000000000000000.{gone_pid}"));
        std::fs::write(&writing, b"half").unwrap();
        std::fs::write(&left, b"half").unwrap();
        super::program_file(&dir).unwrap();
        assert!(writing.exists(), "a writer's file in progress was removed");
        assert!(!left.exists(), "a gone writer's file was kept");
        std::fs::remove_dir_all(&dir).unwrap();
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
