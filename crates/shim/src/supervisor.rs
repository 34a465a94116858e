//! The shim's life: adopt the launch channel, detach, make the cgroup and the control socket,
//! clone the container's init, then one mio loop that reaps, answers clients and relays
//! signals until the container has stopped, and finally clean up and tell everyone the status.
//! States: STARTING -> RUNNING -> STOPPING -> STOPPED, or STARTING -> ABORTING -> STOPPING ->
//! STOPPED when the set-up or the exec of COMMAND fails.
use crate::cgroup;
use crate::init::{self, InitPlan};
use crate::server::{Conn, ReadOutcome};
use crate::sync::InitMsg;
use crate::sys;
use lxc_proto::launch::{LaunchEvent, LaunchRequest, LaunchSpec};
use lxc_proto::monitor::StateEvent;
use lxc_proto::rundir::{self, Record, RunDir};
use lxc_proto::wire::{ErrorCode, Response, RpcError};
use lxc_proto::{ExitStatus, State};
use mio::net::{UnixListener, UnixStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::socket::{socketpair, sockopt, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde_json::{json, Value};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixStream as UnixStreamStd};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const LISTENER: Token = Token(0);
const SIGNALS: Token = Token(1);
const SYNC: Token = Token(2);
const LAUNCH: Token = Token(3);
const FIRST_CONN: usize = 16;
/// Descriptors the init must find untouched are kept at or above this number.
const HIGH_FD: RawFd = 10;

/// How the shim's COMMAND gets its stdio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdio {
    /// The caller's own stdin, stdout and stderr.
    Inherit,
    /// /dev/null (a detached container must not hold its caller's pipes open).
    Null,
}

/// Forks the shim for `spec` from the calling command, detached from it: an intermediate child
/// calls setsid and forks the shim, then exits, so that the shim is not the caller's child and
/// has a session of its own. Returns in the caller once the intermediate child has been reaped;
/// the shim reports on `launch` (see `lxc_proto::launch`). It holds `lock` for its whole life.
/// The caller must be single-threaded.
pub fn spawn(spec: &LaunchSpec, launch: UnixStreamStd, lock: File, stdio: Stdio) -> io::Result<()> {
    match sys::fork()? {
        sys::Forked::Parent(child) => {
            drop(launch);
            drop(lock);
            let _ = waitpid(child, None);
            Ok(())
        }
        sys::Forked::Child => {
            let _ = nix::unistd::setsid();
            match sys::fork() {
                Ok(sys::Forked::Parent(_)) => sys::exit_now(0),
                Ok(sys::Forked::Child) => {}
                Err(e) => {
                    let message = format!("fork the shim: {e}");
                    send_event(&launch, &LaunchEvent::Failed { code: 125, message });
                    sys::exit_now(1);
                }
            }
            // From here on this is the shim; it never returns into the command's code.
            sys::exit_now(run_shim(spec, launch, lock, stdio))
        }
    }
}

fn run_shim(spec: &LaunchSpec, launch: UnixStreamStd, lock: File, stdio: Stdio) -> i32 {
    // Whatever the command's caller left open (a test harness's pipes, a terminal) is not
    // the shim's business; only the launch channel, the lock and stdio stay.
    let mut keep = vec![launch.as_raw_fd(), lock.as_raw_fd()];
    keep.extend(lxc_proto::logfile::fd());
    let prepared = sys::close_fds_except(&keep)
        .map_err(io::Error::from)
        .and_then(|_| {
            if stdio == Stdio::Null {
                null_stdio()
            } else {
                Ok(())
            }
        });
    if let Err(e) = prepared {
        let message = format!("prepare the shim: {e}");
        send_event(&launch, &LaunchEvent::Failed { code: 125, message });
        return 1;
    }
    sys::set_cmdline(&format!("[lxc-shim {}]", spec.name));
    let rundir = RunDir::new(&spec.name);
    match Shim::start(spec, launch, lock, rundir) {
        Ok(mut shim) => shim.run(),
        Err(StartError {
            launch,
            lock,
            rundir,
            message,
        }) => {
            log::error!("{message}");
            if let Err(e) = rundir.remove(lock) {
                log::error!("clean up: {e}");
            }
            announce_failed_start(&spec.name);
            send_event(&launch, &LaunchEvent::Failed { code: 125, message });
            1
        }
    }
}

