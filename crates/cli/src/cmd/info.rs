//! `lxc-info -n NAME [-s] [-p] [-i] [-H] [-c KEY]... [--json]`: Name, State, PID and IP lines
//! as LXC prints them, then `KEY = VALUE` lines of the container's stored configuration (or of
//! `--rcfile`). NAME may be a regular expression: every container whose whole name matches
//! gets its block. With `-H` and a single one of `-s`, `-p`, `-i` (or a single `-c`), only the
//! values are printed, as LXC's `lxc-info -n NAME -pH` does for scripts.
use crate::container::{lxcpath_or_default, rpc_error, Container, Status};
use crate::CliError;
use lxc_proto::{Info, State};
use std::path::{Path, PathBuf};

crate::command!(
    required,
    /// Show information about a container.
    pub struct Args {
        /// container name (or NAME as the first word), or a regular expression (with any of
        /// *+?[](){}|^$ or a backslash) matched against whole names
        #[argh(option, short = 'n')]
        name: String,
        /// print KEY = VALUE from the stored configuration (repeatable)
        #[argh(option, short = 'c')]
        config: Vec<String>,
        /// show the state only
        #[argh(switch, short = 's')]
        state: bool,
        /// show the init's pid only
        #[argh(switch, short = 'p')]
        pid: bool,
        /// show the IP addresses only
        #[argh(switch, short = 'i')]
        ips: bool,
        /// show usage statistics (CPU, block I/O, memory, kernel memory, network)
        #[argh(switch, short = 'S')]
        stats: bool,
        /// raw numbers, not sizes; with one of -s, -p, -i (or one -c): the value alone
        #[argh(switch, short = 'H')]
        no_humanize: bool,
        /// print the shim's info object as JSON
        #[argh(switch)]
        json: bool,
    }
);

/// Characters that make NAME a regular expression: a name has none of them but `.`.
const REGEX_CHARS: &[char] = &[
    '*', '+', '?', '[', ']', '(', ')', '{', '}', '|', '^', '$', '\\',
];

pub fn run(args: Args) -> Result<i32, CliError> {
    let lxcpath = lxcpath_or_default(args.lxcpath.as_ref())?;
    let names = if args.name.contains(REGEX_CHARS) {
        matching(&args.name, &lxcpath)?
    } else {
        vec![args.name.clone()]
    };
    let single = names.len() == 1 && names[0] == args.name;
    for name in &names {
        let ct = Container::new(name, Some(&lxcpath))?;
        let want_stats =
            args.stats || (!args.state && !args.pid && !args.ips && args.config.is_empty());
        match look(&ct, want_stats)? {
            Some(found) => print_block(&args, &ct, &found)?,
            None if single => return Err(ct.doesnt_exist()),
            // Matched a moment ago, gone now.
            None => {}
        }
    }
    Ok(0)
}

/// Every stored or running container whose whole name matches `pattern`.
fn matching(pattern: &str, lxcpath: &Path) -> Result<Vec<String>, CliError> {
    let re = regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        CliError::usage(format!(
            "bad regular expression \"{}\": {e}",
            lxc_proto::shorten(pattern, 64)
        ))
    })?;
    let mut names = crate::container::stored_names(lxcpath);
    names.extend(crate::container::run_dir_names(
        &crate::container::run_root_of(lxcpath)?,
    ));
    names.sort();
    names.dedup();
    names.retain(|n| re.is_match(n));
    if names.is_empty() {
        return Err(CliError {
            names_container: true,
            ..CliError::failed(format!(
                "{} doesn't exist",
                lxc_proto::printable(&lxc_proto::shorten(pattern, 64))
            ))
        });
    }
    Ok(names)
}

/// What one look found: the shim's info when it runs, else the state.
struct Found {
    state: State,
    info: Option<Info>,
    /// Its statistics, when asked for (`-S`, or everything) and it runs.
    stats: Option<lxc_proto::resources::StatsReply>,
    /// LXC 5 runs it, not a shim of ours.
    under_lxc: bool,
}

