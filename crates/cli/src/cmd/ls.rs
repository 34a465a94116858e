//! `lxc-ls [-1] [-f] [-F COLUMNS] [--active] [--running] [--frozen] [--stopped] [--defined]
//! [-g GROUPS] [--filter REGEX] [--json] [PATTERN]`: the containers, stored or running, one
//! name a line, or a table. Every filter given must hold. A container that cannot be looked at
//! is named on stderr and makes the exit status 1: the listing is never silently short.
use crate::columns::{Column, Row, Stored};
use crate::container::{lxcpath_or_default, run_dir_names, stored_names, Container, Status};
use crate::output::table;
use crate::CliError;
use lxc_proto::State;

crate::command!(
    none,
    /// List containers.
    pub struct Args {
        /// one name a line (what lxc-ls prints anyway)
        #[argh(switch, short = '1')]
        #[allow(dead_code)] // LXC's columns on a terminal are not built: always one a line
        line: bool,
        /// a table: NAME, STATE, PID, IPV4, IPV6
        #[argh(switch, short = 'f')]
        fancy: bool,
        /// a table of these comma-separated columns: NAME, STATE, PID, RAM, SWAP, AUTOSTART,
        /// GROUPS, INTERFACE, IPV4, IPV6, UNPRIVILEGED
        #[argh(option, short = 'F')]
        fancy_format: Option<String>,
        /// only containers that run (any state but STOPPED)
        #[argh(switch)]
        active: bool,
        /// only containers that run (as --active)
        #[argh(switch)]
        running: bool,
        /// only frozen containers
        #[argh(switch)]
        frozen: bool,
        /// only stopped containers
        #[argh(switch)]
        stopped: bool,
        /// only containers with a stored configuration
        #[argh(switch)]
        defined: bool,
        /// only containers in every one of these comma-separated groups (lxc.group)
        #[argh(option, short = 'g')]
        groups: Option<String>,
        /// only names in which this regular expression matches
        #[argh(option)]
        filter: Option<String>,
        /// one JSON array of {name, state, pid, ips, interfaces, ram, swap, autostart, groups,
        /// unprivileged}
        #[argh(switch)]
        json: bool,
        /// only names in which this regular expression matches (as --filter)
        #[argh(positional)]
        pattern: Option<String>,
    }
);

/// The default `-f` table.
const FANCY: [Column; 5] = [
    Column::Name,
    Column::State,
    Column::Pid,
    Column::Ipv4,
    Column::Ipv6,
];

pub fn run(args: Args) -> Result<i32, CliError> {
    let columns = match &args.fancy_format {
        Some(list) => Some(Column::parse_list(list).map_err(CliError::usage)?),
        None if args.fancy => Some(FANCY.to_vec()),
        None => None,
    };
    let mut patterns = Vec::new();
    for p in [&args.filter, &args.pattern].into_iter().flatten() {
        patterns.push(regex_lite::Regex::new(p).map_err(|e| {
            CliError::usage(format!(
                "bad regular expression \"{}\": {e}",
                lxc_proto::shorten(p, 64)
            ))
        })?);
    }
    let wanted_groups: Vec<&str> = args
        .groups
        .iter()
        .flat_map(|g| g.split(','))
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    let lxcpath = lxcpath_or_default(args.lxcpath.as_ref())?;
    let mut names = stored_names(&lxcpath);
    names.extend(run_dir_names(&crate::container::run_root_of(&lxcpath)?));
    names.sort();
    names.dedup();
    names.retain(|n| patterns.iter().all(|re| re.is_match(n)));
    let details = columns.is_some() || args.json;
    let memory_too = args.json
        || columns
            .as_ref()
            .is_some_and(|c| c.iter().any(|c| matches!(c, Column::Ram | Column::Swap)));
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for name in names {
        let ct = Container::new(&name, Some(&lxcpath))?;
        let row = match look(&ct, details || !wanted_groups.is_empty(), memory_too) {
            Ok(Some(row)) => row,
            Ok(None) => continue,
            Err(e) => {
                failed.push(format!("{name}: {}", e.message));
                continue;
            }
        };
        let stopped = row.state == State::Stopped;
        // (asked for, holds): LXC's --frozen gives way to --active.
        let filters = [
            (args.active || args.running, !stopped),
            (args.frozen && !args.active, row.state == State::Frozen),
            (args.stopped, stopped),
            (args.defined, ct.is_created()),
        ];
        let keep = filters.iter().all(|(asked, holds)| !asked || *holds)
            && wanted_groups.iter().all(|g| {
                row.stored
                    .as_ref()
                    .is_some_and(|s| s.groups.iter().any(|h| h == g))
            });
        if keep {
            rows.push(row);
        }
    }
    if args.json {
        let v: Vec<serde_json::Value> = rows.iter().map(Row::json).collect();
        println!("{}", serde_json::Value::Array(v));
    } else if let Some(columns) = columns.filter(|_| !rows.is_empty()) {
        // No rows, no heading: as LXC's.
        let mut t: Vec<Vec<String>> =
            vec![columns.iter().map(|c| c.header().to_string()).collect()];
        t.extend(
            rows.iter()
                .map(|r| columns.iter().map(|c| c.value(r)).collect()),
        );
        print!("{}", table(&t));
    } else {
        for r in &rows {
            println!("{}", r.name);
        }
    }
    for f in &failed {
        crate::say(&format!("lxc-ls: {f}"));
    }
    Ok(if failed.is_empty() { 0 } else { 1 })
}

/// One container's row; `None` when it is neither stored nor running (gone meanwhile).
/// `details`: ask a running container's shim for everything (else its state only), and read
/// the stored configuration.
fn look(ct: &Container, details: bool, memory_too: bool) -> Result<Option<Row>, CliError> {
    let stored = || details.then(|| Stored::load(&ct.config_path())).flatten();
    let state = match ct.status()? {
        Status::Running(mut c) if details => match c.info() {
            Ok(info) => {
                let mut row = Row::new(&ct.name, info.state, stored());
                row.add_info(&info, memory_too);
                return Ok(Some(row));
            }
            // It stopped between the two looks.
            Err(lxc_proto::ClientError::Closed) => State::Stopped,
            Err(e) => return Err(crate::container::rpc_error(e)),
        },
        Status::Running(mut c) => match c.state() {
            Ok(s) => s,
            Err(lxc_proto::ClientError::Closed) => State::Stopped,
            Err(e) => return Err(crate::container::rpc_error(e)),
        },
        Status::Starting => State::Starting,
        Status::Stopped => State::Stopped,
    };
    if state == State::Stopped && ct.is_created() && ct.runs_under_lxc() {
        let mut row = Row::new(&ct.name, State::Running, stored());
        row.under_lxc = true;
        return Ok(Some(row));
    }
    if state == State::Stopped && !ct.is_created() {
        return Ok(None);
    }
    Ok(Some(Row::new(&ct.name, state, stored())))
}