fn null_stdio() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..3 {
        sys::dup_onto(null.as_raw_fd(), fd)?;
    }
    Ok(())
}

fn send_event(launch: &UnixStreamStd, ev: &LaunchEvent) {
    let mut line = serde_json::to_vec(ev).unwrap_or_default();
    line.push(b'\n');
    // The command may be gone (killed, or -d): the container does not care.
    let _ = (&*launch).write_all(&line);
}

struct StartError {
    launch: UnixStreamStd,
    lock: File,
    rundir: RunDir,
    message: String,
}

/// A freeze asked for and not complete yet.
pub(crate) struct PendingFreeze {
    pub deadline: Instant,
    /// The freeze's time limit, for the message when it runs out.
    pub timeout: Duration,
    /// Requests to answer when it completes or fails.
    pub waiters: Vec<(Token, Value)>,
}

pub(crate) struct Shim {
    pub name: String,
    pub command: Vec<String>,
    rundir: RunDir,
    lock: Option<File>,
    pub hierarchies: Vec<cgroup::Hierarchy>,
    /// The container's group in each of `hierarchies`.
    pub cgroups: Vec<PathBuf>,
    pub freezer: Option<cgroup::Freezer>,
    poll: Poll,
    listener: UnixListener,
    signals: Signals,
    sync: OwnedFd,
    launch: Option<UnixStream>,
    launch_in: Vec<u8>,
    pub init: Pid,
    init_status: Option<ExitStatus>,
    pub state: State,
    /// Number of the last state change (1 = STARTING).
    pub seq: u64,
    /// Unbound datagram socket for the monitor channel.
    announce: Option<UnixDatagram>,
    pub started: Option<u64>,
    pub exit: Option<ExitStatus>,
    failure: Option<(i32, String)>,
    pub conns: HashMap<Token, Conn>,
    next_conn: usize,
    uid: u32,
    /// When a graceful stop turns into a kill.
    pub stop_deadline: Option<Instant>,
    pub pending_freeze: Option<PendingFreeze>,
    /// lxc-start: the init is COMMAND itself.
    pub system: bool,
    /// What anyone needs to clean up after this shim (also in the run directory).
    record: Record,
    /// The interfaces as set up.
    pub network: lxc_proto::net::SetupResult,
    /// Sent to COMMAND (app) or pid 1 (system) by a graceful stop.
    pub halt_signal: i32,
    /// `lxc.signal.stop`: sent when the grace time is over, before the kill; None = kill.
    pub stop_signal: Option<i32>,
    /// Whether `stop_signal` has been sent.
    pub stop_signal_sent: bool,
}