/// `None`: neither stored nor running.
fn look(ct: &Container, want_stats: bool) -> Result<Option<Found>, CliError> {
    let mut stats = None;
    let info = match ct.status()? {
        Status::Running(mut c) => match c.info() {
            Ok(i) => {
                if want_stats && i.state != State::Stopped {
                    // An older shim has no stats: shown without them.
                    stats = c.stats().ok();
                }
                Some(i)
            }
            // Ended between the connect and the question.
            Err(lxc_proto::ClientError::Closed) => None,
            Err(e) => return Err(rpc_error(e)),
        },
        Status::Starting => {
            return Ok(Some(Found {
                state: State::Starting,
                info: None,
                stats: None,
                under_lxc: false,
            }))
        }
        Status::Stopped => None,
    };
    Ok(match info {
        Some(i) => Some(Found {
            state: i.state,
            info: Some(i),
            stats,
            under_lxc: false,
        }),
        None if ct.is_created() && ct.runs_under_lxc() => Some(Found {
            state: State::Running,
            info: None,
            stats: None,
            under_lxc: true,
        }),
        None if ct.is_created() => Some(Found {
            state: State::Stopped,
            info: None,
            stats: None,
            under_lxc: false,
        }),
        None => None,
    })
}

fn print_block(args: &Args, ct: &Container, found: &Found) -> Result<(), CliError> {
    if args.json {
        let v = match &found.info {
            Some(i) if args.stats => serde_json::to_value(i).map(|mut v| {
                v["stats"] = serde_json::to_value(&found.stats).unwrap_or_default();
                v
            }),
            Some(i) => serde_json::to_value(i),
            None if found.under_lxc => Ok(serde_json::json!({
                "name": ct.name, "state": found.state, "manager": "lxc"
            })),
            None => Ok(serde_json::json!({ "name": ct.name, "state": found.state })),
        }
        .map_err(|e| CliError::failed(e.to_string()))?;
        println!("{v}");
        return Ok(());
    }
    let filters = [args.state, args.pid, args.ips, args.stats]
        .iter()
        .filter(|f| **f)
        .count();
    let bare = args.no_humanize && filters == 1;
    let line = |label: &str, value: &dyn std::fmt::Display| {
        if bare {
            println!("{value}");
        } else {
            println!("{label:<16}{value}");
        }
    };
    let all = filters == 0 && args.config.is_empty();
    if all {
        line("Name:", &ct.name);
    }
    if all || args.state {
        line("State:", &found.state);
    }
    if all && found.under_lxc {
        line("Runs under:", &"LXC 5 (use its own tools for it)");
    }
    let info = found
        .info
        .as_ref()
        .filter(|_| found.state != State::Stopped);
    if all || args.pid {
        if let Some(pid) = info.and_then(|i| i.pid) {
            line("PID:", &pid);
        }
    }
    if all || args.ips {
        for ip in info.iter().flat_map(|i| i.ips.iter()) {
            line("IP:", ip);
        }
    }
    if all || args.stats {
        for (label, value) in found
            .stats
            .iter()
            .flat_map(|s| crate::stats::lines(s, !args.no_humanize))
        {
            // Labelled even with -H, as LXC's.
            println!("{label:<16}{value}");
        }
    }
    if !args.config.is_empty() {
        let bare = args.no_humanize && args.config.len() == 1;
        for (key, values) in config_items(ct, args.rcfile.as_ref(), &args.config)? {
            match (bare, values.is_empty()) {
                (true, true) => println!(),
                (true, false) => values.iter().for_each(|v| println!("{v}")),
                (false, true) => println!("{key} ="),
                (false, false) => values.iter().for_each(|v| println!("{key} = {v}")),
            }
        }
    }
    Ok(())
}

/// Each asked key with its values (none when unset; a list key has one per entry), read from
/// `--rcfile` or the stored configuration, in the modern spelling LXC 5 reads: `lxc.utsname`
/// answers for `lxc.uts.name`. A key nobody knows is an error, with the key it probably meant.
fn config_items(
    ct: &Container,
    rcfile: Option<&PathBuf>,
    keys: &[String],
) -> Result<Vec<(String, Vec<String>)>, CliError> {
    let path = match rcfile {
        Some(p) => p.clone(),
        None if ct.is_created() => ct.config_path(),
        None => return Err(CliError::failed(
            "has no stored configuration for -c (started with -f? give that file with --rcfile)",
        )),
    };
    let config = lxc_config::parse_file(&path).map_err(|e| CliError::failed(e.to_string()))?;
    let text = config.to_config_string();
    keys.iter()
        .map(|key| {
            let modern = lxc_config::modern_spelling(key).map_err(|why| {
                CliError::failed(format!("-c {}: {why}", lxc_proto::shorten(key, 64)))
            })?;
            let values = text
                .lines()
                .filter_map(|l| l.split_once(" = "))
                .filter(|(k, _)| *k == modern)
                .map(|(_, v)| v.to_string())
                .collect();
            Ok((key.clone(), values))
        })
        .collect()
}
