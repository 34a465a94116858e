//! CRIU, always as a process of its own (`criu dump`, `criu restore`): nothing of CRIU runs in
//! the shim's address space. A dump runs as a child of the shim while its loop runs (the child
//! first looks at the container's processes for what they hold from outside the container,
//! writes `lxc-checkpoint.json`, then executes criu); a restore runs while a new shim starts,
//! before its loop. The objects from outside are CRIU's "external" resources: on the dump,
//! files of the host's mounts (COMMAND's stdio, a binary or library the init maps) and our
//! init's channel; on the restore each is replaced with a descriptor (`--inherit-fd`).
use crate::sys;
use lxc_proto::checkpoint::{CheckpointMeta, External, Replacement, DUMP_LOG, META_FILE};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Options both directions take, as one string (no table of pointers: CONVENTIONS.md). Without
/// iptables (Debian 12's default) CRIU's own network locking fails: nftables.
const COMMON: &str =
    "-v4 --manage-cgroups=full --tcp-established --file-locks --network-lock nftables";

/// [`COMMON`] as arguments.
pub fn common_args() -> impl Iterator<Item = String> {
    COMMON.split(' ').map(str::to_string)
}

/// The criu executable: `LXC_CRIU` if set, else `criu` on PATH, else /usr/local/sbin or
/// /usr/sbin (where scripts/install-criu.sh and Debian put it).
pub fn binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("LXC_CRIU").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin".into(), "/usr/sbin".into()])
        .map(|d| d.join("criu"))
        .find(|p| p.is_file())
        .ok_or_else(|| "criu is not installed (scripts/install-criu.sh installs it)".to_string())
}

/// CRIU's own reason from its log: the first error line that is not the harmless
/// RLIMIT_NOFILE one, without its time stamp and source position; else the log's path.
pub fn log_error(log: &Path) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let found = text
        .lines()
        .filter(|l| l.contains("Error (") && !l.contains("rlimit:"))
        .map(|l| match l.find("): ") {
            Some(i) => l[i + 3..].trim(),
            None => l.trim(),
        })
        .find(|l| !l.is_empty());
    match found {
        Some(line) => format!("{} (see {})", lxc_proto::shorten(line, 300), log.display()),
        None => format!("criu failed; see {}", log.display()),
    }
}

/// A dump in progress (the shim's, `checkpoint.rs`).
pub struct Dump {
    pub pid: Pid,
    pub dir: PathBuf,
    pub stop: bool,
    pub waiter: crate::lifecycle::Waiter,
}

/// What a dump needs to know.
pub struct DumpJob {
    pub init: Pid,
    pub procs: Vec<Pid>,
    pub dir: PathBuf,
    pub stop: bool,
    /// The freezer cgroup CRIU freezes the container with.
    pub freezer: Option<PathBuf>,
    pub meta: CheckpointMeta,
}

/// Forks the dump's helper: it finds the externals, writes the metadata and executes criu.
/// The caller registers the returned pid in the child table at once. A failure of the helper
/// itself goes to the dump log, as CRIU's own would.
#[inline(never)]
pub fn spawn_dump(job: &DumpJob) -> Result<Pid, String> {
    let criu = binary()?;
    std::fs::create_dir_all(&job.dir)
        .map_err(|e| format!("create {}: {}", job.dir.display(), lxc_proto::strerror(&e)))?;
    let _ = std::fs::remove_file(job.dir.join(DUMP_LOG));
    match sys::fork() {
        Ok(sys::Forked::Parent(pid)) => Ok(pid),
        Ok(sys::Forked::Child) => {
            let log = job.dir.join(DUMP_LOG);
            let err = match dump_args(job) {
                Ok(args) => match run_dump(&criu, &args, &log) {
                    Ok(code) => sys::exit_now(code),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            if let Ok(mut f) = std::fs::File::create(&log) {
                let _ = writeln!(f, "Error (lxc): {err}");
            }
            sys::exit_now(1)
        }
        Err(e) => Err(format!("fork criu: {}", e.desc())),
    }
}

/// Runs `criu dump` and returns its exit code. CRIU finds the init's channel through the
/// kernel's socket diagnostics, whose listing of a busy host's unix sockets is not atomic
/// and can miss one: that one failure is tried once more (CRIU thawed the container).
fn run_dump(criu: &Path, args: &[String], log: &Path) -> Result<i32, String> {
    for attempt in 0..2 {
        let pid = match sys::fork() {
            Ok(sys::Forked::Parent(pid)) => pid,
            Ok(sys::Forked::Child) => {
                let err = exec(criu, args, &[]);
                if let Ok(mut f) = std::fs::File::create(log) {
                    let _ = writeln!(f, "Error (lxc): {err}");
                }
                sys::exit_now(1)
            }
            Err(e) => return Err(format!("fork criu: {}", e.desc())),
        };
        let code = match nix::sys::wait::waitpid(pid, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, code)) => code,
            _ => 1,
        };
        let missed = std::fs::read_to_string(log).is_ok_and(|t| {
            t.contains("Error (") && t.contains("Unix socket") && t.contains("not found")
        });
        if code == 0 || attempt == 1 || !missed {
            return Ok(code);
        }
    }
    Ok(1)
}

