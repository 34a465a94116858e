//! A container's terminals across a checkpoint (issue 15). Their masters are the shim's,
//! outside the tree CRIU dumps: at the dump each slave is named to CRIU as an external tty
//! (`--external tty[RDEV:DEV]`) and each mount that binds it inside the container
//! (/dev/console, /dev/ttyN) as an external mount, all recorded in `lxc-checkpoint.json`. At
//! the restore the new shim makes a new pty pair for each (on the host's devpts, as LXC's
//! console is), hands CRIU the slave in the old one's place (`--inherit-fd`, and the mounts
//! bound from the new slave's path), and keeps the master: lxc-console, the ring and the
//! console log go on as before. What sat in a pty's buffers at the dump is not kept.
use crate::terminals::{Terminals, TtyId};
use lxc_proto::checkpoint::{TermMode, Terminal};
use nix::fcntl::{open, OFlag};
use nix::sys::stat::{fstat, major, minor, stat, Mode};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::Path;

/// The numbered terminals the shim holds (not those of lxc-attach, whose processes are not
/// the container's tree): what CRIU needs to know of each slave, its size and mode.
pub fn describe(terms: &Terminals) -> Result<Vec<Terminal>, String> {
    let mut out = Vec::new();
    for t in &terms.ttys {
        let TtyId::Number(n) = t.id else { continue };
        let fail = |what: &str, e: nix::Error| format!("tty {n}: {what}: {}", e.desc());
        let slave =
            crate::sys_tty::pty_peer(t.master.as_fd()).map_err(|e| fail("open its slave", e))?;
        let st = fstat(&slave).map_err(|e| fail("stat its slave", e))?;
        out.push(Terminal {
            tty: n,
            key: format!("tty[{:x}:{:x}]", st.st_rdev, st.st_dev),
            mounts: Vec::new(),
            ctty: Vec::new(),
            size: crate::sys_tty::window_size(t.master.as_fd()).ok(),
            mode: nix::sys::termios::tcgetattr(&slave).ok().map(|m| {
                let m = libc::termios::from(m);
                TermMode {
                    iflag: m.c_iflag,
                    oflag: m.c_oflag,
                    cflag: m.c_cflag,
                    lflag: m.c_lflag,
                    cc: m.c_cc.to_vec(),
                }
            }),
        });
    }
    Ok(out)
}

/// Whether the open file `fd` (a `/proc/PID/fd/N`) is the slave of one of the terminals
/// (`keys`): the container holds it, CRIU takes it as an external tty, not as a file.
pub fn is_one_of(fd: &Path, keys: &std::collections::HashSet<&str>) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    if keys.is_empty() {
        return false;
    }
    match std::fs::metadata(fd) {
        Ok(m) if m.file_type().is_char_device() => {
            keys.contains(format!("tty[{:x}:{:x}]", m.rdev(), m.dev()).as_str())
        }
        _ => false,
    }
}

/// CRIU's device numbers in a key `tty[RDEV:DEV]`.
fn key_devs(key: &str) -> Option<(u64, u64)> {
    let inner = key.strip_prefix("tty[")?.strip_suffix(']')?;
    let (r, d) = inner.split_once(':')?;
    Some((
        u64::from_str_radix(r, 16).ok()?,
        u64::from_str_radix(d, 16).ok()?,
    ))
}

/// The pty's number in its devpts instance (`/dev/pts/N`): the slave's minor (major 136,
/// the kernel's minors reach far past 255).
fn pty_index(rdev: u64) -> u64 {
    minor(rdev)
}

/// Whether CRIU can take `path` inside `mnt[...]` (and we in a key): no brackets, colons,
/// commas, spaces or escapes.
fn nameable(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@".contains(&b))
}

/// Finds, in the container's mount table (`mountinfo`, from its init), the mounts that bind
/// each terminal's slave: a mount of the slave's devpts whose root is the pty itself.
pub fn find_mounts(mountinfo: &str, terms: &mut [Terminal]) -> Result<(), String> {
    for t in terms.iter_mut() {
        let Some((rdev, dev)) = key_devs(&t.key) else {
            return Err(format!("tty {}: bad key {}", t.tty, t.key));
        };
        let devno = format!("{}:{}", major(dev), minor(dev));
        let root = format!("/{}", pty_index(rdev));
        for line in mountinfo.lines() {
            let mut f = line.split(' ');
            let (Some(_), Some(_), Some(d), Some(r), Some(point)) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            if d != devno || r != root {
                continue;
            }
            if !nameable(point) {
                return Err(format!(
                    "tty {} is bound at {}, a path CRIU cannot name as an external mount",
                    t.tty,
                    lxc_proto::printable(&lxc_proto::shorten(point, 100))
                ));
            }
            t.mounts.push(point.to_string());
        }
    }
    Ok(())
}

