//! `lxc-ls [-f] [--running] [--stopped] [--json]`: the containers, stored or running; `-f` adds
//! STATE and PID columns.
use crate::container::{lxcpath_or_default, run_dir_names, stored_names, Container, Status};
use crate::output::table;
use crate::CliError;
use lxc_proto::State;

crate::command!(
    none,
    /// List containers.
    pub struct Args {
        /// a table with STATE, PID, IPV4 and IPV6
        #[argh(switch, short = 'f')]
        fancy: bool,
        /// only running containers
        #[argh(switch)]
        running: bool,
        /// only stopped containers
        #[argh(switch)]
        stopped: bool,
        /// one JSON array of {name, state, pid}
        #[argh(switch)]
        json: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let lxcpath = lxcpath_or_default(args.lxcpath.as_ref())?;
    let mut names = stored_names(&lxcpath);
    names.extend(run_dir_names(&crate::container::run_root_of(&lxcpath)?));
    names.sort();
    names.dedup();
    let mut rows: Vec<(String, State, Option<i32>, Vec<String>)> = Vec::new();
    for name in names {
        let ct = Container::new(&name, Some(&lxcpath))?;
        let (state, pid, ips) = match ct.status() {
            Ok(Status::Running(mut c)) if args.fancy || args.json => match c.info() {
                Ok(i) => (i.state, i.pid, i.ips),
                Err(_) => continue,
            },
            Ok(Status::Running(_)) => (State::Running, None, Vec::new()),
            Ok(Status::Starting) => (State::Starting, None, Vec::new()),
            Ok(Status::Stopped) if ct.is_created() => (State::Stopped, None, Vec::new()),
            // Gone meanwhile, or unreadable: not listed.
            _ => continue,
        };
        let stopped = state == State::Stopped;
        if (args.running && stopped) || (args.stopped && !stopped) {
            continue;
        }
        rows.push((name, state, pid, ips));
    }
    if args.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(
                |(n, s, p, ips)| serde_json::json!({ "name": n, "state": s, "pid": p, "ips": ips }),
            )
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if args.fancy {
        let mut t = vec![["NAME", "STATE", "PID", "IPV4", "IPV6"].map(String::from)];
        for (n, s, p, ips) in &rows {
            let family = |v6: bool| {
                let list: Vec<&str> = ips
                    .iter()
                    .map(String::as_str)
                    .filter(|ip| ip.contains(':') == v6)
                    .collect();
                if list.is_empty() {
                    "-".to_string()
                } else {
                    list.join(",")
                }
            };
            let pid = p.map_or("-".into(), |p| p.to_string());
            t.push([n.clone(), s.to_string(), pid, family(false), family(true)]);
        }
        print!("{}", table(&t));
    } else {
        for (n, _, _, _) in &rows {
            println!("{n}");
        }
    }
    Ok(0)
}
