//! The container's processes, started once the shim's resources exist: today a clone of the
//! shim that becomes the container's init (`init.rs`), moved into the container's cgroups while
//! it sets up its namespaces; later also a restored process tree. An [`InitGuard`] kills and
//! reaps the init if the start fails before the event loop takes over.
use crate::cgroup::{ContainerCgroup, Hierarchy};
use crate::init::{self, InitPlan};
use crate::init_channel::{FromInit, Received, ShimEnd};
use crate::spec::LaunchSpec;
use crate::sys;
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

/// Descriptors the init must find untouched are kept at or above this number.
const HIGH_FD: RawFd = 10;

/// What runs in the container.
pub enum Payload {
    /// A clone of the shim that sets the container up and becomes its init.
    Clone(InitPlan),
}

/// Kills and reaps the container's init when dropped, unless defused: a start that fails
/// after the clone leaves no process behind.
pub struct InitGuard {
    pid: Option<Pid>,
}

impl InitGuard {
    /// Guards an init made otherwise (a restored one).
    pub fn adopt(pid: Pid) -> InitGuard {
        InitGuard { pid: Some(pid) }
    }

    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }

    /// The event loop takes the init over.
    pub fn defuse(mut self) -> Option<Pid> {
        self.pid.take()
    }
}

impl Drop for InitGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = sys::send_signal(pid, libc::SIGKILL);
            let _ = waitpid(pid, None);
        }
    }
}

/// Starts the payload with `stdio` as COMMAND's stdio (the init gets copies): clones the init,
/// makes the container's cgroups and moves it in (in parallel with its own set-up). Returns
/// the init's guard and the shim's end of its channel; `go` is not sent yet.
pub fn start(
    payload: &Payload,
    flags: libc::c_int,
    stdio: &[OwnedFd; 3],
    cgroup: &mut ContainerCgroup,
) -> Result<(InitGuard, ShimEnd), String> {
    let Payload::Clone(plan) = payload;
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| format!("create the init channel: {}", e.desc()))?;
    let theirs = dup_high(theirs.as_raw_fd())
        .map_err(|e| format!("create the init channel: {}", lxc_proto::strerror(&e)))?;
    fcntl(&ours, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
        .map_err(|e| format!("create the init channel: {}", e.desc()))?;
    let chan = ShimEnd::new(ours);
    // lxc-init's file, opened here: the init may not be able to open it once in its user
    // namespace. Without it the init supervises in place.
    let reaper = plan.reaper.as_ref().and_then(|path| {
        let flags = OFlag::O_PATH | OFlag::O_CLOEXEC;
        let opened = nix::fcntl::open(path.as_path(), flags, nix::sys::stat::Mode::empty())
            .map_err(|e| e.desc().to_string())
            .and_then(|fd| dup_high(fd.as_raw_fd()).map_err(|e| lxc_proto::strerror(&e)));
        opened
            .map_err(|e| log::warn!("open {}: {e}", path.display()))
            .ok()
    });
    // Every signal is blocked across the clone: the init must never run one of our
    // handlers, and it takes signals with sigwaitinfo from then on.
    let mut old = SigSet::empty();
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), Some(&mut old));
    let forked = sys::clone_fork(flags);
    if let Ok(sys::Forked::Child) = forked {
        let raw = [
            stdio[0].as_raw_fd(),
            stdio[1].as_raw_fd(),
            stdio[2].as_raw_fd(),
        ];
        init::run(
            plan,
            raw,
            theirs.as_raw_fd(),
            reaper.as_ref().map(|fd| fd.as_raw_fd()),
        );
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    drop(theirs);
    let guard = match forked {
        Ok(sys::Forked::Parent(pid)) => InitGuard { pid: Some(pid) },
        Ok(sys::Forked::Child) => sys::exit_now(125),
        Err(e) => return Err(format!("clone the container's init: {}", e.desc())),
    };
    let init = guard.pid().unwrap_or(Pid::from_raw(0));
    log::info!("init started, pid {init}");
    // While the init sets up its namespaces, make the cgroups and move it in: the two run in
    // parallel, and COMMAND starts only after `go`.
    // The limits are written before the init joins: nothing of the container ever runs
    // without them, and a refused one fails the start before COMMAND exists.
    if let Err(e) = cgroup
        .create()
        .map_err(|e| e.to_string())
        .and_then(|_| cgroup.apply_limits())
    {
        drop(guard);
        return Err(e);
    }
    // In a user namespace: the join, then the delegation, then the maps. Until the maps are
    // written the init has the shim's uid, which a regular user's shim must have to move it,
    // and until the delegation `cgroup.procs` is still the shim's to write.
    let joined = cgroup
        .join(init)
        .map_err(|e| e.to_string())
        .and_then(|_| match &plan.userns {
            Some(ns) => {
                crate::delegate::delegate(&cgroup.dirs(), ns)?;
                if !nix::unistd::geteuid().is_root() {
                    cgroup.given_to(ns.root_uid, ns.root_gid);
                }
                crate::idmap::serve_init(init, ns, &chan)
            }
            None => Ok(()),
        });
    if let Err(e) = joined {
        drop(guard);
        // The init may have failed first (and taken its cgroup membership with it).
        return Err(init_failure(&chan).unwrap_or(e));
    }
    Ok((guard, chan))
}

