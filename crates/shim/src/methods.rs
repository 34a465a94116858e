//! The control socket's methods: state, info, wait, stop, kill, freeze, unfreeze, ps and
//! subscribe (docs/protocol.md). Each either answers at once or parks the request (wait, stop,
//! a freeze in progress) until the container gets there.
use crate::cgroup::{self, Freezer};
use crate::ps;
use crate::supervisor::{PendingFreeze, Shim};
use crate::sys;
use lxc_proto::wire::{ErrorCode, Request, Response, RpcError};
use lxc_proto::{Info, State, PROTOCOL_VERSION};
use mio::Token;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// How long a freeze may take before it is undone, unless the request says otherwise.
pub const FREEZE_TIMEOUT: Duration = Duration::from_secs(10);

fn bad_params(m: &str) -> RpcError {
    RpcError::new(ErrorCode::InvalidParams, format!("invalid params: {m}"))
}

/// Checks that `params` has only keys of `allowed`.
fn only(params: &Map<String, Value>, method: &str, allowed: &[&str]) -> Result<(), RpcError> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) if allowed.is_empty() => {
            Err(bad_params(&format!("{method} takes none, got \"{k}\"")))
        }
        Some(k) => Err(bad_params(&format!("unknown param \"{k}\" for {method}"))),
        None => Ok(()),
    }
}

/// A number of seconds, ≥ 0.
fn seconds(params: &Map<String, Value>, key: &str) -> Result<Option<Duration>, RpcError> {
    match params.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 1e9)
            .map(|s| Some(Duration::from_secs_f64(s)))
            .ok_or_else(|| bad_params(&format!("\"{key}\" must be a number of seconds >= 0"))),
    }
}

/// What handling a request produced.
enum Outcome {
    Answer(Result<Value, RpcError>),
    /// Answered later (the request is parked).
    Later,
}

impl Shim {
    /// Answers one request; `None` when the answer comes later or is not wanted (notification).
    pub(crate) fn handle(&mut self, token: Token, req: Request) -> Option<Response> {
        let Request { id, method, params } = req;
        let empty = Map::new();
        let params = params.as_object().unwrap_or(&empty);
        let outcome = match method.as_str() {
            "state" => only(params, &method, &[])
                .map(|_| json!({ "state": self.state }))
                .into(),
            "info" => only(params, &method, &[])
                .and_then(|_| {
                    serde_json::to_value(self.info())
                        .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
                })
                .into(),
            "wait" => match only(params, &method, &[]) {
                Ok(()) => self.park_wait(token, &id),
                Err(e) => Outcome::Answer(Err(e)),
            },
            "stop" => match self.parse_stop(params) {
                Ok((kill, timeout)) => {
                    self.stop(kill, timeout);
                    self.park_wait(token, &id)
                }
                Err(e) => Outcome::Answer(Err(e)),
            },
            "kill" => Outcome::Answer(self.kill(params)),
            "freeze" => {
                match only(params, &method, &["timeout"]).and_then(|_| seconds(params, "timeout")) {
                    Ok(timeout) => self.freeze(token, &id, timeout.unwrap_or(FREEZE_TIMEOUT)),
                    Err(e) => Outcome::Answer(Err(e)),
                }
            }
            "unfreeze" => Outcome::Answer(only(params, &method, &[]).and_then(|_| self.unfreeze())),
            "ps" => Outcome::Answer(only(params, &method, &[]).and_then(|_| self.ps())),
            "subscribe" => Outcome::Answer(only(params, &method, &[]).map(|_| {
                if let Some(conn) = self.conns.get_mut(&token) {
                    conn.subscribed = true;
                }
                json!({ "name": self.name, "state": self.state, "seq": self.seq })
            })),
            other => Outcome::Answer(Err(RpcError::new(
                ErrorCode::MethodNotFound,
                format!("unknown method \"{other}\""),
            ))),
        };
        let id = id?;
        match outcome {
            Outcome::Answer(Ok(v)) => Some(Response::ok(id, v)),
            Outcome::Answer(Err(e)) => Some(Response::error(id, e)),
            Outcome::Later => None,
        }
    }

    fn park_wait(&mut self, token: Token, id: &Option<Value>) -> Outcome {
        if let (Some(id), Some(conn)) = (id.clone(), self.conns.get_mut(&token)) {
            conn.waits.push(id);
        }
        Outcome::Later
    }

    pub(crate) fn info(&self) -> Info {
        Info {
            name: self.name.clone(),
            state: self.state,
            pid: Some(self.init.as_raw()),
            shim_pid: std::process::id() as i32,
            command: self.command.clone(),
            started: self.started,
            exit: self.exit,
            cgroups: self
                .cgroups
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            protocol: PROTOCOL_VERSION,
            ips: self.network.ips(),
            interfaces: self.network.interfaces.clone(),
        }
    }

