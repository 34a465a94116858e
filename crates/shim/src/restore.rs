//! The payload of a restored container (`lxc-checkpoint -r`): instead of cloning an init, the
//! new shim makes the container's cgroups and runs `criu restore --restore-detached
//! --restore-sibling` as its child, waited for before the loop runs (as pre-start hooks are).
//! As a sibling of CRIU the restored init is the shim's own child: the shim is its parent and
//! reaper, and the init's parent-death signal (restored by CRIU) points at the shim again.
//! What the tree held from outside the container is handed to CRIU in its place: the new
//! stdio, the same binary files, and a new init channel. A veth's host end is made by CRIU and
//! attached to its bridge (`--external veth[...]`); the shim brings it up. A macvlan is made
//! again on its parent link (`--external macvlan[...]`).
use crate::cgroup::ContainerCgroup;
use crate::criu;
use crate::event_loop::Shim;
use crate::init_channel::ShimEnd;
use crate::lifecycle::Effect;
use crate::payload::InitGuard;
use crate::spec::LaunchSpec;
use crate::sys;
use lxc_proto::checkpoint::{CheckpointMeta, Replacement, META_FILE, RESTORE_LOG};
use lxc_proto::net::SetupResult;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The pid file CRIU writes the restored init's pid to (removed once read).
const PID_FILE: &str = "restore.pid";

/// Reads a checkpoint directory's metadata (a regular file of bounded size).
pub fn read_meta(dir: &Path) -> Result<CheckpointMeta, String> {
    lxc_proto::checkpoint::read_meta(dir)
}

/// Restores the container from `dir` with `stdio` in place of its stdio from outside.
/// Returns the restored init's guard and the shim's end of the init channel (an application
/// container's init talks on it again; a system container's end reads as closed); the
/// masters of its new terminals go to `ttys`.
#[inline(never)]
pub fn start(
    spec: &LaunchSpec,
    dir: &Path,
    stdio: &[OwnedFd; 3],
    cgroup: &mut ContainerCgroup,
    ttys: &mut Vec<(u32, OwnedFd)>,
) -> Result<(InitGuard, ShimEnd), String> {
    let meta = read_meta(dir)?;
    let Some(rootfs) = spec.config.settings.rootfs.clone() else {
        return Err("no lxc.rootfs.path: a container is restored into its rootfs".into());
    };
    let mine: Vec<String> = cgroup
        .dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    if mine != meta.cgroups {
        return Err(format!(
            "{} was dumped from the cgroups {} (a restore needs the same name, lxcpath and \
             starting cgroup)",
            dir.display(),
            lxc_proto::shorten(&meta.cgroups.join(", "), 300)
        ));
    }
    let criu = criu::binary()?;
    // An application container's pid 1 runs lxc-init's file: it must be there (after a reboot
    // of the host, /var/run is empty). A system container does not need it.
    if !spec.system {
        crate::reaper::program_file(spec.run_root.base())?;
    }
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| format!("create the init channel: {}", e.desc()))?;
    fcntl(&ours, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
        .map_err(|e| format!("create the init channel: {}", e.desc()))?;
    let mut args: Vec<String> = vec!["restore".into(), "-D".into(), dir.display().to_string()];
    args.extend(["-o".into(), RESTORE_LOG.into()]);
    args.extend(criu::common_args());
    args.extend(["--root".into(), rootfs]);
    args.extend(["--restore-detached".into(), "--restore-sibling".into()]);
    args.extend(["--pidfile".into(), PID_FILE.into()]);
    let mut keep = Vec::new();
    let mut opened = Vec::new();
    for e in &meta.externals {
        let fd = match &e.with {
            Replacement::Stdio(n) => match stdio.get(*n as usize) {
                Some(fd) => fd.as_raw_fd(),
                None => return Err(format!("{META_FILE}: stdio {n}: no such descriptor")),
            },
            Replacement::Path { path, size, mtime } => {
                let (file, m) = open_regular(path)?;
                if m.size() != *size || m.mtime() != *mtime {
                    return Err(format!(
                        "{path} has changed since the checkpoint (the restored processes map it)"
                    ));
                }
                let fd = file.as_raw_fd();
                opened.push(file);
                fd
            }
        };
        keep.push(fd);
        args.extend(["--inherit-fd".into(), format!("fd[{fd}]:{}", e.key)]);
    }
    if let Some(ino) = meta.channel {
        keep.push(theirs.as_raw_fd());
        args.extend([
            "--inherit-fd".into(),
            format!("fd[{}]:socket:[{ino}]", theirs.as_raw_fd()),
        ]);
    }
    for (inside, outside) in veths(spec, &meta) {
        args.extend(["--external".into(), format!("veth[{inside}]:{outside}")]);
    }
    for (inside, parent) in macvlans(spec, &meta) {
        args.extend(["--external".into(), format!("macvlan[{inside}]:{parent}")]);
    }
    // The terminals whose masters the old shim held: new pairs, the slaves to CRIU.
    let terminals = crate::ckpt_tty::NewTerminals::make(&meta.terminals)?;
    keep.extend(terminals.keep());
    args.extend(terminals.args.iter().cloned());
    wait_for_names_free(&host_ends(spec, &meta));
    cgroup.create().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(dir.join(PID_FILE));
    let _ = std::fs::remove_file(dir.join(RESTORE_LOG));
    let child = match sys::fork() {
        Ok(sys::Forked::Parent(pid)) => pid,
        Ok(sys::Forked::Child) => {
            if nix::unistd::chdir(dir).is_ok() {
                let err = criu::exec(&criu, &args, &keep);
                log::error!("{err}");
            }
            sys::exit_now(127)
        }
        Err(e) => return Err(format!("fork criu: {}", e.desc())),
    };
    drop(theirs);
    drop(opened);
    enter_shim_leaf(cgroup);
    let ok = matches!(waitpid(child, None), Ok(WaitStatus::Exited(_, 0)));
    let pid_path = dir.join(PID_FILE);
    let pid = std::fs::read_to_string(&pid_path)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok());
    let _ = std::fs::remove_file(&pid_path);
    match (ok, pid) {
        (true, Some(pid)) => {
            log::info!("restored from {}, init pid {pid}", dir.display());
            let guard = InitGuard::adopt(Pid::from_raw(pid));
            *ttys = terminals.into_masters();
            let hosts = host_ends(spec, &meta);
            if !hosts.is_empty() {
                let mut args = vec!["up".to_string()];
                args.extend(hosts);
                crate::net::run_now(&args, b"")?;
            }
            Ok((guard, ShimEnd::new(ours)))
        }
        _ => Err(format!(
            "restore failed: {}",
            criu::log_error(&dir.join(RESTORE_LOG))
        )),
    }
}

