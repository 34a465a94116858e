//! The shim's side of terminals and lxc-attach (protocol 4): the init's terminals taken over,
//! the `console`, `exec`, `exec-wait` and `exec-signal` methods, the terminals' events, and
//! their end. What the terminals do lives in `terminals.rs`, the attached process's set-up in
//! `attach.rs`, the table of attached processes in `exec.rs`.
use crate::conn::Request;
use crate::event_loop::Shim;
use crate::exec::WaitOutcome;
use crate::lifecycle::{Effect, Waiter};
use crate::sources::Source;
use crate::sys;
use crate::terminals::{TermOutcome, Terminals, TtyId, TtyToken};
use crate::viewer::Viewer;
use lxc_proto::framing::{error_line, ok_line};
use lxc_proto::terminal::{ConsoleParams, ConsoleReply, ExecReply, ExecWaitReply};
use lxc_proto::{Call, ErrorCode, ExitStatus, RpcError, State};
use mio::Token;
use nix::unistd::Pid;
use std::os::fd::{AsFd, OwnedFd};

pub(crate) fn err(code: ErrorCode, message: impl Into<String>) -> RpcError {
    RpcError::new(code, message)
}

pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> RpcError {
    err(ErrorCode::Internal, format!("{what}: {e}"))
}

impl Shim {
    /// Whether a call is one of ours.
    pub(crate) fn is_terminal_call(req: &Request) -> bool {
        matches!(
            req.call,
            Ok(Call::Console(_) | Call::Exec(_) | Call::ExecWait(_) | Call::ExecSignal(_))
        )
    }

    /// Answers a terminal call of client `token` (with its descriptors); false once the
    /// client is gone.
    pub(crate) fn on_terminal_line(&mut self, token: Token, req: Request) -> bool {
        match self.terminal_call(token, req) {
            TermOutcome::Reply(Some(line), fds) => self.clients.send_with_fds(
                token,
                &line,
                fds,
                self.poll.registry(),
                &mut self.sources,
            ),
            TermOutcome::Reply(None, _) => true,
            TermOutcome::Parked => {
                if let Some(conn) = self.clients.get_mut(token) {
                    conn.park();
                }
                true
            }
        }
    }

    pub(crate) fn terminal_call(&mut self, token: Token, req: Request) -> TermOutcome {
        let Request { id, call, fds } = req;
        let result = match call {
            Ok(Call::Console(p)) => self.console(&p, fds),
            Ok(Call::Exec(p)) => self.exec(&p, fds),
            Ok(Call::ExecWait(p)) => {
                let waiter = Waiter {
                    token,
                    id: id.clone().unwrap_or_default(),
                };
                let pid = Pid::from_raw(p.pid);
                match self
                    .execs
                    .get_or_insert_with(Box::default)
                    .wait(pid, waiter)
                {
                    WaitOutcome::Now(exit) => ok(ExecWaitReply { pid: p.pid, exit }),
                    WaitOutcome::Parked if id.is_some() => return TermOutcome::Parked,
                    WaitOutcome::Parked => Ok((serde_json::Value::Null, Vec::new())),
                    WaitOutcome::Unknown => Err(err(
                        ErrorCode::InvalidParams,
                        format!("no process {} started by exec", p.pid),
                    )),
                }
            }
            Ok(Call::ExecSignal(p)) => {
                let pid = Pid::from_raw(p.pid);
                if self.execs.as_ref().is_some_and(|t| t.is_running(pid)) {
                    let _ = sys::send_signal(pid, p.signal);
                    ok(ExecReply { pid: p.pid })
                } else {
                    Err(err(
                        ErrorCode::InvalidParams,
                        format!("no running process {} started by exec", p.pid),
                    ))
                }
            }
            _ => Err(err(ErrorCode::Internal, "not a terminal call")),
        };
        let Some(id) = id else {
            return TermOutcome::Reply(None, Vec::new());
        };
        match result {
            Ok((value, fds)) => TermOutcome::Reply(Some(ok_line(&id, &value)), fds),
            Err(e) => TermOutcome::Reply(Some(error_line(&id, &e)), Vec::new()),
        }
    }

    pub(crate) fn running_or_refuse(&self, what: &str) -> Result<(), RpcError> {
        match self.life.state() {
            State::Running => Ok(()),
            State::Frozen | State::Freezing => Err(err(
                ErrorCode::InvalidState,
                format!(
                    "{} is frozen: {what} refused (lxc-unfreeze it first)",
                    self.life.name()
                ),
            )),
            s => Err(err(
                ErrorCode::InvalidState,
                format!("{} is {s}, not RUNNING: {what} refused", self.life.name()),
            )),
        }
    }

    fn console(&mut self, p: &ConsoleParams, fds: Vec<OwnedFd>) -> Result<Reply, RpcError> {
        let name = self.life.name().to_string();
        let Some(terms) = self.terminals.as_mut() else {
            return Err(err(
                ErrorCode::InvalidState,
                format!("{name} has no console (lxc.console.path = none, or started without a terminal)"),
            ));
        };
        let Some(i) = terms.find(TtyId::Number(p.tty)) else {
            return Err(err(
                ErrorCode::InvalidParams,
                format!("{name} has no tty {}", p.tty),
            ));
        };
        let master = terms
            .master_copy(i)
            .map_err(|e| internal("duplicate the master", e))?;
        if let Some(size) = p.size {
            let _ = crate::sys_tty::set_window_size(master.as_fd(), size.rows, size.cols);
        }
        let (viewer, theirs) = new_viewer(&mut self.sources, fds)?;
        let registry = self.poll.registry();
        let replayed = terms
            .attach(i, viewer, registry)
            .map_err(|e| internal("attach", e))?;
        log::info!("a client attached to tty {}", p.tty);
        ok_fds(
            ConsoleReply {
                tty: p.tty,
                replayed,
            },
            vec![master, theirs],
        )
    }

