//! `lxc-info -n NAME [-s] [-p] [--json]`: Name, State and PID lines as LXC prints them.
use crate::container::{rpc_error, Container, Status};
use crate::CliError;
use lxc_proto::{Info, State};

crate::command!(
    required,
    /// Show information about a container.
    pub struct Args {
        /// container name
        #[argh(option, short = 'n')]
        name: String,
        /// show the state only
        #[argh(switch, short = 's')]
        state: bool,
        /// show the init's pid only
        #[argh(switch, short = 'p')]
        pid: bool,
        /// show the IP addresses only
        #[argh(switch, short = 'i')]
        ips: bool,
        /// print the shim's info object as JSON
        #[argh(switch)]
        json: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let info: Option<Info> = match ct.status()? {
        Status::Running(mut c) => Some(c.info().map_err(rpc_error)?),
        Status::Starting => None,
        Status::Stopped if ct.is_created() => None,
        Status::Stopped => return Err(ct.doesnt_exist()),
    };
    let (state, pid) = match &info {
        Some(i) => (i.state, i.pid),
        None if ct.rundir.exists() => (State::Starting, None),
        None => (State::Stopped, None),
    };
    if args.json {
        let v = match &info {
            Some(i) => serde_json::to_value(i),
            None => Ok(serde_json::json!({ "name": ct.name, "state": state })),
        }
        .map_err(|e| CliError::failed(e.to_string()))?;
        println!("{v}");
        return Ok(0);
    }
    let all = !args.state && !args.pid && !args.ips;
    if all {
        println!("{:<16}{}", "Name:", ct.name);
    }
    if all || args.state {
        println!("{:<16}{}", "State:", state);
    }
    if all || args.pid {
        if let Some(pid) = pid.filter(|_| state != State::Stopped) {
            println!("{:<16}{}", "PID:", pid);
        }
    }
    if all || args.ips {
        for ip in info.iter().flat_map(|i| i.ips.iter()) {
            println!("{:<16}{}", "IP:", ip);
        }
    }
    Ok(0)
}