fn dump_args(job: &DumpJob) -> Result<Vec<String>, String> {
    let mut meta = job.meta.clone();
    let ttys: HashSet<&str> = meta.terminals.iter().map(|t| t.key.as_str()).collect();
    let (externals, channel) = find_externals(job.init, &job.procs, meta.system, &ttys)?;
    meta.channel = channel;
    let mut args: Vec<String> = vec!["dump".into(), "-t".into(), job.init.to_string()];
    args.extend(["-D".into(), job.dir.display().to_string()]);
    args.extend(["-o".into(), DUMP_LOG.into()]);
    args.extend(common_args());
    if let Some(f) = &job.freezer {
        args.extend(["--freeze-cgroup".into(), f.display().to_string()]);
    }
    if !job.stop {
        args.push("--leave-running".into());
    }
    for e in &externals {
        if e.key.starts_with("file[") {
            args.extend(["--external".into(), e.key.clone()]);
        }
    }
    if let Some(ino) = channel {
        args.extend(["--external".into(), format!("unix[{ino}]")]);
    }
    if !meta.terminals.is_empty() {
        let path = format!("/proc/{}/mountinfo", job.init);
        let info = std::fs::read_to_string(&path)
            .map_err(|e| format!("read {path}: {}", lxc_proto::strerror(&e)))?;
        crate::ckpt_tty::find_mounts(&info, &mut meta.terminals)?;
        crate::ckpt_tty::find_ctty_files(&job.procs, &mut meta.terminals)?;
        args.extend(crate::ckpt_tty::dump_args(&meta.terminals));
    }
    meta.externals = externals;
    let text = serde_json::to_vec_pretty(&meta).map_err(|e| e.to_string())?;
    let path = job.dir.join(META_FILE);
    std::fs::write(&path, text)
        .map_err(|e| format!("write {}: {}", path.display(), lxc_proto::strerror(&e)))?;
    Ok(args)
}

/// Executes criu with `args`, keeping only stdio and `keep` open. Returns only on failure.
pub fn exec(criu: &Path, args: &[String], keep: &[i32]) -> String {
    let _ = sys::cloexec_from(3);
    for fd in keep {
        let _ = sys::clear_cloexec(*fd);
    }
    let Ok(prog) = CString::new(criu.as_os_str().as_bytes()) else {
        return "criu's path contains a NUL byte".into();
    };
    let mut argv = vec![prog.clone()];
    argv.extend(args.iter().filter_map(|a| CString::new(a.as_bytes()).ok()));
    match nix::unistd::execv(&prog, &argv) {
        Err(e) => format!("execute {}: {}", criu.display(), e.desc()),
        Ok(never) => match never {},
    }
}

/// The mount ids of the container's mount namespace.
fn container_mounts(init: Pid) -> Result<HashSet<u64>, String> {
    let path = format!("/proc/{init}/mountinfo");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("read {path}: {}", lxc_proto::strerror(&e)))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect())
}

/// `mnt_id` of an fdinfo file.
fn mnt_id(fdinfo: &str) -> Option<u64> {
    let text = std::fs::read_to_string(fdinfo).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .and_then(|v| v.trim().parse().ok())
}

