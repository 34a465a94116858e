//! `lxc-stop -n NAME [-t SECONDS] [-k | -r | -W | --nokill]`, as LXC's: the halt signal to
//! COMMAND (pid 1 for a system container), up to `-t` seconds (default 60, -1: forever) for it
//! to end, then every process of the container is killed; `-k` kills at once, `--nokill`
//! never kills (the stop fails when the time is up), `-W` asks and does not wait, `-r`
//! reboots a system container. Exit 2 when the container is not running, as LXC. A container
//! that stops by itself meanwhile is stopped all the same.
use crate::container::{rpc_error, Container, Status};
use crate::CliError;
use lxc_proto::request::StopParams;
use lxc_proto::ClientError;
use std::time::Duration;

crate::command!(
    required,
    /// Stop a container.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// seconds COMMAND has to end after the halt signal before everything is killed
        /// (default 60; -1: wait forever; 0: do not wait)
        #[argh(option, short = 't', from_str_fn(parse_timeout))]
        timeout: Option<Timeout>,
        /// kill every process at once
        #[argh(switch, short = 'k')]
        kill: bool,
        /// reboot (a system container): lxc.signal.reboot to its init
        #[argh(switch, short = 'r')]
        reboot: bool,
        /// ask for the stop and do not wait for it (as -t 0)
        #[argh(switch, short = 'W')]
        nowait: bool,
        /// never kill: fail if the container has not stopped in time
        #[argh(switch)]
        nokill: bool,
    }
);

/// `-t`: seconds, or -1 for forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    Forever,
    Seconds(u64),
}

/// `-1`, or a number of seconds (any number: beyond what a shim counts is forever).
fn parse_timeout(s: &str) -> Result<Timeout, String> {
    if s == "-1" {
        return Ok(Timeout::Forever);
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "-t takes seconds, or -1 for forever; not '{}'",
            lxc_proto::shorten(s, 40)
        ));
    }
    Ok(Timeout::Seconds(s.parse().unwrap_or(u64::MAX)))
}

/// Exit status when the container is not running (LXC's).
const NOT_RUNNING: i32 = 2;

pub fn run(args: Args) -> Result<i32, CliError> {
    let usage = |m: &str| CliError {
        code: 1,
        ..CliError::failed(m)
    };
    if args.kill && args.nokill {
        return Err(usage("-k can't be used with --nokill"));
    }
    if args.kill && args.reboot {
        return Err(usage("-k can't be used with -r"));
    }
    if args.kill && args.timeout.is_some_and(|t| t != Timeout::Seconds(0)) {
        return Err(usage("-k doesn't allow timeouts"));
    }
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let not_running = || CliError {
        code: NOT_RUNNING,
        names_container: true,
        ..CliError::failed(format!("{} is not running", ct.name))
    };
    let mut client = match ct.status()? {
        Status::Running(c) => c,
        Status::Stopped => return Err(not_running()),
        // Ended while it started: not running all the same.
        Status::Starting => match ct.connect() {
            Ok(c) => c,
            Err(_) if matches!(ct.status()?, Status::Stopped) => return Err(not_running()),
            Err(e) => return Err(e),
        },
    };
    let timeout = match (args.nowait, args.timeout) {
        (true, _) if !args.kill => Duration::ZERO,
        (_, Some(Timeout::Forever)) => crate::seconds(u64::MAX),
        (_, Some(Timeout::Seconds(t))) => crate::seconds(t),
        (_, None) => StopParams::DEFAULT_TIMEOUT,
    };
    if args.reboot {
        return match client.reboot(timeout, crate::deadline(timeout)) {
            Ok(_) => Ok(0),
            // -W: asked for; whether it comes back was not waited for.
            Err(ClientError::Rpc(e)) if timeout.is_zero() && is_timeout(&e) => Ok(0),
            Err(e) => Err(rpc_error(e)),
        };
    }
    if timeout.is_zero() && !args.kill {
        // LXC's -W and -t 0: the halt signal, not waited for, nothing killed.
        let params = StopParams {
            kill: false,
            timeout: Some(Duration::ZERO),
            nokill: true,
        };
        return match client.stop(params, crate::deadline(Duration::ZERO)) {
            Ok(_) | Err(ClientError::Closed) => Ok(0),
            Err(ClientError::Rpc(e)) if is_timeout(&e) => Ok(0),
            Err(e) => Err(rpc_error(e)),
        };
    }
    let params = StopParams {
        kill: args.kill,
        timeout: Some(timeout),
        nokill: args.nokill,
    };
    // The shim kills after `timeout`; give it that long plus time to clean up.
    match client.stop(params, crate::deadline(timeout)) {
        Ok(_) => Ok(0),
        // The shim went away before it could answer: the container ended by itself just then
        // (its shim answers only what reached it before it left). Stopped is stopped.
        Err(ClientError::Closed) => after_closed(&ct),
        Err(e) => Err(rpc_error(e)),
    }
}

/// The shim closed the stop's connection unanswered: it is on its way out (the container
/// ended by itself just then) or it died. Stopped once its lock is free: waits for that, up
/// to [`crate::container::TIMEOUT`] (a shim on its way out may still hold the lock, or even
/// accept a connection it will close, for a moment).
fn after_closed(ct: &Container) -> Result<i32, CliError> {
    let deadline = std::time::Instant::now() + crate::container::TIMEOUT;
    loop {
        let running = match ct.status()? {
            Status::Stopped => return Ok(0),
            Status::Starting => false,
            Status::Running(mut c) => match c.state() {
                Ok(lxc_proto::State::Stopped | lxc_proto::State::Stopping) => return Ok(0),
                Err(ClientError::Closed) => false,
                // A shim there and serving (a new start of the name, say).
                _ => true,
            },
        };
        if running || std::time::Instant::now() >= deadline {
            return Err(rpc_error(ClientError::Closed));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_timeout(e: &lxc_proto::framing::RpcError) -> bool {
    e.code == lxc_proto::framing::ErrorCode::Timeout.code()
}