/// A set-up failure the init reported, if it did (non-blocking: the init writes it before it
/// exits, and it has been reaped or is dead when this is asked).
pub fn init_failure(chan: &ShimEnd) -> Option<String> {
    loop {
        match chan.try_recv() {
            Ok(Received::Message(FromInit::SetupFailed { step, errno }, _)) => {
                return Some(format!(
                    "{}: {}",
                    lxc_proto::shorten(&step, 1000),
                    Errno::from_raw(errno).desc()
                ))
            }
            Ok(Received::Message(FromInit::HookFailed { message }, _)) => {
                return Some(lxc_proto::shorten(&message, 1000))
            }
            Ok(Received::Message(..)) | Ok(Received::Malformed(_)) => continue,
            Ok(Received::Empty) | Ok(Received::Closed) | Err(_) => return None,
        }
    }
}

/// The launching command's stdin, stdout and stderr go to COMMAND; the shim itself keeps
/// /dev/null so that it holds no terminal once the init has its copies.
pub fn take_stdio() -> io::Result<[OwnedFd; 3]> {
    let fds = [dup_high(0)?, dup_high(1)?, dup_high(2)?];
    crate::spec::null_stdio()?;
    Ok(fds)
}

fn dup_high(fd: RawFd) -> io::Result<OwnedFd> {
    let new = fcntl(sys::borrow_fd(fd), FcntlArg::F_DUPFD_CLOEXEC(HIGH_FD))?;
    sys::adopt_fd(new)
}

const CLONE_FLAGS: libc::c_int =
    libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;

/// The spec's section 3.2: a network namespace only when the config has network settings
/// (interfaces of type `none` share the host's network).
pub fn clone_flags(spec: &LaunchSpec) -> libc::c_int {
    let mut flags = CLONE_FLAGS;
    if spec.config.settings.network_namespace() {
        flags |= libc::CLONE_NEWNET;
    }
    // `lxc.idmap`: a user namespace of its own, which owns the others made with it.
    if !spec.config.settings.idmaps.is_empty() {
        flags |= libc::CLONE_NEWUSER;
    }
    flags
}

