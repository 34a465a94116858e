//! `lxc-autostart [-a] [-A] [-g GROUPS]... [-k | -s | -r] [-L] [-t TIMEOUT]`: start (or stop,
//! kill, reboot) the stored containers with `lxc.start.auto = 1`, as LXC's: those without a
//! group by default, or those of each group of `-g` in the order given (an empty name is the
//! group of containers without one), or all of them with `-a`; sorted by `lxc.start.order`
//! (lower first, then by name; stops go in the reverse order), waiting `lxc.start.delay` after
//! each start. `-L` prints what would be done. The work is done by `lxc-start`, `lxc-stop`
//! beside this executable, so that each container gets exactly what those commands give it.
use crate::container::{stored_names, Container};
use crate::CliError;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

crate::command!(
    none,
    /// Start, stop, kill or reboot the containers marked lxc.start.auto, in order.
    pub struct Args {
        /// all autostart containers, whatever their groups
        #[argh(switch, short = 'a')]
        all: bool,
        /// ignore lxc.start.auto (with -a: every container)
        #[argh(switch, short = 'A', long = "ignore-auto")]
        ignore_auto: bool,
        /// comma-separated groups, in order (repeatable; an empty name is the containers
        /// without a group, the default)
        #[argh(option, short = 'g')]
        groups: Vec<String>,
        /// kill the running ones (lxc-stop -k)
        #[argh(switch, short = 'k')]
        kill: bool,
        /// shut the running ones down cleanly, killed after -t seconds
        #[argh(switch, short = 's')]
        shutdown: bool,
        /// reboot the running ones
        #[argh(switch, short = 'r')]
        reboot: bool,
        /// only list the containers (and delays) the action would take
        #[argh(switch, short = 'L')]
        list: bool,
        /// seconds a shutdown waits before it kills (default 60)
        #[argh(option, short = 't')]
        timeout: Option<u64>,
    }
);

/// What is done to each container.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Start,
    Shutdown,
    Kill,
    Reboot,
}

/// A container `lxc-autostart` may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub auto: bool,
    pub order: i32,
    pub delay: u32,
    pub groups: Vec<String>,
}

