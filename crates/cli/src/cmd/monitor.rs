//! `lxc-monitor [-n REGEX] [-P LXCPATH]... [--json] [-Q]`: print every state change of every
//! container whose name matches REGEX (anchored, as LXC's; default all) in each lxcpath given
//! (as LXC's, `-P` repeats), including containers that start later, until interrupted. Listens
//! on the monitor channel of each (docs/protocol.md).
use crate::monitor::Monitor;
use crate::output::printable;
use crate::CliError;
use lxc_proto::monitor::StateEvent;
use lxc_proto::State;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

crate::command!(
    required_multi_p,
    /// Print the state changes of containers as they happen.
    pub struct Args {
        /// containers to watch: a regular expression matched against the whole name (default .*)
        #[argh(option, short = 'n', default = "String::from(\".*\")")]
        name: String,
        /// one JSON object per line
        #[argh(switch)]
        json: bool,
        /// exit after the first STOPPED
        #[argh(switch, short = 'Q')]
        quit_on_stop: bool,
    }
);

/// Flags set by SIGINT/SIGTERM so that the loop ends and the socket is removed.
pub fn stop_flag() -> Result<Arc<AtomicBool>, CliError> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&flag)).map_err(|e| {
            CliError::failed(format!(
                "install signal handler: {}",
                lxc_proto::strerror(&e)
            ))
        })?;
    }
    Ok(flag)
}

pub fn run(args: Args) -> Result<i32, CliError> {
    let re = regex_lite::Regex::new(&format!("^(?:{})$", args.name))
        .map_err(|e| CliError::usage(format!("bad regular expression \"{}\": {e}", args.name)))?;
    let stop = stop_flag()?;
    let lxcpaths = match args.lxcpath.is_empty() {
        true => vec![crate::container::lxcpath_or_default(None)?],
        false => args.lxcpath.clone(),
    };
    let mut monitors = Vec::new();
    for p in &lxcpaths {
        let root = crate::container::run_root_of(p)?;
        let m = Monitor::bind(&root).map_err(|e| {
            CliError::failed(format!(
                "bind a monitor socket for {}: {}",
                p.display(),
                lxc_proto::strerror(&e)
            ))
        })?;
        monitors.push(m);
    }
    let mut last_seq: HashMap<(String, i32), u64> = HashMap::new();
    let mut out = std::io::stdout().lock();
    let mut ready: Vec<StateEvent> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if ready.is_empty() {
            ready = next_events(&monitors)?;
        }
        if ready.is_empty() {
            continue;
        }
        let ev = ready.remove(0);
        if !re.is_match(&ev.name) {
            continue;
        }
        let key = (ev.name.clone(), ev.shim_pid);
        // seq 0: said for a dead shim by whoever cleaned up after it; its number is unknown.
        if ev.seq == 0 {
            last_seq.remove(&key);
        } else if let Some(prev) = last_seq.insert(key, ev.seq) {
            if ev.seq != prev + 1 {
                crate::say(&format!(
                    "lxc-monitor: '{}': {} state change(s) lost",
                    printable(&ev.name),
                    ev.seq.saturating_sub(prev + 1)
                ));
            }
        }
        let written = print_event(&mut out, &ev, args.json);
        if written.is_err() {
            // Our reader is gone (a closed pipe): nothing left to do.
            return Ok(0);
        }
        if ev.state == State::Stopped {
            last_seq.remove(&(ev.name.clone(), ev.shim_pid));
            if args.quit_on_stop {
                break;
            }
        }
    }
    Ok(0)
}

/// The events that have arrived on any of the monitors, waiting at most 200 ms.
fn next_events(monitors: &[Monitor]) -> Result<Vec<StateEvent>, CliError> {
    let failed = |e: std::io::Error| {
        CliError::failed(format!(
            "read the monitor socket: {}",
            lxc_proto::strerror(&e)
        ))
    };
    if let [only] = monitors {
        return match only.recv(Some(Duration::from_millis(200))) {
            Ok(ev) => Ok(ev.into_iter().collect()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(Vec::new()),
            Err(e) => Err(failed(e)),
        };
    }
    let mut fds: Vec<PollFd> = monitors
        .iter()
        .map(|m| PollFd::new(m.as_fd(), PollFlags::POLLIN))
        .collect();
    match poll(&mut fds, PollTimeout::from(200u16)) {
        Ok(_) => {}
        Err(nix::errno::Errno::EINTR) => return Ok(Vec::new()),
        Err(e) => return Err(failed(e.into())),
    }
    let readable: Vec<bool> = fds
        .iter()
        .map(|f| f.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)))
        .collect();
    let mut events = Vec::new();
    for (m, _) in monitors.iter().zip(readable).filter(|(_, r)| *r) {
        match m.recv(Some(Duration::from_millis(1))) {
            Ok(ev) => events.extend(ev),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(e)),
        }
    }
    Ok(events)
}

fn print_event(out: &mut impl Write, ev: &StateEvent, json: bool) -> std::io::Result<()> {
    if json {
        let line = serde_json::to_string(ev).map_err(std::io::Error::other)?;
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "'{}' changed state to [{}]",
            printable(&ev.name),
            ev.state
        )?;
    }
    out.flush()
}
