//! `lxc-wait -n NAME -s STATES [-t TIMEOUT]`: return when NAME reaches one of STATES
//! (`'RUNNING|FROZEN'`, any case); exit 1 after TIMEOUT seconds (default -1: wait forever).
//! THAWED, which LXC reports as a state of its own between FROZEN and RUNNING, is the moment a
//! frozen (or freezing) container runs again: it is waited for, never found already there.
//! While NAME runs it follows the shim's `subscribe` stream; otherwise (not started yet, or
//! stopped and restarted) the monitor channel, bound first so that no change is missed in
//! between. The monitor is read all along, so that it never holds up a shim's events.
use crate::container::{Container, Status};
use crate::monitor::Monitor;
use crate::CliError;
use lxc_proto::{Client, ClientError, State};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::time::{Duration, Instant};

crate::command!(
    required,
    /// Wait for a container to reach one of the given states.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// the states to wait for, separated by '|' (e.g. 'RUNNING|FROZEN'): STOPPED,
        /// STARTING, RUNNING, STOPPING, ABORTING, FREEZING, FROZEN, or THAWED (the next thaw)
        #[argh(option, short = 's')]
        state: String,
        /// seconds to wait at most (default -1: forever)
        #[argh(option, short = 't', default = "-1")]
        timeout: i64,
    }
);

/// What `-s` asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Wanted {
    pub states: Vec<State>,
    /// THAWED: a change from FROZEN or FREEZING to RUNNING.
    pub thawed: bool,
}

impl Wanted {
    /// Whether the change from `prev` to `now` reaches a wanted state.
    fn reached(&self, prev: State, now: State) -> bool {
        self.states.contains(&now)
            || (self.thawed
                && now == State::Running
                && matches!(prev, State::Frozen | State::Freezing))
    }
}

/// Parses `RUNNING|FROZEN`: every word a state (or THAWED), none empty.
pub fn parse_states(list: &str) -> Result<Wanted, String> {
    let shown = lxc_proto::shorten(list, 64);
    if list.trim().is_empty() {
        return Err("no state given (e.g. -s 'RUNNING|FROZEN')".into());
    }
    let mut wanted = Wanted {
        states: Vec::new(),
        thawed: false,
    };
    for w in list.split('|').map(str::trim) {
        if w.is_empty() {
            return Err(format!("empty state in \"{shown}\""));
        }
        if w.eq_ignore_ascii_case("THAWED") {
            wanted.thawed = true;
            continue;
        }
        let state = State::parse(w).ok_or_else(|| {
            let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
            format!(
                "unknown state \"{}\" (expected {} or THAWED)",
                lxc_proto::shorten(w, 32),
                names.join(", ")
            )
        })?;
        wanted.states.push(state);
    }
    Ok(wanted)
}

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let wanted = parse_states(&args.state).map_err(CliError::usage)?;
    if args.timeout < -1 {
        return Err(CliError::usage(
            "-t takes a number of seconds, or -1 for forever",
        ));
    }
    let deadline = u64::try_from(args.timeout)
        .ok()
        .and_then(|t| crate::deadline(crate::seconds(t)))
        .map(|d| d - crate::container::TIMEOUT);
    let monitor = Monitor::bind(&ct.run_root).map_err(|e| {
        CliError::failed(format!(
            "bind a monitor socket: {}",
            lxc_proto::strerror(&e)
        ))
    })?;
    let timed_out = || {
        CliError::failed(format!(
            "timed out after {} s waiting for {}",
            args.timeout,
            lxc_proto::shorten(&args.state, 64)
        ))
    };
    // The first look is taken whatever the time limit (`-t 0` asks whether NAME is there now).
    let mut first = true;
    loop {
        if !first && deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(timed_out());
        }
        first = false;
        match ct.status()? {
            Status::Running(client) => match follow(client, &monitor, &ct.name, &wanted, deadline)?
            {
                Followed::Reached => return Ok(0),
                Followed::TimedOut => return Err(timed_out()),
                Followed::Gone => {}
            },
            Status::Stopped | Status::Starting => {
                let state = ct.state()?.unwrap_or(State::Stopped);
                if wanted.states.contains(&state) {
                    return Ok(0);
                }
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                let wait = left.map_or(Duration::from_millis(500), |l| {
                    l.min(Duration::from_millis(500))
                });
                match monitor.recv(Some(wait)) {
                    Ok(Some(ev)) if ev.name == ct.name && wanted.states.contains(&ev.state) => {
                        return Ok(0)
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(CliError::failed(format!(
                            "read the monitor socket: {}",
                            lxc_proto::strerror(&e)
                        )))
                    }
                }
            }
        }
    }
}

/// How following a running container ended.
enum Followed {
    /// One of the wanted states.
    Reached,
    /// The shim is gone: look again.
    Gone,
    TimedOut,
}

/// Follows a running container's state changes until one of `wanted`.
fn follow(
    mut client: Client,
    monitor: &Monitor,
    name: &str,
    wanted: &Wanted,
    deadline: Option<Instant>,
) -> Result<Followed, CliError> {
    let now = match client.subscribe() {
        Ok(now) => now,
        // The shim ended (or was killed) before it answered: look again.
        Err(ClientError::Closed) => return Ok(Followed::Gone),
        Err(e) => return Err(crate::container::rpc_error(e)),
    };
    if wanted.states.contains(&now.state) {
        return Ok(Followed::Reached);
    }
    let mut prev = now.state;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(Followed::TimedOut);
        }
        let timeout = if client.has_buffered_message() {
            PollTimeout::ZERO
        } else {
            left.map_or(PollTimeout::NONE, |l| {
                PollTimeout::try_from(l.as_millis().min(i32::MAX as u128 - 1) as i32 + 1)
                    .unwrap_or(PollTimeout::MAX)
            })
        };
        let mut fds = [
            PollFd::new(client.as_fd(), PollFlags::POLLIN),
            PollFd::new(monitor.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(CliError::failed(format!("poll: {}", e.desc()))),
        }
        let [shim, mon] = fds.map(|f| f.revents().is_some_and(|r| !r.is_empty()));
        let shim = shim || client.has_buffered_message();
        if mon {
            // Drained so that it never fills; what it says of this container the
            // subscription says too.
            while let Ok(Some(_)) = monitor.recv(Some(Duration::from_millis(1))) {}
        }
        if shim {
            match client.next_event(Some(Instant::now() + crate::container::TIMEOUT)) {
                Ok(ev) if ev.name == name => {
                    if wanted.reached(prev, ev.state) {
                        return Ok(Followed::Reached);
                    }
                    prev = ev.state;
                }
                Ok(_) => {}
                // The shim ended after telling its last state: look again.
                Err(ClientError::Closed) => return Ok(Followed::Gone),
                Err(e) => return Err(crate::container::rpc_error(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lists() {
        assert_eq!(
            parse_states("RUNNING|frozen"),
            Ok(Wanted {
                states: vec![State::Running, State::Frozen],
                thawed: false
            })
        );
        let thawed = parse_states("thawed").unwrap();
        assert!(thawed.thawed && thawed.states.is_empty());
        assert!(thawed.reached(State::Frozen, State::Running));
        assert!(thawed.reached(State::Freezing, State::Running));
        assert!(!thawed.reached(State::Starting, State::Running));
        assert!(!thawed.reached(State::Running, State::Stopping));
        for bad in ["BOGUS", "", "RUNNING|", "|", " | "] {
            assert!(parse_states(bad).is_err(), "{bad:?}");
        }
    }
}
