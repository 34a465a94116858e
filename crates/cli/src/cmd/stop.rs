//! `lxc-stop -n NAME [-t SECONDS] [-k] [-W]`: the halt signal to COMMAND, up to `-t` seconds
//! (default 60) for it to end, then every process of the container is killed; `-k` kills at
//! once. Returns once the container is STOPPED (`-W`: once its shim has the stop); a container
//! that stops by itself meanwhile is stopped all the same. Exit status 2 when NAME does not
//! run, as LXC's.
use crate::container::{rpc_error, Container, Status, TIMEOUT};
use crate::CliError;
use lxc_proto::request::StopParams;
use lxc_proto::{ClientError, State};
use std::time::{Duration, Instant};

crate::command!(
    required,
    /// Stop a container.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// seconds COMMAND has to end after the halt signal before everything is killed
        /// (default 60; 0: no grace)
        #[argh(option, short = 't', default = "60")]
        timeout: u64,
        /// kill at once
        #[argh(switch, short = 'k')]
        kill: bool,
        /// do not wait: return once the shim has the stop (it still kills after -t seconds)
        #[argh(switch, short = 'W')]
        nowait: bool,
    }
);

/// LXC's lxc-stop(1): "2: the specified container exists but was not running" (LXC 5 says so
/// for a container that does not exist too).
pub const NOT_RUNNING: i32 = 2;

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = match ct.connect() {
        Ok(c) => c,
        // "NAME is not running" or "NAME doesn't exist": the only errors that name it.
        Err(e) if e.names_container => {
            return Err(CliError {
                code: NOT_RUNNING,
                ..e
            })
        }
        Err(e) => return Err(e),
    };
    let timeout = crate::seconds(args.timeout);
    let params = StopParams {
        kill: args.kill,
        timeout: Some(timeout),
    };
    // The shim kills after `timeout`; give it that long plus time to clean up.
    let deadline = crate::deadline(timeout);
    if args.nowait {
        let stop = std::thread::spawn(move || client.stop(params, deadline));
        return wait_for_stopping(&ct, stop);
    }
    match client.stop(params, deadline) {
        Ok(_) => Ok(0),
        Err(e) => stopped_anyway(&ct, e),
    }
}

/// A stop whose answer did not come: the shim went away before it could answer when the
/// container ended by itself just then (its shim answers only what reached it before it
/// left). Stopped is stopped.
fn stopped_anyway(ct: &Container, e: ClientError) -> Result<i32, CliError> {
    match e {
        ClientError::Closed => match ct.status()? {
            Status::Stopped => Ok(0),
            _ => Err(rpc_error(ClientError::Closed)),
        },
        e => Err(rpc_error(e)),
    }
}

/// `-W`: the stop is sent (on its own connection, by `stop`); the shim has it once the
/// container is STOPPING (its stop handler says so before anything else) or gone.
fn wait_for_stopping(
    ct: &Container,
    stop: std::thread::JoinHandle<Result<lxc_proto::response::WaitReply, ClientError>>,
) -> Result<i32, CliError> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if stop.is_finished() {
            return match stop.join() {
                Ok(Ok(_)) => Ok(0),
                Ok(Err(e)) => stopped_anyway(ct, e),
                Err(_) => Err(CliError::failed("the stop request failed")),
            };
        }
        match ct.state()? {
            Some(State::Running | State::Starting | State::Freezing | State::Frozen) => {}
            _ => return Ok(0),
        }
        if Instant::now() >= deadline {
            return Err(CliError::failed(format!(
                "no answer from its shim in {} s",
                TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