impl Shim {
    fn start(
        spec: &LaunchSpec,
        launch: UnixStreamStd,
        lock: File,
        rundir: RunDir,
    ) -> Result<Shim, StartError> {
        macro_rules! fail {
            ($($arg:tt)*) => {{
                let message = format!($($arg)*);
                return Err(StartError { launch, lock, rundir, message });
            }};
        }
        let name = spec.name.clone();
        let _ = nix::sys::prctl::set_name(c"lxc-shim");
        let _ = sys::ignore_signal(Signal::SIGPIPE);
        let stdio = match take_stdio() {
            Ok(s) => s,
            Err(e) => fail!("take over stdio: {e}"),
        };
        log::debug!("shim detached");
        let hierarchies = match cgroup::own_hierarchies() {
            Ok(h) => h,
            Err(e) => fail!("read own cgroups: {e}"),
        };
        let cgroups: Vec<PathBuf> = hierarchies.iter().map(|h| h.container_dir(&name)).collect();
        // Written before anything is made, so that whoever finds this shim dead can clean up.
        let record = Record {
            shim_pid: std::process::id() as i32,
            cgroups: cgroups.clone(),
            ..Record::default()
        };
        if let Err(e) = rundir.write_record(&record) {
            fail!("write {}: {e}", rundir.record_path().display());
        }
        let sock_path = rundir.socket();
        let _ = std::fs::remove_file(&sock_path);
        let listener = match UnixListener::bind(&sock_path) {
            Ok(l) => l,
            Err(e) => fail!("bind {}: {e}", sock_path.display()),
        };
        if let Err(e) = std::fs::set_permissions(&sock_path, std::fs::Permissions::from_mode(0o600))
        {
            fail!("chmod {}: {e}", sock_path.display());
        }
        let plan = match plan_init(spec, &name, &hierarchies) {
            Ok(p) => p,
            Err(e) => fail!("{e}"),
        };
        let (ours, theirs) = match socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        ) {
            Ok(p) => p,
            Err(e) => fail!("create sync channel: {e}"),
        };
        let theirs = match dup_high(theirs.as_raw_fd()) {
            Ok(fd) => fd,
            Err(e) => fail!("create sync channel: {e}"),
        };
        // The loop, with its SIGCHLD handler, exists before the init does: a COMMAND that
        // ends at once must not end before anyone listens for it.
        let mut listener = listener;
        let mut setup = || -> io::Result<(Poll, Signals, UnixStream)> {
            let poll = Poll::new()?;
            let mut signals = Signals::new([SIGCHLD, SIGTERM, SIGINT, SIGHUP])?;
            let reg = poll.registry();
            reg.register(&mut signals, SIGNALS, Interest::READABLE)?;
            reg.register(&mut listener, LISTENER, Interest::READABLE)?;
            fcntl(&ours, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
            reg.register(&mut SourceFd(&ours.as_raw_fd()), SYNC, Interest::READABLE)?;
            launch.set_nonblocking(true)?;
            let mut launch_mio = UnixStream::from_std(launch.try_clone()?);
            reg.register(&mut launch_mio, LAUNCH, Interest::READABLE)?;
            Ok((poll, signals, launch_mio))
        };
        let (poll, signals, launch_mio) = match setup() {
            Ok(v) => v,
            Err(e) => fail!("set up the event loop: {e}"),
        };
        // Every signal is blocked across the clone: the init must never run one of our
        // handlers, and it takes signals with sigwaitinfo from then on.
        let mut old = SigSet::empty();
        let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), Some(&mut old));
        let forked = sys::clone_fork(clone_flags(spec));
        if let Ok(sys::Forked::Child) = forked {
            let raw = [
                stdio[0].as_raw_fd(),
                stdio[1].as_raw_fd(),
                stdio[2].as_raw_fd(),
            ];
            init::run(&plan, raw, theirs.as_raw_fd());
        }
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
        drop(theirs);
        drop(stdio);
        let init = match forked {
            Ok(sys::Forked::Parent(pid)) => pid,
            Ok(sys::Forked::Child) => unreachable_child(),
            Err(e) => fail!("clone the container's init: {e}"),
        };
        log::info!("init started, pid {init}");
        // While the init sets up its namespaces, make the cgroups and move it in: the two
        // run in parallel, and COMMAND starts only after `go`.
        if let Err(e) =
            cgroup::create(&hierarchies, &name).and_then(|_| cgroup::join(&cgroups, init))
        {
            let _ = sys::send_signal(init, libc::SIGKILL);
            let _ = waitpid(init, None);
            // The init may have failed first (and taken its cgroup membership with it).
            let message = init_failure(&ours).unwrap_or_else(|| format!("create cgroup: {e}"));
            fail!("{message}");
        }
        let mut record = record;
        let mut network = lxc_proto::net::SetupResult::default();
        if spec.config.settings.network_namespace() {
            match crate::net::set_up(spec, init, &rundir, &mut record) {
                Ok(r) => network = r,
                Err(e) => {
                    let _ = sys::send_signal(init, libc::SIGKILL);
                    let _ = waitpid(init, None);
                    if let Err(t) = crate::net::tear_down(&record.net) {
                        log::error!("network teardown: {t}");
                    }
                    // A failed mount in the init ends it, and its namespace with it: then
                    // the network helper's error is only a consequence.
                    let message = init_failure(&ours).unwrap_or(e);
                    fail!("{message}");
                }
            }
            log::debug!("network set up: {network:?}");
        }
        if let Err(e) = Ok::<(), io::Error>(()).and_then(|_| {
            nix::sys::socket::send(
                ours.as_raw_fd(),
                init::GO,
                nix::sys::socket::MsgFlags::empty(),
            )
            .map(drop)
            .map_err(io::Error::from)
        }) {
            let _ = sys::send_signal(init, libc::SIGKILL);
            let _ = waitpid(init, None);
            fail!("start the container: {e}");
        }
        log::debug!("cgroups made and joined");
        drop(launch);
        let freezer = crate::methods::find_freezer(&hierarchies, &name);
        Ok(Shim {
            name,
            command: spec.command.clone(),
            rundir,
            lock: Some(lock),
            hierarchies,
            cgroups,
            freezer,
            poll,
            listener,
            signals,
            sync: ours,
            launch: Some(launch_mio),
            launch_in: Vec::new(),
            init,
            init_status: None,
            state: State::Starting,
            seq: 1,
            announce: UnixDatagram::unbound()
                .and_then(|s| s.set_nonblocking(true).map(|_| s))
                .ok(),
            started: None,
            exit: None,
            failure: None,
            conns: HashMap::new(),
            next_conn: FIRST_CONN,
            stop_deadline: None,
            pending_freeze: None,
            system: spec.system,
            record,
            network,
            halt_signal: spec.config.settings.signal_halt.unwrap_or(if spec.system {
                libc::SIGPWR
            } else {
                libc::SIGTERM
            }),
            stop_signal: spec
                .config
                .settings
                .signal_stop
                .filter(|&s| s != libc::SIGKILL),
            stop_signal_sent: false,
            uid: nix::unistd::geteuid().as_raw(),
        })
    }

    fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(64);
        self.announce(State::Starting);
        while self.init_status.is_none() {
            if self.stop_deadline.is_some_and(|d| d <= Instant::now()) {
                self.grace_over();
            }
            self.check_freeze();
            let mut timeout = self
                .stop_deadline
                .map(|d| d.saturating_duration_since(Instant::now()));
            if self.pending_freeze.is_some() {
                // The kernel gives no wakeup for a v1 freeze: look again soon.
                timeout = Some(timeout.map_or(FREEZE_TICK, |t| t.min(FREEZE_TICK)));
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                log::error!("poll: {e}");
                // Without the loop nothing can be supervised: end the container cleanly.
                let _ = sys::send_signal(self.init, libc::SIGKILL);
                let _ = waitpid(self.init, None);
                self.init_status = Some(ExitStatus::signaled(libc::SIGKILL));
                break;
            }
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => self.accept(),
                    SIGNALS => self.on_signals(),
                    SYNC => self.read_sync(),
                    LAUNCH => self.read_launch(),
                    token => self.on_conn(token, ev.is_readable(), ev.is_writable()),
                }
            }
        }
        self.finish();
        0
    }

    /// Moves to `state`: numbers the change, tells the monitors and the subscribers.
    pub(crate) fn set_state(&mut self, state: State) {
        if self.state == state {
            return;
        }
        log::info!("state {} -> {}", self.state, state);
        self.state = state;
        self.seq += 1;
        self.announce(state);
    }

    fn announce(&mut self, state: State) {
        let event = StateEvent {
            name: self.name.clone(),
            state,
            seq: self.seq,
            time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            exit: if state == State::Stopped {
                self.exit.or(self.init_status)
            } else {
                None
            },
            shim_pid: std::process::id() as i32,
        };
        if let Some(sock) = &self.announce {
            lxc_proto::monitor::broadcast(sock, &event);
        }
        let line = notification(&event);
        let mut dropped = Vec::new();
        for (token, conn) in self.conns.iter_mut().filter(|(_, c)| c.subscribed) {
            if !conn.send_raw(&line) || !conn.flush(self.poll.registry(), *token) {
                dropped.push(*token);
            }
        }
        for token in dropped {
            log::warn!("dropping a subscriber that does not read its notifications");
            self.drop_conn(token);
        }
    }

    /// Queues `resp` for a client (it may have gone meanwhile).
    pub(crate) fn reply(&mut self, token: Token, resp: &Response) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        if !conn.send(resp) || !conn.flush(self.poll.registry(), token) {
            self.drop_conn(token);
        }
    }

    fn drop_conn(&mut self, token: Token) {
        if let Some(mut c) = self.conns.remove(&token) {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((mut stream, _)) => {
                    let allowed = nix::sys::socket::getsockopt(&stream, sockopt::PeerCredentials)
                        .map(|c| c.uid() == 0 || c.uid() == self.uid)
                        .unwrap_or(false);
                    if !allowed {
                        log::warn!("refused a client that is neither root nor uid {}", self.uid);
                        continue;
                    }
                    let token = Token(self.next_conn);
                    self.next_conn += 1;
                    if self
                        .poll
                        .registry()
                        .register(&mut stream, token, Interest::READABLE)
                        .is_ok()
                    {
                        self.conns.insert(token, Conn::new(stream));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE and the like: leave the rest in the backlog for the next round.
                    log::warn!("accept: {e}");
                    return;
                }
            }
        }
    }

    fn on_signals(&mut self) {
        let pending: Vec<i32> = self.signals.pending().collect();
        for sig in pending {
            if sig == SIGCHLD {
                self.reap();
            } else {
                // Termination signals sent to the shim go to COMMAND, through the init.
                let _ = sys::send_signal(self.init, sig);
            }
        }
    }

    /// SIGCHLDs coalesce: reap until nothing is left.
    fn reap(&mut self) {
        loop {
            match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == self.init => {
                    self.init_status = Some(ExitStatus::exited(code));
                }
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == self.init => {
                    self.init_status = Some(ExitStatus::signaled(sig as i32));
                }
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => {
                    log::error!("waitpid: {e}");
                    return;
                }
            }
        }
    }

    fn read_sync(&mut self) {
        let mut buf = [0u8; 512];
        loop {
            match nix::sys::socket::recv(
                self.sync.as_raw_fd(),
                &mut buf,
                nix::sys::socket::MsgFlags::empty(),
            ) {
                Ok(0) => {
                    // lxc-start: a successful exec of pid 1 closed its end of the channel.
                    if self.system && self.state == State::Starting && self.failure.is_none() {
                        self.on_init_msg(InitMsg::Running { pid: 1 });
                    }
                    return;
                }
                Ok(n) => match InitMsg::decode(&buf[..n]) {
                    Some(msg) => self.on_init_msg(msg),
                    None => log::warn!(
                        "malformed message from the init: {:?}",
                        String::from_utf8_lossy(&buf[..n])
                    ),
                },
                Err(Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    fn on_init_msg(&mut self, msg: InitMsg) {
        log::debug!("init: {msg:?}");
        match msg {
            InitMsg::Running { .. } => {
                self.started = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs());
                self.set_state(State::Running);
                self.send_launch(&LaunchEvent::Ready {
                    pid: self.init.as_raw(),
                });
            }
            InitMsg::ExecFailed { errno } => {
                let e = Errno::from_raw(errno);
                let code = if e == Errno::ENOENT { 127 } else { 126 };
                let cmd = self.command.first().cloned().unwrap_or_default();
                self.failure = Some((code, format!("failed to exec \"{cmd}\": {}", e.desc())));
                self.set_state(State::Aborting);
            }
            InitMsg::SetupFailed { step, errno } => {
                self.failure = Some((125, format!("{step}: {}", Errno::from_raw(errno).desc())));
                self.set_state(State::Aborting);
            }
            InitMsg::Exited(status) => {
                self.exit = Some(status);
                self.set_state(State::Stopping);
            }
            InitMsg::Warning(w) => log::warn!("{w}"),
        }
    }

    fn read_launch(&mut self) {
        let Some(stream) = self.launch.as_mut() else {
            return;
        };
        let mut chunk = [0u8; 1024];
        let mut gone = false;
        loop {
            match io::Read::read(stream, &mut chunk) {
                Ok(0) => {
                    gone = true;
                    break;
                }
                Ok(n) => self.launch_in.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    gone = true;
                    break;
                }
            }
        }
        while let Some(pos) = self.launch_in.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.launch_in.drain(..=pos).collect();
            match serde_json::from_slice::<LaunchRequest>(&line[..pos]) {
                Ok(LaunchRequest::Signal { signal }) if (1..=64).contains(&signal) => {
                    log::info!("forwarding signal {signal} from lxc-execute");
                    let _ = sys::send_signal(self.init, signal);
                }
                _ => log::warn!("bad request on the launch channel"),
            }
        }
        if gone || self.launch_in.len() > 4096 {
            self.drop_launch();
        }
    }

    fn drop_launch(&mut self) {
        if let Some(mut s) = self.launch.take() {
            let _ = self.poll.registry().deregister(&mut s);
        }
        self.launch_in = Vec::new();
    }

    fn send_launch(&mut self, ev: &LaunchEvent) {
        let Some(stream) = self.launch.as_mut() else {
            return;
        };
        let mut line = serde_json::to_vec(ev).unwrap_or_default();
        line.push(b'\n');
        if stream.write_all(&line).is_err() {
            self.drop_launch();
        }
    }

    fn on_conn(&mut self, token: Token, readable: bool, writable: bool) {
        let mut keep = true;
        // Read, answer, write, and again while the last read stopped at its budget.
        let mut more = readable;
        while keep && more {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            match conn.read() {
                ReadOutcome::Closed => keep = false,
                ReadOutcome::Requests(reqs) => {
                    for req in reqs {
                        let resp = match req {
                            Ok(req) => self.handle(token, req),
                            Err(resp) => Some(resp),
                        };
                        let Some(conn) = self.conns.get_mut(&token) else {
                            return;
                        };
                        if resp.is_some_and(|r| !conn.send(&r)) {
                            log::warn!("dropping a client that does not read its answers");
                            keep = false;
                            break;
                        }
                    }
                }
            }
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            more = conn.more;
            if keep && more {
                keep = conn.flush(self.poll.registry(), token);
            }
        }
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        if keep && (readable || writable) {
            keep = conn.flush(self.poll.registry(), token);
        }
        if !keep {
            self.drop_conn(token);
        }
    }

    /// The init has been reaped: everything of the container is gone with it (it was the pid
    /// namespace's init). Remove the cgroups and the run directory, then tell the waiters.
    fn finish(&mut self) {
        // The init's last datagram may still be queued behind its SIGCHLD.
        self.read_sync();
        if self.failure.is_some() {
            self.set_state(State::Aborting);
        }
        self.set_state(State::Stopping);
        self.stop_deadline = None;
        let status = self
            .exit
            .or(self.init_status)
            .unwrap_or(ExitStatus::signaled(libc::SIGKILL));
        self.exit = Some(status);
        log::debug!("init reaped");
        if let Err(e) = crate::net::tear_down(&self.record.net) {
            log::error!("network teardown: {e}");
        }
        if let Err(e) = rundir::remove_cgroups(&self.cgroups) {
            log::error!("remove cgroup: {e}");
        }
        if let Some(lock) = self.lock.take() {
            self.rundir.remove_files(lock);
        }
        log::debug!("cleaned up");
        self.set_state(State::Stopped);
        log::info!("stopped: {status:?}");
        let event = match &self.failure {
            Some((code, message)) => LaunchEvent::Failed {
                code: *code,
                message: message.clone(),
            },
            None => LaunchEvent::Exited { status },
        };
        self.send_launch(&event);
        let result = json!({ "state": State::Stopped, "exit": status });
        if let Some(p) = self.pending_freeze.take() {
            for (token, id) in p.waiters {
                if let Some(conn) = self.conns.get_mut(&token) {
                    conn.parked = conn.parked.saturating_sub(1);
                }
                let err = RpcError::new(ErrorCode::InvalidState, format!("{} stopped", self.name));
                self.reply(token, &Response::error(id, err));
            }
        }
        for conn in self.conns.values_mut() {
            for id in std::mem::take(&mut conn.waits) {
                let _ = conn.send(&Response::ok(id, result.clone()));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        for conn in self.conns.values_mut() {
            conn.flush_until(deadline);
        }
    }
}

/// A set-up failure the init reported on the sync channel, if it did (non-blocking: the init
/// writes it before it exits, and it has been reaped when this is asked).
fn init_failure(sync: &OwnedFd) -> Option<String> {
    let mut buf = [0u8; 512];
    loop {
        match nix::sys::socket::recv(
            sync.as_raw_fd(),
            &mut buf,
            nix::sys::socket::MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(0) | Err(_) => return None,
            Ok(n) => match InitMsg::decode(&buf[..n]) {
                Some(InitMsg::SetupFailed { step, errno }) => {
                    return Some(format!("{step}: {}", Errno::from_raw(errno).desc()))
                }
                _ => continue,
            },
        }
    }
}

/// How often a freeze in progress is looked at.
const FREEZE_TICK: Duration = Duration::from_millis(1);

/// A subscription's notification line.
fn notification(event: &StateEvent) -> Vec<u8> {
    let mut line =
        serde_json::to_vec(&json!({ "jsonrpc": "2.0", "method": "state", "params": event }))
            .unwrap_or_default();
    line.push(b'\n');
    line
}

/// A start that failed before the shim existed still passes through ABORTING for monitors.
fn announce_failed_start(name: &str) {
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let _ = sock.set_nonblocking(true);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    for (seq, state) in [
        (1, State::Starting),
        (2, State::Aborting),
        (3, State::Stopped),
    ] {
        let event = StateEvent {
            name: name.to_string(),
            state,
            seq,
            time: now,
            exit: None,
            shim_pid: std::process::id() as i32,
        };
        lxc_proto::monitor::broadcast(&sock, &event);
    }
}

const CLONE_FLAGS: libc::c_int =
    libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;

/// The spec's section 3.2: a network namespace only when the config has network settings
/// (interfaces of type `none` share the host's network).
fn clone_flags(spec: &LaunchSpec) -> libc::c_int {
    if spec.config.settings.network_namespace() {
        CLONE_FLAGS | libc::CLONE_NEWNET
    } else {
        CLONE_FLAGS
    }
}

fn unreachable_child() -> ! {
    // init::run never returns; this only satisfies the type checker.
    sys::exit_now(125)
}

/// The launching command's stdin, stdout and stderr go to COMMAND; the shim itself keeps
/// /dev/null so that it holds no terminal once the init has its copies.
fn take_stdio() -> io::Result<[OwnedFd; 3]> {
    let fds = [dup_high(0)?, dup_high(1)?, dup_high(2)?];
    null_stdio()?;
    Ok(fds)
}

fn dup_high(fd: RawFd) -> io::Result<OwnedFd> {
    let borrowed = sys::borrow_fd(fd);
    let new = fcntl(borrowed, FcntlArg::F_DUPFD_CLOEXEC(HIGH_FD))?;
    sys::adopt_fd(new)
}

fn plan_init(
    spec: &LaunchSpec,
    name: &str,
    hierarchies: &[cgroup::Hierarchy],
) -> Result<InitPlan, String> {
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
    let cgroup_dirs = hierarchies
        .iter()
        .map(|h| {
            let base = h
                .mount
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            (
                base.unwrap_or_else(|| "cgroup".into()),
                h.container_dir(name),
            )
        })
        .collect();
    Ok(InitPlan {
        hostname: spec
            .config
            .settings
            .utsname
            .clone()
            .unwrap_or_else(|| name.to_string()),
        argv,
        env,
        fs: crate::mounts::plan(&spec.config.settings, spec.mounts.clone(), cgroup_dirs),
        system: spec.system,
    })
}