    /// The init's terminals: its devpts ptmx then the masters (tty 0, 1..N).
    pub(crate) fn on_terminals(&mut self, count: u32, fds: Vec<OwnedFd>) {
        if self.life.state() != State::Starting || fds.len() != count as usize + 1 || count > 64 {
            log::warn!(
                "ignored terminals from the init ({} descriptors for {count})",
                fds.len()
            );
            return;
        }
        let mut fds = fds.into_iter();
        let ptmx = fds.next();
        self.install_terminals(ptmx, fds.enumerate().map(|(n, m)| (n as u32, m)).collect());
    }

    /// The container's terminals from now on: its devpts ptmx, if known, and its masters.
    pub(crate) fn install_terminals(
        &mut self,
        ptmx: Option<OwnedFd>,
        masters: Vec<(u32, OwnedFd)>,
    ) {
        // A reboot's new init: the old terminals (and their viewers) go.
        if let Some(mut old) = self.terminals.take() {
            old.end_all(self.poll.registry());
        }
        let mut terms = Box::new(Terminals::new(&self.tty_conf.console));
        if let Err(e) = terms.open_log() {
            log::warn!("console log: {}", lxc_proto::strerror(&e));
        }
        terms.ptmx = ptmx;
        for (n, master) in masters {
            let token = self.sources.add(Source::Terminal);
            if let Err(e) = terms.add(TtyId::Number(n), master, token, true, self.poll.registry()) {
                log::warn!("tty {n}: {}", lxc_proto::strerror(&e));
            }
        }
        self.terminals = Some(terms);
    }

    /// A master or a viewer's stream has an event.
    pub(crate) fn on_terminal_event(&mut self, token: Token, readable: bool) {
        let Some(terms) = self.terminals.as_mut() else {
            self.sources.remove(token);
            return;
        };
        let registry = self.poll.registry();
        match terms.by_token(token) {
            Some(TtyToken::Master(i)) => terms.pump(i, registry),
            Some(TtyToken::Viewer(i, v)) => terms.on_viewer(i, v, readable, registry),
            Some(TtyToken::Orphan(o)) => terms.on_orphan(o, registry),
            None => self.sources.remove(token),
        }
    }

    /// Masters with more to read than one round took.
    pub(crate) fn terminals_more(&self) -> bool {
        self.terminals.as_ref().is_some_and(|t| t.more())
    }

    pub(crate) fn pump_terminals(&mut self) {
        if let Some(t) = self.terminals.as_mut() {
            t.pump_all(self.poll.registry());
        }
    }

    /// An attached process was reaped: its terminal ends, its waiters get its status.
    pub(crate) fn on_exec_reaped(&mut self, pid: Pid, status: ExitStatus, fx: &mut Vec<Effect>) {
        log::info!("exec: {pid} ended: {status}");
        if let Some(terms) = self.terminals.as_mut() {
            if let Some(i) = terms.find(TtyId::Exec(pid)) {
                terms.end(i, self.poll.registry());
            }
        }
        let waiters = self
            .execs
            .get_or_insert_with(Box::default)
            .ended(pid, status);
        for w in waiters {
            let line = ok_line(
                &w.id,
                &ExecWaitReply {
                    pid: pid.as_raw(),
                    exit: status,
                },
            );
            fx.push(Effect::Answer(w, line));
        }
    }

    /// The container has stopped: attached processes outside its pid namespace are killed,
    /// every terminal ends.
    pub(crate) fn end_terminals(&mut self) {
        if let Some(execs) = &self.execs {
            for pid in execs.running() {
                let _ = sys::send_signal(*pid, libc::SIGKILL);
            }
        }
        if let Some(terms) = self.terminals.as_mut() {
            terms.end_all(self.poll.registry());
        }
    }

    /// A client is gone: its parked `exec-wait`s go.
    pub(crate) fn forget_exec_waits(&mut self, token: Token) {
        if let Some(t) = self.execs.as_mut() {
            t.forget(token);
        }
    }
}

pub(crate) type Reply = (serde_json::Value, Vec<OwnedFd>);

fn ok<T: serde::Serialize>(v: T) -> Result<Reply, RpcError> {
    ok_fds(v, Vec::new())
}

pub(crate) fn ok_fds<T: serde::Serialize>(v: T, fds: Vec<OwnedFd>) -> Result<Reply, RpcError> {
    serde_json::to_value(v)
        .map(|v| (v, fds))
        .map_err(|e| internal("encode", e))
}

/// A viewer with a new stream pair (ours registered, theirs to hand out); the caller's
/// terminal, if it came along, is restored when the viewer goes unannounced.
pub(crate) fn new_viewer(
    sources: &mut crate::sources::Sources,
    fds: Vec<OwnedFd>,
) -> Result<(Viewer, OwnedFd), RpcError> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()
        .map_err(|e| internal("create the output stream", lxc_proto::strerror(&e)))?;
    ours.set_nonblocking(true)
        .map_err(|e| internal("create the output stream", lxc_proto::strerror(&e)))?;
    let restore = fds.into_iter().next().and_then(|fd| {
        let mode = nix::sys::termios::tcgetattr(&fd).ok()?;
        Some((fd, mode))
    });
    let token = sources.add(Source::Terminal);
    let viewer = Viewer::new(
        token,
        mio::net::UnixStream::from_std(ours),
        Vec::new(),
        restore,
    );
    Ok((viewer, OwnedFd::from(theirs)))
}