pub fn run(args: Args) -> Result<i32, CliError> {
    let action = match (args.kill, args.shutdown, args.reboot) {
        (false, false, false) => Action::Start,
        (true, false, false) => Action::Kill,
        (false, true, false) => Action::Shutdown,
        (false, false, true) => Action::Reboot,
        _ => return Err(CliError::usage("-k, -s and -r exclude each other")),
    };
    if args.all && !args.groups.is_empty() {
        crate::say("lxc-autostart: -a selects every group: -g is ignored");
    }
    let lxcpath = crate::container::lxcpath_or_default(args.lxcpath.as_ref())?;
    let mut failed = false;
    let mut candidates = Vec::new();
    for name in stored_names(&lxcpath) {
        let config = lxcpath.join(&name).join("config");
        match lxc_config::parse_file(&config) {
            Ok(c) => candidates.push(Candidate {
                name,
                auto: c.settings.start.auto == Some(true),
                order: c.settings.start.order.unwrap_or(0),
                delay: c.settings.start.delay.unwrap_or(0),
                groups: c.settings.groups.clone(),
            }),
            Err(e) => {
                crate::say(&format!("lxc-autostart: {name}: {e}"));
                failed = true;
            }
        }
    }
    let groups = group_passes(&args.groups);
    let mut chosen = select(candidates, &groups, args.all, args.ignore_auto);
    if action != Action::Start && action != Action::Reboot {
        chosen.reverse();
    }
    let bins = sibling_dir()?;
    for c in &chosen {
        let ct = Container::new(&c.name, Some(&lxcpath))?;
        let running = !matches!(ct.state(), Ok(None) | Ok(Some(lxc_proto::State::Stopped)));
        if ct.runs_under_lxc() {
            crate::say(&format!(
                "lxc-autostart: {}: runs under LXC 5: left alone",
                c.name
            ));
            continue;
        }
        // Start what is stopped; stop, kill and reboot what runs.
        if running == (action == Action::Start) {
            continue;
        }
        if args.list {
            match action {
                Action::Start | Action::Reboot => println!("{} {}", c.name, c.delay),
                _ => println!("{}", c.name),
            }
            continue;
        }
        let timeout = args.timeout.unwrap_or(60).to_string();
        let mut cmd = match action {
            Action::Start => tool(&bins, "lxc-start", &c.name, &lxcpath, &["-d"]),
            Action::Shutdown => tool(&bins, "lxc-stop", &c.name, &lxcpath, &["-t", &timeout]),
            Action::Kill => tool(&bins, "lxc-stop", &c.name, &lxcpath, &["-k"]),
            Action::Reboot => tool(&bins, "lxc-stop", &c.name, &lxcpath, &["-r"]),
        };
        if let Some(log) = &args.logfile {
            cmd.arg("-o").arg(log);
        }
        if let Some(level) = &args.loglevel {
            cmd.arg("-l").arg(level);
        }
        log::info!("{action:?} {}", c.name);
        let status = cmd.status().map_err(|e| {
            CliError::failed(format!(
                "run {}: {}",
                bins.display(),
                lxc_proto::strerror(&e)
            ))
        })?;
        // lxc-stop's 2 is "not running": it stopped meanwhile, which is what was asked.
        let stopped_meanwhile = action != Action::Start && status.code() == Some(2);
        if !status.success() && !stopped_meanwhile {
            failed = true;
            continue;
        }
        if matches!(action, Action::Start | Action::Reboot) && c.delay > 0 {
            std::thread::sleep(Duration::from_secs(c.delay.into()));
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `-g` values as the passes LXC makes: each comma-separated name in order, `""` for the
/// containers without a group; none given is one pass over those.
pub fn group_passes(values: &[String]) -> Vec<String> {
    if values.is_empty() {
        return vec![String::new()];
    }
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::to_string)
        .collect()
}

/// The containers of each pass in `lxc.start.order` order (then by name), each once.
pub fn select(
    mut all: Vec<Candidate>,
    passes: &[String],
    every_group: bool,
    ignore_auto: bool,
) -> Vec<Candidate> {
    all.retain(|c| ignore_auto || c.auto);
    all.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
    if every_group {
        return all;
    }
    let mut chosen: Vec<Candidate> = Vec::new();
    for pass in passes {
        for c in &all {
            let member = if pass.is_empty() {
                c.groups.is_empty()
            } else {
                c.groups.iter().any(|g| g == pass)
            };
            if member && !chosen.iter().any(|d| d.name == c.name) {
                chosen.push(c.clone());
            }
        }
    }
    chosen
}

/// The directory of this executable, where lxc-start and lxc-stop are.
fn sibling_dir() -> Result<PathBuf, CliError> {
    let exe = std::env::current_exe().map_err(|e| {
        CliError::failed(format!("find own executable: {}", lxc_proto::strerror(&e)))
    })?;
    Ok(exe.parent().map(Path::to_path_buf).unwrap_or_default())
}

fn tool(dir: &Path, exe: &str, name: &str, lxcpath: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(dir.join(exe));
    c.arg("-n").arg(name).arg("-P").arg(lxcpath).args(args);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, auto: bool, order: i32, groups: &[&str]) -> Candidate {
        Candidate {
            name: name.into(),
            auto,
            order,
            delay: 0,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn names(v: &[Candidate]) -> Vec<&str> {
        v.iter().map(|c| c.name.as_str()).collect()
    }

    /// The same containers and answers as LXC 5's lxc-autostart -L gave on this machine.
    #[test]
    fn order_and_groups_as_lxc() {
        let all = vec![
            c("a", true, 1, &["web"]),
            c("b", true, 2, &[]),
            c("c", true, 1, &["web"]),
            c("d", true, 3, &["db"]),
            c("e", true, 0, &[]),
            c("f", false, 9, &[]),
        ];
        let sel = |g: &[&str], every, ignore| {
            let g: Vec<String> = g.iter().map(|s| s.to_string()).collect();
            names(&select(all.clone(), &group_passes(&g), every, ignore))
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(sel(&[], false, false), ["e", "b"]);
        assert_eq!(sel(&[], true, false), ["e", "a", "c", "b", "d"]);
        assert_eq!(sel(&["web,"], false, false), ["a", "c", "e", "b"]);
        assert_eq!(
            sel(&["web", "", "db"], false, false),
            ["a", "c", "e", "b", "d"]
        );
        assert_eq!(sel(&[], true, true), ["e", "a", "c", "b", "d", "f"]);
    }
}
