//! The control socket's methods (docs/protocol.md): each typed call is answered at once, or
//! parked in the lifecycle (wait, stop, a freeze in progress) until the container gets there.
//! Only translation lives here; what changes the container is `lifecycle`.
use crate::conn::Request;
use crate::lifecycle::{Effect, Lifecycle, Waiter};
use crate::timers::Timers;
use lxc_proto::framing::{error_line, ok_line};
use lxc_proto::net::SetupResult;
use lxc_proto::request::{FreezeParams, RebootParams, METHODS, PROTOCOL_VERSION};
use lxc_proto::response::{HelloReply, PsReply, StateReply, SubscribeReply};
use lxc_proto::{Call, Info, RpcError};
use mio::Token;
use serde::Serialize;
use serde_json::Value;

/// What does not change while the container runs.
pub struct Facts {
    pub command: Vec<String>,
    pub network: SetupResult,
    /// OOM kills seen in the container so far (`oom.rs`).
    pub oom_kills: u64,
}

/// What the loop does with a request's outcome.
pub enum Outcome {
    /// Send this line (nothing for a notification, which has no id).
    Reply(Option<Vec<u8>>),
    /// Answered later through an [`Effect::Answer`].
    Parked,
    /// Answer with this line and send the client every state change from now on.
    Subscribed(Option<Vec<u8>>),
}

/// A token no client has: a parked notification (no id) is answered to nobody.
pub const NOBODY: Token = Token(usize::MAX);

fn reply<T: Serialize>(id: &Option<Value>, result: Result<T, RpcError>) -> Option<Vec<u8>> {
    let id = id.as_ref()?;
    Some(match result {
        Ok(r) => ok_line(id, &r),
        Err(e) => error_line(id, &e),
    })
}

/// Handles one request of client `token`. Descriptors that came with it and that no method
/// takes are closed here (they are dropped with the request).
pub fn handle(
    req: Request,
    token: Token,
    life: &mut Lifecycle,
    facts: &Facts,
    timers: &mut Timers,
    fx: &mut Vec<Effect>,
) -> Outcome {
    let Request { id, call, fds } = req;
    drop(fds);
    let call = match call {
        Ok(c) => c,
        Err(e) => return Outcome::Reply(reply::<()>(&id, Err(e))),
    };
    let waiter = Waiter {
        token: if id.is_some() { token } else { NOBODY },
        id: id.clone().unwrap_or(Value::Null),
    };
    match call {
        Call::Hello(_) => Outcome::Reply(reply(
            &id,
            Ok(HelloReply {
                protocol: PROTOCOL_VERSION,
                methods: METHODS
                    .iter()
                    .filter(|(m, _)| !m.contains(':'))
                    .map(|(m, _)| m.to_string())
                    .collect(),
            }),
        )),
        Call::State(_) => Outcome::Reply(reply(
            &id,
            Ok(StateReply {
                state: life.state(),
            }),
        )),
        Call::Info(_) => Outcome::Reply(reply(&id, Ok(info(life, facts)))),
        Call::Wait(_) => {
            life.park_wait(waiter);
            Outcome::Parked
        }
        Call::Stop(p) => {
            life.stop(&p, waiter, timers, fx);
            Outcome::Parked
        }
        Call::Kill(p) => Outcome::Reply(reply(&id, life.kill(p.signal))),
        Call::Freeze(p) => {
            let timeout = p.timeout.unwrap_or(FreezeParams::DEFAULT_TIMEOUT);
            life.freeze(timeout, waiter, timers, fx);
            Outcome::Parked
        }
        Call::Unfreeze(_) => Outcome::Reply(reply(&id, life.unfreeze(timers, fx))),
        Call::Reboot(p) => {
            let timeout = p.timeout.unwrap_or(RebootParams::DEFAULT_TIMEOUT);
            life.reboot(timeout, waiter, timers, fx);
            Outcome::Parked
        }
        Call::Ps(_) => Outcome::Reply(reply(&id, ps(life))),
        // The shim's own (`checkpoint.rs`): it runs a child.
        Call::Checkpoint(_) => Outcome::Reply(reply::<()>(
            &id,
            Err(RpcError::new(lxc_proto::ErrorCode::Internal, "not here")),
        )),
        // The loop hands these to `console.rs` before they get here.
        Call::Console(_) | Call::Exec(_) | Call::ExecWait(_) | Call::ExecSignal(_) => {
            Outcome::Reply(reply::<()>(
                &id,
                Err(RpcError::new(
                    lxc_proto::ErrorCode::Internal,
                    "not served here",
                )),
            ))
        }
        Call::CgroupGet(p) => Outcome::Reply(reply(&id, crate::live::cgroup_get(life, &p.key))),
        Call::CgroupSet(p) => {
            Outcome::Reply(reply(&id, crate::live::cgroup_set(life, &p.key, &p.value)))
        }
        Call::Stats(_) => Outcome::Reply(reply(&id, crate::live::stats(life, &facts.network))),
        Call::Subscribe(_) => Outcome::Subscribed(reply(
            &id,
            Ok(SubscribeReply {
                name: life.name().to_string(),
                state: life.state(),
                seq: life.seq(),
            }),
        )),
    }
}

fn info(life: &Lifecycle, facts: &Facts) -> Info {
    let cg = life.cgroup();
    Info {
        name: life.name().to_string(),
        state: life.state(),
        pid: Some(life.init().as_raw()),
        shim_pid: std::process::id() as i32,
        command: facts.command.clone(),
        started: life.started(),
        exit: life.ending().map(|e| e.status),
        cgroups: cg.dirs().iter().map(|p| p.display().to_string()).collect(),
        freezer: cg.freezer().map(|f| f.version().to_string()),
        protocol: PROTOCOL_VERSION,
        ips: facts.network.ips(),
        interfaces: facts.network.interfaces.clone(),
        oom_kills: facts.oom_kills,
    }
}

fn ps(life: &Lifecycle) -> Result<PsReply, RpcError> {
    let pids = life
        .cgroup()
        .procs()
        .map_err(|e| RpcError::new(lxc_proto::ErrorCode::Internal, e.to_string()))?;
    Ok(PsReply {
        name: life.name().to_string(),
        processes: crate::ps::list(pids),
    })
}