    /// `stop` params: `kill` (bool, default false) and `timeout` (seconds, default 60).
    fn parse_stop(&self, params: &Map<String, Value>) -> Result<(bool, Duration), RpcError> {
        only(params, "stop", &["kill", "timeout"])?;
        let kill = match params.get("kill") {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad_params("\"kill\" must be a boolean"))?,
        };
        Ok((
            kill,
            seconds(params, "timeout")?.unwrap_or(Duration::from_secs(60)),
        ))
    }

    /// Asks COMMAND to end (SIGTERM through the init) and kills the container once `timeout`
    /// has passed; at once with `kill` or a zero timeout. A frozen container is thawed first:
    /// frozen tasks can neither handle SIGTERM nor, on v1, die.
    pub(crate) fn stop(&mut self, kill: bool, timeout: Duration) {
        if matches!(self.state, State::Frozen | State::Freezing) {
            if let Err(e) = self.thaw() {
                log::error!("stop: thaw: {e}");
            }
        }
        if matches!(self.state, State::Running | State::Starting) {
            self.set_state(State::Stopping);
        }
        if kill || timeout.is_zero() {
            self.kill_all();
            return;
        }
        log::info!(
            "stop: signal {} to {}, kill in {} s",
            self.halt_signal,
            if self.system { "pid 1" } else { "COMMAND" },
            timeout.as_secs_f64()
        );
        // App containers: our init passes it on to COMMAND. System containers: pid 1 itself.
        let _ = sys::send_signal(self.init, self.halt_signal);
        let deadline = Instant::now() + timeout;
        self.stop_deadline = Some(self.stop_deadline.map_or(deadline, |d| d.min(deadline)));
    }

    /// The grace time of a stop is over: `lxc.signal.stop` first when it is set (and not
    /// SIGKILL), with one more second, then the kill.
    pub(crate) fn grace_over(&mut self) {
        match self.stop_signal {
            Some(sig) if !self.stop_signal_sent => {
                log::info!("stop: grace time over, signal {sig} to every process");
                self.stop_signal_sent = true;
                self.signal_all(sig);
                self.stop_deadline = Some(Instant::now() + Duration::from_secs(1));
            }
            _ => self.kill_all(),
        }
    }

    /// Sends `sig` to every member of the container's cgroup but our own init (an app
    /// container's init would only pass it on to COMMAND a second time). Returns how many.
    fn signal_all(&mut self, sig: i32) -> usize {
        let Some(dir) = self.cgroups.first() else {
            return 0;
        };
        let skip = if self.system {
            None
        } else {
            Some(self.init.as_raw())
        };
        let pids = cgroup::procs(dir).unwrap_or_default();
        pids.into_iter()
            .filter(|&p| Some(p) != skip)
            .filter(|&p| sys::send_signal(nix::unistd::Pid::from_raw(p), sig).is_ok())
            .count()
    }

    /// Kills every process of the container, however fast it forks: cgroup2's `cgroup.kill`
    /// where there is one, else on v1 freeze, SIGKILL every member, thaw, until empty. The init
    /// gets SIGKILL too, which ends the pid namespace and everything in it.
    pub(crate) fn kill_all(&mut self) {
        log::info!("stop: killing every process of the container");
        self.stop_deadline = None;
        let unified = self
            .hierarchies
            .iter()
            .zip(&self.cgroups)
            .find(|(h, _)| h.unified);
        let killed = match unified.filter(|_| prefer_v1().is_none()) {
            Some((_, dir)) => cgroup::kill_v2(dir).unwrap_or_else(|e| {
                log::warn!("cgroup.kill: {e}");
                false
            }),
            None => false,
        };
        if !killed {
            self.kill_v1();
        }
        let _ = sys::send_signal(self.init, libc::SIGKILL);
    }

    fn kill_v1(&mut self) {
        let Some(dir) = self.cgroups.first().cloned() else {
            return;
        };
        let freezer = self.freezer.clone();
        for _ in 0..50 {
            if let Some(f) = &freezer {
                let _ = f.freeze();
                let deadline = Instant::now() + Duration::from_millis(200);
                while !f.is_frozen().unwrap_or(true) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            let pids = cgroup::procs(&dir).unwrap_or_default();
            for pid in &pids {
                let _ = sys::send_signal(nix::unistd::Pid::from_raw(*pid), libc::SIGKILL);
            }
            if let Some(f) = &freezer {
                let _ = f.thaw();
            }
            if pids.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    /// Sends `signal` to every process of the container (the cgroup's member list).
    fn kill(&mut self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        only(params, "kill", &["signal"])?;
        let signal = params
            .get("signal")
            .and_then(Value::as_i64)
            .filter(|s| (1..=i64::from(libc::SIGRTMAX())).contains(s))
            .ok_or_else(|| bad_params("\"signal\" must be a signal number"))?
            as i32;
        if self.state == State::Starting {
            return Err(RpcError::new(
                ErrorCode::InvalidState,
                format!("{} is STARTING", self.name),
            ));
        }
        let sent = self.signal_all(signal);
        log::info!("kill: signal {signal} to {sent} processes");
        Ok(json!({ "signal": signal, "processes": sent }))
    }

    fn freeze(&mut self, token: Token, id: &Option<Value>, timeout: Duration) -> Outcome {
        let Some(freezer) = self.freezer.clone() else {
            return Outcome::Answer(Err(RpcError::new(
                ErrorCode::Internal,
                "no freezer cgroup on this host",
            )));
        };
        match self.state {
            State::Frozen => return Outcome::Answer(Ok(json!({ "state": State::Frozen }))),
            State::Freezing => {}
            State::Running => {
                if let Err(e) = freezer.freeze() {
                    return Outcome::Answer(Err(RpcError::new(ErrorCode::Internal, e.to_string())));
                }
                self.set_state(State::Freezing);
                self.pending_freeze = Some(PendingFreeze {
                    deadline: Instant::now() + timeout,
                    timeout,
                    waiters: Vec::new(),
                });
            }
            other => {
                return Outcome::Answer(Err(RpcError::new(
                    ErrorCode::InvalidState,
                    format!("{} is {other}", self.name),
                )))
            }
        }
        if let (Some(id), Some(p)) = (id.clone(), self.pending_freeze.as_mut()) {
            p.waiters.push((token, id));
            if let Some(conn) = self.conns.get_mut(&token) {
                conn.parked += 1;
            }
        }
        // A freeze usually takes tens of microseconds; look a few times before parking the
        // request on the loop's 1 ms tick.
        for _ in 0..20 {
            if self.pending_freeze.is_none()
                || self
                    .freezer
                    .as_ref()
                    .is_some_and(|f| f.is_frozen().unwrap_or(true))
            {
                break;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        self.check_freeze();
        Outcome::Later
    }

    /// Completes a freeze in progress, or undoes it after its deadline.
    pub(crate) fn check_freeze(&mut self) {
        let (Some(p), Some(f)) = (&self.pending_freeze, &self.freezer) else {
            return;
        };
        let frozen = f.is_frozen();
        let result = match frozen {
            Ok(true) => Ok(json!({ "state": State::Frozen })),
            Ok(false) if Instant::now() < p.deadline => return,
            Ok(false) => Err(format!(
                "freeze of {} did not complete within {} s; the container was thawed and runs",
                self.name,
                p.timeout.as_secs_f64()
            )),
            Err(e) => Err(format!("freeze: {e}; the container was thawed")),
        };
        let Some(p) = self.pending_freeze.take() else {
            return;
        };
        let result = match result {
            Ok(v) => {
                self.set_state(State::Frozen);
                Ok(v)
            }
            Err(msg) => {
                let _ = f.thaw();
                log::error!("{msg}");
                self.set_state(State::Running);
                Err(RpcError::new(ErrorCode::Timeout, msg))
            }
        };
        self.answer_all(p.waiters, result);
    }

    fn answer_all(&mut self, waiters: Vec<(Token, Value)>, result: Result<Value, RpcError>) {
        for (token, id) in waiters {
            if let Some(conn) = self.conns.get_mut(&token) {
                conn.parked = conn.parked.saturating_sub(1);
            }
            let resp = match &result {
                Ok(v) => Response::ok(id, v.clone()),
                Err(e) => Response::error(id, e.clone()),
            };
            self.reply(token, &resp);
        }
    }

    fn unfreeze(&mut self) -> Result<Value, RpcError> {
        match self.state {
            State::Running => Ok(json!({ "state": State::Running })),
            State::Frozen | State::Freezing => {
                self.thaw()
                    .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))?;
                Ok(json!({ "state": State::Running }))
            }
            other => Err(RpcError::new(
                ErrorCode::InvalidState,
                format!("{} is {other}", self.name),
            )),
        }
    }

    /// Thaws and goes back to RUNNING; a freeze still in progress fails.
    fn thaw(&mut self) -> std::io::Result<()> {
        if let Some(f) = &self.freezer {
            f.thaw()?;
        }
        if let Some(p) = self.pending_freeze.take() {
            let err = RpcError::new(
                ErrorCode::InvalidState,
                "thawed before the freeze completed",
            );
            self.answer_all(p.waiters, Err(err));
        }
        self.set_state(State::Running);
        Ok(())
    }

    fn ps(&self) -> Result<Value, RpcError> {
        let Some(dir) = self.cgroups.first() else {
            return Err(RpcError::new(ErrorCode::Internal, "no cgroup"));
        };
        let procs = ps::list(dir).map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))?;
        Ok(json!({ "name": self.name, "processes": procs }))
    }
}

impl From<Result<Value, RpcError>> for Outcome {
    fn from(r: Result<Value, RpcError>) -> Outcome {
        Outcome::Answer(r)
    }
}

/// `LXC_CGROUP_PREFER=v1` (in lxc-execute's environment) makes a hybrid host use the v1
/// freezer and the v1 kill loop although cgroup2 could do both: the tests cover both paths so.
fn prefer_v1() -> Option<&'static str> {
    (std::env::var("LXC_CGROUP_PREFER").as_deref() == Ok("v1")).then_some("v1")
}

/// Which freezer the container uses.
pub(crate) fn find_freezer(h: &[cgroup::Hierarchy], name: &str) -> Option<Freezer> {
    Freezer::find(h, name, prefer_v1())
}