/// The `/dev/tty` files the container's processes hold (an interactive shell with job control
/// keeps one): CRIU takes such a file for its holder's controlling terminal, which must then
/// be a pty of the tree, and refuses it otherwise. When all the holders of one have the same
/// terminal of ours as their controlling terminal, the file is an external of the dump that
/// the restore replaces with that terminal's new slave. CRIU names every such file by the one
/// inode of /dev/tty, so holders on different terminals of ours cannot all be restored.
pub fn find_ctty_files(procs: &[nix::unistd::Pid], terms: &mut [Terminal]) -> Result<(), String> {
    use std::collections::BTreeMap;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let devtty = nix::sys::stat::makedev(5, 0);
    // key -> the terminals of its holders (None: a terminal not ours)
    let mut found: BTreeMap<String, Vec<Option<u32>>> = BTreeMap::new();
    for pid in procs {
        let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(m) = std::fs::metadata(entry.path()) else {
                continue;
            };
            if !m.file_type().is_char_device() || m.rdev() != devtty {
                continue;
            }
            let key = format!("tty[{:x}:{:x}]", m.rdev(), m.dev());
            let ctty = controlling_tty(*pid);
            let which = terms
                .iter()
                .find(|t| key_devs(&t.key).is_some_and(|(r, _)| Some(r) == ctty))
                .map(|t| t.tty);
            let seen = found.entry(key).or_default();
            if !seen.contains(&which) {
                seen.push(which);
            }
        }
    }
    for (key, holders) in found {
        match holders.as_slice() {
            [Some(n)] => {
                if let Some(t) = terms.iter_mut().find(|t| t.tty == *n) {
                    t.ctty.push(key);
                }
            }
            // The holders' terminals are the container's own ptys: CRIU's business.
            [None] => {}
            _ => {
                let names: Vec<String> = holders
                    .iter()
                    .map(|h| match h {
                        Some(n) => format!("tty {n}"),
                        None => "another or none".to_string(),
                    })
                    .collect();
                return Err(format!(
                    "processes on different terminals ({}) hold /dev/tty open: CRIU restores \
                     /dev/tty for one terminal only (interactive shells with job control keep it \
                     open; end all but one)",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// A process's controlling terminal (`tty_nr` of /proc/PID/stat, a device number), if any.
fn controlling_tty(pid: nix::unistd::Pid) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(") ")? + 2..];
    // state ppid pgrp session tty_nr
    let nr: u64 = rest.split(' ').nth(4)?.parse().ok()?;
    (nr != 0).then_some(nr)
}

/// The key of a terminal's `i`-th mount between the dump and the restore.
fn mount_key(t: &Terminal, i: usize) -> String {
    format!("lxc-tty{}-{i}", t.tty)
}

/// The dump's arguments for the terminals.
pub fn dump_args(terms: &[Terminal]) -> Vec<String> {
    let mut args = Vec::new();
    for t in terms {
        args.extend(["--external".into(), t.key.clone()]);
        for c in &t.ctty {
            args.extend(["--external".into(), c.clone()]);
        }
        for (i, m) in t.mounts.iter().enumerate() {
            args.extend(["--external".into(), format!("mnt[{m}]:{}", mount_key(t, i))]);
        }
    }
    args
}

/// New terminals for a restore: the masters the shim keeps, the slaves CRIU gets.
#[derive(Default)]
pub struct NewTerminals {
    masters: Vec<(u32, OwnedFd)>,
    slaves: Vec<OwnedFd>,
    /// CRIU's arguments: the slaves as inherited descriptors, their paths for the mounts.
    pub args: Vec<String>,
}

impl NewTerminals {
    /// A new pty pair of the host's devpts for each terminal of the dump, set to its size and
    /// mode. Dropped (a failed restore), the pairs are gone.
    pub fn make(terms: &[Terminal]) -> Result<NewTerminals, String> {
        let mut new = NewTerminals::default();
        for t in terms {
            if t.tty > 64 || terms.len() > 65 || t.mounts.len() > 64 || key_devs(&t.key).is_none() {
                return Err(format!("bad terminal {} ({})", t.tty, t.key));
            }
            let (master, slave, path) = host_pty().map_err(|e| format!("tty {}: {e}", t.tty))?;
            if let Some((rows, cols)) = t.size {
                let _ = crate::sys_tty::set_window_size(master.as_fd(), rows, cols);
            }
            if let Some(mode) = &t.mode {
                set_mode(&slave, mode);
            }
            // One descriptor per key: CRIU stores each inherited descriptor and closes it.
            for key in &t.ctty {
                if key_devs(key).is_none() {
                    return Err(format!("tty {}: bad key {key}", t.tty));
                }
                let copy = slave
                    .try_clone()
                    .map_err(|e| format!("tty {}: {}", t.tty, lxc_proto::strerror(&e)))?;
                new.args.extend([
                    "--inherit-fd".into(),
                    format!("fd[{}]:{key}", copy.as_raw_fd()),
                ]);
                new.slaves.push(copy);
            }
            let fd = slave.as_raw_fd();
            new.args
                .extend(["--inherit-fd".into(), format!("fd[{fd}]:{}", t.key)]);
            for i in 0..t.mounts.len() {
                new.args.extend([
                    "--external".into(),
                    format!("mnt[{}]:{path}", mount_key(t, i)),
                ]);
            }
            new.masters.push((t.tty, master));
            new.slaves.push(slave);
        }
        Ok(new)
    }

    /// The descriptors CRIU must inherit.
    pub fn keep(&self) -> Vec<RawFd> {
        self.slaves.iter().map(AsRawFd::as_raw_fd).collect()
    }

    /// CRIU has restored the tree: the slaves are its processes' now, the masters ours.
    pub fn into_masters(self) -> Vec<(u32, OwnedFd)> {
        self.masters
    }
}

/// A pty of the host's devpts (`/dev/ptmx`): master, slave and the slave's path, checked to
/// be the slave itself (CRIU binds it by path onto the container's /dev/console).
fn host_pty() -> Result<(OwnedFd, OwnedFd, String), String> {
    let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let master = open("/dev/ptmx", flags, Mode::empty())
        .map_err(|e| format!("open /dev/ptmx: {}", e.desc()))?;
    crate::sys_tty::unlock_pty(master.as_fd())
        .map_err(|e| format!("unlock a pty: {}", e.desc()))?;
    let slave = crate::sys_tty::pty_peer(master.as_fd())
        .map_err(|e| format!("open a pty's slave: {}", e.desc()))?;
    let st = fstat(&slave).map_err(|e| format!("stat a pty's slave: {}", e.desc()))?;
    let path = format!("/dev/pts/{}", pty_index(st.st_rdev));
    match stat(Path::new(&path)) {
        Ok(p) if p.st_rdev == st.st_rdev && p.st_dev == st.st_dev => Ok((master, slave, path)),
        _ => Err(format!(
            "{path} is not the pty /dev/ptmx gave (the host's devpts is not on /dev/pts)"
        )),
    }
}

fn set_mode(slave: &OwnedFd, mode: &TermMode) {
    let Ok(now) = nix::sys::termios::tcgetattr(slave) else {
        return;
    };
    let mut m = libc::termios::from(now);
    m.c_iflag = mode.iflag;
    m.c_oflag = mode.oflag;
    m.c_cflag = mode.cflag;
    m.c_lflag = mode.lflag;
    for (to, from) in m.c_cc.iter_mut().zip(&mode.cc) {
        *to = *from;
    }
    let _ = nix::sys::termios::tcsetattr(
        slave,
        nix::sys::termios::SetArg::TCSANOW,
        &nix::sys::termios::Termios::from(m),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(tty: u32, key: &str) -> Terminal {
        Terminal {
            tty,
            key: key.into(),
            mounts: vec![],
            ctty: vec![],
            size: None,
            mode: None,
        }
    }

    #[test]
    fn mounts_of_a_slave_are_found_by_devpts_and_root() {
        // devpts 0:33; pty 0 bound on /dev/console, pty 1 on /dev/tty1; another devpts 0:40.
        let info = "\
100 99 0:33 / /dev/pts rw,nosuid - devpts devpts rw,mode=620
101 99 0:33 /ptmx /dev/ptmx rw - devpts devpts rw
102 99 0:33 /0 /dev/console rw - devpts devpts rw
103 99 0:33 /1 /dev/tty1 rw - devpts devpts rw
104 99 0:40 /0 /mnt/other rw - devpts devpts rw
";
        let dev = nix::sys::stat::makedev(0, 33);
        let r0 = nix::sys::stat::makedev(136, 0);
        let r1 = nix::sys::stat::makedev(136, 1);
        let mut terms = vec![
            term(0, &format!("tty[{r0:x}:{dev:x}]")),
            term(1, &format!("tty[{r1:x}:{dev:x}]")),
        ];
        find_mounts(info, &mut terms).unwrap();
        assert_eq!(terms[0].mounts, ["/dev/console"]);
        assert_eq!(terms[1].mounts, ["/dev/tty1"]);
        assert_eq!(
            dump_args(&terms[..1]),
            [
                "--external",
                &terms[0].key,
                "--external",
                "mnt[/dev/console]:lxc-tty0-0"
            ]
        );
        // A bind CRIU could not name is refused with where it is.
        let odd = "102 99 0:33 /0 /dev/a\\040b rw - devpts devpts rw\n";
        let mut terms = vec![term(0, &format!("tty[{r0:x}:{dev:x}]"))];
        let e = find_mounts(odd, &mut terms).unwrap_err();
        assert!(e.contains("tty 0 is bound at"), "{e}");
    }

    #[test]
    fn keys_give_their_device_numbers() {
        assert_eq!(pty_index(nix::sys::stat::makedev(136, 7)), 7);
        assert_eq!(pty_index(nix::sys::stat::makedev(136, 300)), 300);
        assert_eq!(key_devs("tty[8800000:21]"), Some((0x8800000, 0x21)));
        assert_eq!(key_devs("tty[x:1]"), None);
        assert_eq!(key_devs("file[1:2]"), None);
    }
}