/// What the init will do, decided before the clone (the init allocates nothing it need not).
pub fn plan_init(spec: &LaunchSpec, hierarchies: &[Hierarchy]) -> Result<InitPlan, String> {
    let argv = spec
        .command
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "the command contains a NUL byte".to_string())?;
    if argv.is_empty() {
        return Err("no command to execute".into());
    }
    let mut env: Vec<CString> = if spec.system {
        // A system container starts from a clean environment, as LXC's does.
        vec![c"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned()]
    } else {
        std::env::vars_os()
            .filter(|(k, _)| k.as_bytes() != b"container")
            .filter_map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).ok()
            })
            .collect()
    };
    env.push(c"container=lxc".to_owned());
    env = with_environment(env, &spec.config.settings.environment)?;
    let settings = &spec.config.settings;
    let personality = crate::security::personality(settings)?;
    let confine = std::rc::Rc::new(crate::confine::Confinement::of(settings)?);
    for note in crate::security::Lsm::host().check(settings)? {
        log::warn!("{note}");
    }
    let cwd = settings
        .init
        .cwd
        .as_deref()
        .map(|c| CString::new(c).map_err(|_| "lxc.init.cwd contains a NUL byte".to_string()))
        .transpose()?;
    let userns = crate::idmap::plan(settings, nix::unistd::geteuid().is_root())?;
    let cgroup_dirs = hierarchies
        .iter()
        // A regular user's groups are made only where it was delegated a cgroup.
        .filter(|h| userns.is_none() || crate::delegate::may_make_cgroups(&h.own_dir()))
        .map(|h| {
            (
                h.mount_name(),
                h.own_dir()
                    .join(crate::cgroup::CONTAINERS)
                    .join(spec.cgroup_name()),
            )
        })
        .collect();
    Ok(InitPlan {
        hostname: spec
            .config
            .settings
            .utsname
            .clone()
            .unwrap_or_else(|| spec.name.clone()),
        argv,
        env,
        fs: crate::mounts::plan(&spec.config.settings, spec.mounts.clone(), cgroup_dirs),
        system: spec.system,
        wait_for_idmap: userns.is_some(),
        userns,
        cwd,
        uid: settings.init.uid,
        gid: settings.init.gid,
        hooks: crate::hooks::Hooks::of(spec),
        personality,
        reaper: if spec.system {
            None
        } else {
            crate::reaper::program_file(spec.run_root.base())
                .map_err(|e| log::warn!("{e}: the init stays a copy of the shim"))
                .ok()
        },
        confine,
        terminal: term_plan(spec),
        tunables: crate::tunables::Tunables::plan(settings, settings.network_namespace())?,
    })
}

/// The terminals the init makes: lxc-execute's COMMAND at a terminal gets a pty; a system
/// container gets its console (unless `lxc.console.path = none`) and `lxc.tty.max` ttys.
fn term_plan(spec: &LaunchSpec) -> crate::pty_init::TermPlan {
    let s = &spec.config.settings;
    let console = spec.system && s.console.path.as_deref() != Some("none");
    let fs_autodev = s.autodev.unwrap_or(s.rootfs.is_some());
    crate::pty_init::TermPlan {
        command_tty: !spec.system && spec.tty_stdio,
        console,
        console_stdio: console && spec.tty_stdio,
        ttys: if console { s.tty_max.unwrap_or(0) } else { 0 },
        pty_max: s.pty_max,
        have_devpts: fs_autodev,
        rootfs: s.rootfs.is_some(),
    }
}

/// `lxc.environment` on top of COMMAND's environment: `NAME=VALUE` sets, a bare `NAME` passes
/// the starter's value on (nothing when it has none); a later setting of a name wins.
fn with_environment(mut env: Vec<CString>, settings: &[String]) -> Result<Vec<CString>, String> {
    for item in settings {
        let kv = match item.split_once('=') {
            Some(_) => item.clone(),
            None => match std::env::var_os(item) {
                Some(v) => format!("{item}={}", v.to_string_lossy()),
                None => continue,
            },
        };
        let name = kv.split('=').next().unwrap_or_default().to_string();
        env.retain(|e| e.as_bytes().split(|b| *b == b'=').next() != Some(name.as_bytes()));
        env.push(
            CString::new(kv).map_err(|_| format!("lxc.environment {name}: contains a NUL byte"))?,
        );
    }
    Ok(env)
}

/// What a system container takes to start again.
pub struct Relaunch {
    pub payload: Payload,
    pub flags: libc::c_int,
    /// COMMAND's stdio, kept (for an application container it is dropped after the clone).
    pub stdio: [OwnedFd; 3],
    /// The interfaces to make, `none` left out.
    pub networks: Vec<lxc_config::Network>,
}
