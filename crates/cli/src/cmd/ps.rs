//! `lxc-ps [-n NAME] [--json]`: the processes of every running container (or of NAME), one
//! header line, then CONTAINER, PID (host), PID inside the container, USER, TIME and CMD. A
//! command line is the container's to choose: it arrives cut to a few KiB and is printed with
//! its control characters escaped.
use crate::container::{rpc_error, run_dir_names, Container, Status};
use crate::output::{cpu_time, printable, table};
use crate::CliError;
use lxc_proto::response::PsReply;
use std::collections::HashMap;

crate::command!(
    optional,
    /// List the processes of running containers.
    pub struct Args {
        /// only this container (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: Option<String>,
        /// print one JSON object per container
        #[argh(switch)]
        json: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let names = match &args.name {
        Some(n) => vec![n.clone()],
        None => run_dir_names(&crate::container::run_root_of(
            &crate::container::lxcpath_or_default(args.lxcpath.as_ref())?,
        )?),
    };
    let mut lists: Vec<PsReply> = Vec::new();
    let mut failed = Vec::new();
    for name in names {
        let ct = Container::new(&name, args.lxcpath.as_ref())?;
        let mut client = match ct.status()? {
            Status::Running(c) => c,
            // Only the one asked for by name is an error when it does not run.
            _ if args.name.is_some() => return Err(ct.not_running()),
            _ => continue,
        };
        match client.ps() {
            Ok(l) => lists.push(l),
            // It may have stopped since we listed it.
            Err(lxc_proto::ClientError::Closed) if args.name.is_none() => continue,
            Err(e) if args.name.is_some() => return Err(rpc_error(e)),
            // The others are still listed; this one is named on stderr and the exit says it.
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    let status = if failed.is_empty() { 0 } else { 1 };
    if args.json {
        for l in &lists {
            let line = serde_json::to_string(l).map_err(|e| CliError::failed(e.to_string()))?;
            println!("{line}");
        }
        report(&failed);
        return Ok(status);
    }
    let users = Users::load();
    let mut rows = vec![["CONTAINER", "PID", "NSPID", "USER", "TIME", "CMD"].map(String::from)];
    for l in &lists {
        for p in &l.processes {
            rows.push([
                l.name.clone(),
                p.pid.to_string(),
                p.ns_pid.to_string(),
                users.name(p.uid),
                cpu_time(p.time),
                printable(&p.cmd),
            ]);
        }
    }
    print!("{}", table(&rows));
    report(&failed);
    Ok(status)
}

fn report(failed: &[String]) {
    for f in failed {
        crate::say(&format!("lxc-ps: {f}"));
    }
}

/// uid to user name, from the host's /etc/passwd (the container shares the host's root).
struct Users(HashMap<u32, String>);

impl Users {
    fn load() -> Users {
        let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        Users(
            text.lines()
                .filter_map(|l| {
                    let mut f = l.split(':');
                    let name = f.next()?;
                    Some((f.nth(1)?.parse().ok()?, name.to_string()))
                })
                .collect(),
        )
    }

    fn name(&self, uid: u32) -> String {
        self.0.get(&uid).cloned().unwrap_or_else(|| uid.to_string())
    }
}