fn flags(fdinfo: &str) -> u32 {
    std::fs::read_to_string(fdinfo)
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0)
}

/// Every object the tree holds from outside the container, with what replaces it; and the
/// inode of our init's channel (application containers).
fn find_externals(
    init: Pid,
    procs: &[Pid],
    system: bool,
    ttys: &HashSet<&str>,
) -> Result<(Vec<External>, Option<u64>), String> {
    let inside = container_mounts(init)?;
    let mut out: Vec<External> = Vec::new();
    let mut seen = HashSet::new();
    // Pipes: inode -> (a reader inside, a writer inside, the lowest stdio number holding it).
    let mut pipes: HashMap<String, (bool, bool, Option<i32>)> = HashMap::new();
    let mut channel = None;
    for pid in procs {
        let dir = format!("/proc/{pid}/fd");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(fd) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(target) = std::fs::read_link(entry.path()) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            let info = format!("/proc/{pid}/fdinfo/{fd}");
            if target.starts_with("socket:[") && *pid == init && fd == 3 && !system {
                channel = target[8..target.len() - 1].parse().ok();
                continue;
            }
            if target.starts_with("pipe:[") {
                let write = flags(&info) & 3 != 0;
                let p = pipes.entry(target).or_insert((false, false, None));
                if write {
                    p.1 = true;
                } else {
                    p.0 = true;
                }
                if fd <= 2 && p.2.is_none_or(|n| fd < n) {
                    p.2 = Some(fd);
                }
                continue;
            }
            if !target.starts_with('/') || crate::ckpt_tty::is_one_of(&entry.path(), ttys) {
                continue;
            }
            let Some(mnt) = mnt_id(&info) else { continue };
            if inside.contains(&mnt) {
                continue;
            }
            let ino = std::fs::metadata(entry.path())
                .map(|m| m.ino())
                .unwrap_or(0);
            let key = format!("file[{mnt:x}:{ino:x}]");
            if !seen.insert(key.clone()) {
                continue;
            }
            if fd > 2 {
                return Err(format!(
                    "process {pid} holds {} (descriptor {fd}) from outside the container",
                    lxc_proto::shorten(&target, 200)
                ));
            }
            out.push(External {
                key,
                with: Replacement::Stdio(fd),
            });
        }
        mapped_files(*pid, &inside, &mut seen, &mut out)?;
    }
    // A pipe with only one end in the tree leads outside: the restoring command's stdio
    // replaces it.
    for (key, (r, w, stdio)) in pipes {
        if let (false, _) | (_, false) = (r, w) {
            if let Some(n) = stdio {
                out.push(External {
                    key,
                    with: Replacement::Stdio(n),
                });
            }
        }
    }
    Ok((out, channel))
}

/// Files mapped from the host's mounts (the binary of an init that could not become lxc-init,
/// and its libraries when it is linked dynamically): opened again by path at the restore.
fn mapped_files(
    pid: Pid,
    inside: &HashSet<u64>,
    seen: &mut HashSet<String>,
    out: &mut Vec<External>,
) -> Result<(), String> {
    let dir = format!("/proc/{pid}/map_files");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut paths = HashSet::new();
    for entry in entries.flatten() {
        if let Ok(t) = std::fs::read_link(entry.path()) {
            // lxc-init runs from a memfd: CRIU saves and restores that itself.
            if t.as_os_str().as_encoded_bytes().starts_with(b"/memfd:") {
                continue;
            }
            if paths.insert(t.clone()) {
                let Ok(file) = std::fs::File::open(entry.path()) else {
                    continue;
                };
                let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
                let Some(mnt) = mnt_id(&format!("/proc/self/fdinfo/{fd}")) else {
                    continue;
                };
                if inside.contains(&mnt) {
                    continue;
                }
                let Ok(m) = file.metadata() else { continue };
                let key = format!("file[{mnt:x}:{:x}]", m.ino());
                if seen.insert(key.clone()) {
                    out.push(External {
                        key,
                        with: Replacement::Path {
                            path: t.to_string_lossy().into_owned(),
                            size: m.size(),
                            mtime: m.mtime(),
                        },
                    });
                }
            }
        }
    }
    Ok(())
}
