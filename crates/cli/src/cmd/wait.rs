//! `lxc-wait -n NAME -s STATES [-t TIMEOUT]`: return when NAME reaches one of STATES
//! (`'RUNNING|FROZEN'`); exit 1 after TIMEOUT seconds (default -1: wait forever). While NAME
//! runs it follows the shim's `subscribe` stream; otherwise (not started yet, or stopped and
//! restarted) the monitor channel, bound first so that no change is missed in between.
use crate::container::{Container, Status};
use crate::CliError;
use lxc_proto::monitor::Monitor;
use lxc_proto::{ClientError, State};
use serde_json::Value;
use std::time::{Duration, Instant};

crate::command!(
    required,
    /// Wait for a container to reach one of the given states.
    pub struct Args {
        /// container name
        #[argh(option, short = 'n')]
        name: String,
        /// the states to wait for, separated by '|' (e.g. 'RUNNING|FROZEN')
        #[argh(option, short = 's')]
        state: String,
        /// seconds to wait at most (default -1: forever)
        #[argh(option, short = 't', default = "-1")]
        timeout: i64,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let wanted = args
        .state
        .split('|')
        .map(|w| {
            State::parse(w.trim())
                .ok_or_else(|| CliError::usage(format!("unknown state \"{}\"", w.trim())))
        })
        .collect::<Result<Vec<State>, CliError>>()?;
    let deadline =
        (args.timeout >= 0).then(|| Instant::now() + Duration::from_secs(args.timeout as u64));
    let monitor =
        Monitor::bind().map_err(|e| CliError::failed(format!("bind a monitor socket: {e}")))?;
    let timed_out = || {
        CliError::failed(format!(
            "timed out after {} s waiting for {}",
            args.timeout, args.state
        ))
    };
    loop {
        match ct.status()? {
            Status::Running(mut client) => {
                let now = client
                    .call("subscribe", serde_json::json!({}))
                    .map_err(crate::container::rpc_error)?;
                if state_of(&now).is_some_and(|s| wanted.contains(&s)) {
                    return Ok(0);
                }
                loop {
                    match client.read_message(deadline) {
                        Ok(msg) => {
                            let state = msg.params.as_ref().and_then(state_of);
                            if state.is_some_and(|s| wanted.contains(&s)) {
                                return Ok(0);
                            }
                        }
                        Err(ClientError::NoAnswer(_)) => return Err(timed_out()),
                        // The shim ended after telling its last state: look again.
                        Err(_) => break,
                    }
                }
            }
            Status::Stopped | Status::Starting => {
                let state = ct.state()?.unwrap_or(State::Stopped);
                if wanted.contains(&state) {
                    return Ok(0);
                }
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                if left.is_some_and(|l| l.is_zero()) {
                    return Err(timed_out());
                }
                match monitor.recv(
                    left.map(|l| l.min(Duration::from_millis(500)))
                        .or(Some(Duration::from_millis(500))),
                ) {
                    Ok(Some(ev)) if ev.name == ct.name && wanted.contains(&ev.state) => {
                        return Ok(0)
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(CliError::failed(format!("read the monitor socket: {e}")))
                    }
                }
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(timed_out());
        }
    }
}

/// The state in a `subscribe` answer or a notification's params.
fn state_of(v: &Value) -> Option<State> {
    v.get("state")
        .and_then(Value::as_str)
        .and_then(State::parse)
}