/// The shim's move to its cgroup leaf, while CRIU runs: the first cgroup migration after a
/// quiet spell waits for an RCU grace period (5 to 20 ms here), which then overlaps CRIU's
/// work instead of following it (a normal start overlaps it with the init's set-up). CRIU was
/// forked before: it and the tree it restores stay out of the shims' leaf.
fn enter_shim_leaf(cgroup: &ContainerCgroup) {
    if let Err(e) = cgroup.enter_shim_leaf() {
        // Not fatal: the shim then stays in its starter's cgroup, as before.
        log::warn!("move the shim to its own cgroup: {e}");
    }
}

/// The host ends of the container's veths.
fn host_ends(spec: &LaunchSpec, meta: &CheckpointMeta) -> Vec<String> {
    veths(spec, meta)
        .into_iter()
        .map(|(_, o)| o.split('@').next().unwrap_or_default().to_string())
        .collect()
}

/// Waits (up to 2 s) until no link here has one of `names`. The dumped container's veths
/// leave with its network namespace, which the kernel frees on a work queue after a grace
/// period: right after a stop, on a busy host, the host end's name can still be taken, and
/// CRIU's making of the pair then fails ("File exists").
fn wait_for_names_free(names: &[String]) {
    if names.is_empty() {
        return;
    }
    let taken = || {
        let text = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .any(|(n, _)| names.iter().any(|m| m == n.trim()))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while taken() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// `IFNAME` and `HOSTNAME@BRIDGE` (or without a bridge) for each veth the container had: the
/// N-th veth of the dump is the config's N-th veth (its bridge is `lxc.net.N.link`).
/// Opens `path`, a replacement file named by lxc-checkpoint.json, which must be a regular
/// file: opened without waiting (a FIFO would hold the shim in open(2)) and without becoming
/// the shim's terminal, then handed to CRIU as a plain blocking descriptor.
fn open_regular(path: &str) -> Result<(std::fs::File, std::fs::Metadata), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| format!("open {path}: {}", lxc_proto::strerror(&e)))?;
    let m = file
        .metadata()
        .map_err(|e| format!("stat {path}: {}", lxc_proto::strerror(&e)))?;
    if !m.is_file() {
        return Err(format!("{META_FILE}: {path} is not a regular file"));
    }
    fcntl(&file, FcntlArg::F_SETFL(OFlag::empty()))
        .map_err(|e| format!("open {path}: {}", e.desc()))?;
    Ok((file, m))
}

fn veths(spec: &LaunchSpec, meta: &CheckpointMeta) -> Vec<(String, String)> {
    let nets = spec.config.settings.interfaces();
    let links = nets
        .iter()
        .filter(|n| n.kind == lxc_config::NetType::Veth)
        .map(|n| n.link.clone());
    meta.interfaces
        .iter()
        .filter(|i| i.kind == "veth")
        .zip(links.chain(std::iter::repeat(None)))
        .filter_map(|(i, bridge)| {
            let host = i.host.clone()?;
            let outside = match bridge {
                Some(b) => format!("{host}@{b}"),
                None => host,
            };
            Some((i.name.clone(), outside))
        })
        .collect()
}

/// `IFNAME` and its parent link for each macvlan the container had (the N-th macvlan of the
/// dump is the config's N-th, whose `lxc.net.N.link` is the parent).
fn macvlans(spec: &LaunchSpec, meta: &CheckpointMeta) -> Vec<(String, String)> {
    let nets = spec.config.settings.interfaces();
    let parents = nets
        .iter()
        .filter(|n| n.kind == lxc_config::NetType::Macvlan)
        .map(|n| n.link.clone());
    meta.interfaces
        .iter()
        .filter(|i| i.kind == "macvlan")
        .zip(parents)
        .filter_map(|(i, parent)| Some((i.name.clone(), parent?)))
        .collect()
}

/// The interfaces a restored container has (those it had at the dump); none otherwise.
#[inline(never)]
pub fn network(spec: &LaunchSpec) -> SetupResult {
    let interfaces = match &spec.restore {
        Some(dir) => read_meta(dir).map(|m| m.interfaces).unwrap_or_default(),
        None => Vec::new(),
    };
    SetupResult {
        interfaces,
        ..SetupResult::default()
    }
}

impl Shim {
    /// A restored container runs already: RUNNING, and the launcher is told.
    pub(crate) fn restored(&mut self, fx: &mut Vec<Effect>) {
        self.life.restored(fx);
    }
}
