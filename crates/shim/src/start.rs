//! The shim's start: first its resources (the record of what it will make, written before
//! anything is made, so that whoever finds the shim dead can clean up; the control socket;
//! the event loop with its SIGCHLD handler, which must exist before the init does; its own
//! cgroup leaf), then the payload (`payload.rs`): the container's init, its cgroups, and its
//! network through the helper, after which the init is told to go.
use crate::cgroup::{self, ContainerCgroup};
use crate::children::{Children, Role};
use crate::clients::Clients;
use crate::event_loop::{Phase, Shim};
use crate::gate::GoGate;
use crate::hooks::Extra;
use crate::launcher::Launcher;
use crate::lifecycle::{Effect, LifeSpec, Lifecycle};
use crate::methods::Facts;
use crate::monitor::MonitorSender;
use crate::payload::{self, Payload, Relaunch};
use crate::relaunch;
use crate::rundir::RunDir;
use crate::sources::{Source, Sources};
use crate::spawn::StartFailure;
use crate::spec::LaunchSpec;
use crate::sys;
use crate::timers::Timers;
use lxc_config::HookKind;
use lxc_proto::record::Record;
use mio::net::{UnixListener, UnixStream};
use mio::unix::SourceFd;
use mio::{Interest, Poll};
use nix::sys::signal::Signal;
use nix::sys::timerfd::{ClockId, TimerFd, TimerFlags};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream as StdUnixStream;

impl Shim {
    /// Starts the container; on failure hands back what the caller must clean up.
    pub fn start(
        spec: &LaunchSpec,
        launch: StdUnixStream,
        lock: File,
        rundir: RunDir,
    ) -> Result<Box<Shim>, StartFailure> {
        macro_rules! fail {
            ($($arg:tt)*) => {{
                let message = format!($($arg)*);
                return Err(StartFailure { launch, lock, rundir, message });
            }};
        }
        let _ = nix::sys::prctl::set_name(c"lxc-shim");
        let _ = sys::ignore_signal(Signal::SIGPIPE);
        let stdio = match payload::take_stdio() {
            Ok(s) => s,
            Err(e) => fail!("take over stdio: {}", lxc_proto::strerror(&e)),
        };
        log::debug!("shim detached");
        let hierarchies = match cgroup::own_hierarchies() {
            Ok(h) => h,
            Err(e) => fail!("read own cgroups: {}", lxc_proto::strerror(&e)),
        };
        let mut cgroup =
            ContainerCgroup::plan(&hierarchies, &spec.cgroup_name(), spec.cgroup_prefer);
        if let Err(e) = cgroup.set_limits(&spec.config.settings.cgroups) {
            fail!("{e}");
        }
        // Written before anything is made, so that whoever finds this shim dead can clean up.
        let mut record = Record {
            shim_pid: std::process::id() as i32,
            cgroups: cgroup.dirs(),
            ..Record::default()
        };
        if let Err(e) = rundir.write_record(&record) {
            fail!(
                "write {}: {}",
                rundir.record_path().display(),
                lxc_proto::strerror(&e)
            );
        }
        let plan = match payload::plan_init(spec, &hierarchies) {
            Ok(p) => p,
            Err(e) => fail!("{e}"),
        };
        let ephemeral_dir = match crate::ephemeral::dir_to_remove(spec) {
            Ok(d) => d,
            Err(e) => fail!("{e}"),
        };
        let mut r = match Resources::make(&rundir) {
            Ok(r) => r,
            Err(e) => fail!("{e}"),
        };
        // The init plan holds them already: one reading of the config.
        let hooks = plan.hooks.clone();
        let gate = GoGate::new(plan.fs.cgroup.is_some(), hooks.has(HookKind::StartHost));
        let tty_conf = crate::terminals::TtyConf {
            console: crate::terminals::ConsoleConf::of(&spec.config.settings),
            personality: plan.personality,
            confine: plan.confine.clone(),
        };
        // On the host, before anything of the container exists; waited for.
        if let Err(e) = hooks.run_now(HookKind::PreStart, &Extra::default(), &mut |l| {
            log::info!("{l}")
        }) {
            fail!("{e}");
        }
        // Before the init exists: a proxy that cannot be reached refuses the start, as LXC's.
        let notifier = match crate::notifier::Notifier::open(
            &spec.config.settings,
            &plan.confine,
            r.poll.registry(),
            &mut r.sources,
        ) {
            Ok(n) => n,
            Err(e) => fail!("{e}"),
        };
        let payload = Payload::Clone(plan);
        let flags = payload::clone_flags(spec);
        let mut restored_ttys = Vec::new();
        let started = match &spec.restore {
            Some(dir) => crate::restore::start(spec, dir, &stdio, &mut cgroup, &mut restored_ttys),
            None => payload::start(&payload, flags, &stdio, &mut cgroup),
        };
        let (guard, chan) = match started {
            Ok(p) => p,
            Err(e) => fail!("{e}"),
        };
        let Some(init) = guard.pid() else {
            fail!("clone the container's init: no pid");
        };
        // After the init's join, not before the clone: the first cgroup migration waits for an
        // RCU grace period (milliseconds), which the join pays while the init sets up in
        // parallel; this one then comes cheap. A restore has moved it while CRIU ran.
        let leaf = match spec.restore {
            Some(_) => Ok(()),
            None => cgroup.enter_shim_leaf(),
        };
        if let Err(e) = leaf {
            // Not fatal: the shim then stays in its starter's cgroup, as before.
            log::warn!("move the shim to its own cgroup: {e}");
        }
        r.children.register(init, Role::Init);
        let kept_ns = if hooks.has(HookKind::Stop) {
            crate::hooks::keep_namespaces(init)
        } else {
            Vec::new()
        };
        let chan_token = r.sources.add(Source::InitChannel);
        let registered = r.poll.registry().register(
            &mut SourceFd(&chan.as_raw_fd()),
            chan_token,
            Interest::READABLE,
        );
        if let Err(e) = registered {
            fail!("set up the event loop: {}", lxc_proto::strerror(&e));
        }
        let freezer_events = relaunch::watch_freezer(&cgroup, r.poll.registry(), &mut r.sources);
        let oom = crate::cgroup::oom::watch(&cgroup, r.poll.registry(), &mut r.sources);
        let life = Lifecycle::new(LifeSpec {
            name: spec.name.clone(),
            system: spec.system,
            init,
            cmd0: spec.command.first().cloned().unwrap_or_default(),
            cgroup,
            halt_signal: spec.config.settings.signal_halt.unwrap_or(if spec.system {
                libc::SIGPWR
            } else {
                libc::SIGTERM
            }),
            stop_signal: spec.config.settings.signal_stop,
            // What systemd and sysvinit take for Ctrl-Alt-Del, as LXC's default.
            reboot_signal: spec.config.settings.signal_reboot.unwrap_or(libc::SIGINT),
        });
        let mut helpers = HashMap::new();
        // Every interface but `none`, which stands for the host's network and is nothing to make.
        let networks = spec.config.settings.interfaces();
        let phase = if !spec.config.settings.network_namespace() || spec.restore.is_some() {
            Phase::Started
        } else {
            let started = relaunch::start_network(
                &networks,
                init,
                &rundir,
                &mut record,
                r.poll.registry(),
                &mut r.sources,
                &mut r.children,
            );
            match started {
                Ok((pid, run)) => {
                    helpers.insert(pid, run);
                    Phase::Network
                }
                Err(e) => {
                    drop(guard);
                    let e = payload::init_failure(&chan).unwrap_or(e);
                    fail!("{e}");
                }
            }
        };
        let launcher = match launch
            .set_nonblocking(true)
            .map(|_| UnixStream::from_std(launch))
        {
            Ok(mut stream) => {
                let token = r.sources.add(Source::Launch);
                match r
                    .poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE)
                {
                    Ok(()) => Some((token, Launcher::new(stream))),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        // On the heap: a shim's stack pages are its own (and its init's) for good.
        let mut shim = Box::new(Shim {
            poll: r.poll,
            sources: r.sources,
            timers: Timers::default(),
            timer_fd: r.timer_fd,
            timer_at: None,
            children: r.children,
            clients: Clients::new(nix::unistd::geteuid().as_raw()),
            listener: r.listener,
            signals: r.signals,
            launcher,
            chan,
            chan_token,
            monitors: MonitorSender::new(spec.run_root.monitor_dir()),
            life,
            facts: Facts {
                command: spec.command.clone(),
                network: crate::restore::network(spec),
                oom_kills: 0,
            },
            rundir,
            record,
            lock: Some(lock),
            helpers,
            freezer_events,
            oom,
            phase,
            accept_more: false,
            remove_deadline: None,
            teardown_started: false,
            // A system container reboots: keep what it takes to start it again.
            relaunch: spec.system.then(|| Relaunch {
                payload,
                flags,
                stdio,
                networks,
            }),
            hooks,
            hook_queue: Default::default(),
            hook_run: None,
            stop_hooks_queued: false,
            post_stop_queued: false,
            pre_start_queued: false,
            kept_ns,
            gate,
            pid_file: spec.pid_file.clone(),
            ephemeral_dir,
            dump: None,
            terminals: None,
            execs: None,
            tty_conf,
            notifier,
        });
        guard.defuse();
        if !restored_ttys.is_empty() {
            // A restored container's terminals (no devpts ptmx of its own comes with them:
            // lxc-attach finds the container's).
            shim.install_terminals(None, restored_ttys);
        }
        // STARTING is change number 1: announced before anything else can change.
        let mut fx = vec![Effect::Notify(shim.life.event())];
        if spec.restore.is_some() {
            shim.restored(&mut fx);
        } else if shim.phase == Phase::Started {
            shim.go(&mut fx);
        }
        shim.apply(&mut fx);
        Ok(shim)
    }
}

/// The loop's parts made before the init exists.
struct Resources {
    poll: Poll,
    sources: Sources,
    listener: UnixListener,
    signals: Signals,
    timer_fd: TimerFd,
    children: Children,
}

impl Resources {
    fn make(rundir: &RunDir) -> Result<Resources, String> {
        let sock_path = rundir.socket();
        let _ = std::fs::remove_file(&sock_path);
        let mut listener = UnixListener::bind(&sock_path)
            .map_err(|e| format!("bind {}: {}", sock_path.display(), lxc_proto::strerror(&e)))?;
        std::fs::set_permissions(&sock_path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod {}: {}", sock_path.display(), lxc_proto::strerror(&e)))?;
        // The loop, with its SIGCHLD handler, exists before the init does: a COMMAND that
        // ends at once must not end before anyone listens for it.
        let mut setup = || -> io::Result<(Poll, Sources, Signals, TimerFd)> {
            let poll = Poll::new()?;
            let mut sources = Sources::default();
            let mut signals = Signals::new([SIGCHLD, SIGTERM, SIGINT, SIGHUP])?;
            let reg = poll.registry();
            reg.register(
                &mut signals,
                sources.add(Source::Signals),
                Interest::READABLE,
            )?;
            reg.register(
                &mut listener,
                sources.add(Source::Listener),
                Interest::READABLE,
            )?;
            let timer_fd = TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )?;
            reg.register(
                &mut SourceFd(&timer_fd.as_fd().as_raw_fd()),
                sources.add(Source::Timer),
                Interest::READABLE,
            )?;
            Ok((poll, sources, signals, timer_fd))
        };
        let (poll, sources, signals, timer_fd) =
            setup().map_err(|e| format!("set up the event loop: {}", lxc_proto::strerror(&e)))?;
        Ok(Resources {
            poll,
            sources,
            listener,
            signals,
            timer_fd,
            children: Children::default(),
        })
    }
}
