//! `lxc-top [-d DELAY] [-s n|c|b|m|k] [-r] [-b] [-i N]`: a table of every running container of
//! the lxcpath (CPU, CPU %, block I/O, memory, kernel memory, network), refreshed every DELAY
//! seconds. Read straight from the containers' cgroups (their directories come from each run
//! directory's record, read once per container) and one read of /proc/net/dev: no shim is
//! asked, so one refresh of 200 containers costs a few file reads each. On a terminal each
//! frame is drawn over the last in one write (cursor home, each line cleared to its end, the
//! rest of the screen cleared): no flicker. `-b` prints plain tables, one per refresh.
use crate::container::{lxcpath_or_default, run_dir_names, run_root_of};
use crate::CliError;
use lxc_shim::cgroup::stats::{blkio_total, field};
use lxc_shim::rundir::RunDir;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

crate::command!(
    none,
    /// Show the use of resources of every running container, refreshed.
    pub struct Args {
        /// seconds between refreshes (default 3)
        #[argh(option, short = 'd', default = "3.0")]
        delay: f64,
        /// sort by n (name, the default), c (CPU), b (block I/O), m (memory), k (kernel memory)
        #[argh(option, short = 's', default = "'n'")]
        sort: char,
        /// sort in reverse order
        #[argh(switch, short = 'r')]
        reverse: bool,
        /// batch mode: plain tables, one per refresh, for scripts and logs
        #[argh(switch, short = 'b')]
        batch: bool,
        /// stop after N refreshes (default: until interrupted)
        #[argh(option, short = 'i')]
        iterations: Option<u64>,
    }
);

/// One container's figures at one refresh.
#[derive(Debug, Clone, Default)]
struct Row {
    name: String,
    cpu_ns: Option<u64>,
    cpu_pct: Option<f64>,
    blkio: Option<u64>,
    memory: Option<u64>,
    kmem: Option<u64>,
    rx: Option<u64>,
    tx: Option<u64>,
}

/// What is kept between refreshes for one container: its groups, its veths, the files found
/// (so later refreshes open only those) and the last CPU sample.
struct Known {
    dirs: Vec<PathBuf>,
    links: Vec<String>,
    files: HashMap<&'static str, Option<PathBuf>>,
    last_cpu: Option<(u64, Instant)>,
}

impl Known {
    /// The first of the groups that has `file` (remembered, also when none has it).
    fn find(&mut self, file: &'static str) -> Option<PathBuf> {
        let dirs = &self.dirs;
        self.files
            .entry(file)
            .or_insert_with(|| dirs.iter().map(|d| d.join(file)).find(|p| p.exists()))
            .clone()
    }

    fn read(&mut self, file: &'static str) -> Option<String> {
        std::fs::read_to_string(self.find(file)?).ok()
    }

    fn number(&mut self, file: &'static str) -> Option<u64> {
        self.read(file)?.trim().parse().ok()
    }
}

const SORT_KEYS: &str = "ncbmk";

pub fn run(args: Args) -> Result<i32, CliError> {
    if !SORT_KEYS.contains(args.sort) {
        return Err(CliError::usage(format!(
            "-s {}: sort by n (name), c (CPU), b (block I/O), m (memory) or k (kernel memory)",
            args.sort
        )));
    }
    if !(args.delay.is_finite() && (0.0..=1e6).contains(&args.delay)) {
        return Err(CliError::usage("-d: a number of seconds"));
    }
    let lxcpath = lxcpath_or_default(args.lxcpath.as_ref())?;
    let root = run_root_of(&lxcpath)?;
    let tty = !args.batch && std::io::stdout().is_terminal();
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut out = std::io::stdout().lock();
    let mut n = 0;
    if tty {
        let _ = out.write_all(b"\x1b[2J");
    }
    loop {
        let rows = refresh(&root, &mut known);
        let frame = render(sorted(rows, args.sort, args.reverse), tty);
        if out
            .write_all(frame.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            // The reader went away (a closed pipe): nothing more to show.
            return Ok(0);
        }
        n += 1;
        if args.iterations.is_some_and(|max| n >= max) {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_secs_f64(args.delay));
    }
}

/// Looks at every container with a run directory now.
fn refresh(root: &lxc_proto::paths::RunRoot, known: &mut HashMap<String, Known>) -> Vec<Row> {
    let names = run_dir_names(root);
    known.retain(|name, _| names.contains(name));
    let net = if known.values().any(|k| !k.links.is_empty())
        || names.iter().any(|n| !known.contains_key(n))
    {
        std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default()
    } else {
        String::new()
    };
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        let rundir = RunDir::new(root, &name);
        if !known.contains_key(&name) {
            let Ok(Some(record)) = rundir.read_record() else {
                continue;
            };
            known.insert(
                name.clone(),
                Known {
                    dirs: record.cgroups,
                    links: record.net.host_links,
                    files: HashMap::new(),
                    last_cpu: None,
                },
            );
        }
        let Some(k) = known.get_mut(&name) else {
            continue;
        };
        let Some(row) = sample(&name, k, &net) else {
            // Its groups are gone (it stopped meanwhile): look again from its record next time.
            known.remove(&name);
            continue;
        };
        rows.push(row);
    }
    rows
}

fn sample(name: &str, k: &mut Known, net: &str) -> Option<Row> {
    let now = Instant::now();
    let cpu_ns = k.number("cpuacct.usage").or_else(|| {
        k.read("cpu.stat")
            .and_then(|t| field(&t, "usage_usec"))
            .map(|us| us * 1000)
    });
    // A container whose groups are gone has stopped.
    let memory = k
        .number("memory.usage_in_bytes")
        .or_else(|| k.number("memory.current"));
    if cpu_ns.is_none() && memory.is_none() {
        return None;
    }
    let cpu_pct = match (cpu_ns, k.last_cpu) {
        (Some(now_ns), Some((then_ns, then))) => {
            let wall = now.duration_since(then).as_nanos() as f64;
            (wall > 0.0).then(|| now_ns.saturating_sub(then_ns) as f64 * 100.0 / wall)
        }
        _ => None,
    };
    k.last_cpu = cpu_ns.map(|c| (c, now));
    let blkio = k
        .read("blkio.throttle.io_service_bytes_recursive")
        .and_then(|t| blkio_total(&t));
    let (mut rx, mut tx) = (None, None);
    for link in &k.links {
        if let Some((r, t)) = link_bytes(net, link) {
            // The host end's receive is what the container sent.
            tx = Some(tx.unwrap_or(0) + r);
            rx = Some(rx.unwrap_or(0) + t);
        }
    }
    Some(Row {
        name: name.to_owned(),
        cpu_ns,
        cpu_pct,
        blkio,
        memory,
        kmem: k.number("memory.kmem.usage_in_bytes"),
        rx,
        tx,
    })
}

/// (received, sent) bytes of `link` in /proc/net/dev's text.
fn link_bytes(dev: &str, link: &str) -> Option<(u64, u64)> {
    let rest = dev
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(link)?.strip_prefix(':'))?;
    let n: Vec<u64> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    Some((*n.first()?, *n.get(8)?))
}

fn sorted(mut rows: Vec<Row>, key: char, reverse: bool) -> Vec<Row> {
    let figure = |r: &Row| match key {
        'c' => r.cpu_ns,
        'b' => r.blkio,
        'm' => r.memory,
        'k' => r.kmem,
        _ => None,
    };
    if key == 'n' {
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        // Biggest first, as top does; ties by name.
        rows.sort_by(|a, b| figure(b).cmp(&figure(a)).then(a.name.cmp(&b.name)));
    }
    if reverse {
        rows.reverse();
    }
    rows
}

/// The whole frame as one string: header, a line per container, the total.
fn render(rows: Vec<Row>, tty: bool) -> String {
    let size = |v: Option<u64>| v.map(crate::stats::size).unwrap_or_else(|| "-".into());
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(9);
    let mut lines = vec![format!(
        "{:<width$} {:>12} {:>7} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "CONTAINER", "CPU", "CPU %", "BLKIO", "MEMORY", "KMEM", "RX", "TX"
    )];
    let sum = |f: fn(&Row) -> Option<u64>| -> Option<u64> {
        rows.iter().filter_map(f).reduce(|a, b| a.saturating_add(b))
    };
    let total = Row {
        name: format!("TOTAL ({})", rows.len()),
        cpu_ns: sum(|r| r.cpu_ns),
        cpu_pct: rows.iter().filter_map(|r| r.cpu_pct).reduce(|a, b| a + b),
        blkio: sum(|r| r.blkio),
        memory: sum(|r| r.memory),
        kmem: sum(|r| r.kmem),
        rx: sum(|r| r.rx),
        tx: sum(|r| r.tx),
    };
    for r in rows.iter().chain(std::iter::once(&total)) {
        lines.push(format!(
            "{:<width$} {:>12} {:>7} {:>12} {:>12} {:>12} {:>12} {:>12}",
            r.name,
            r.cpu_ns
                .map(|ns| format!("{:.2} s", ns as f64 / 1e9))
                .unwrap_or_else(|| "-".into()),
            r.cpu_pct
                .map(|p| format!("{p:.1}"))
                .unwrap_or_else(|| "-".into()),
            size(r.blkio),
            size(r.memory),
            size(r.kmem),
            size(r.rx),
            size(r.tx),
        ));
    }
    if tty {
        // Drawn over the last frame: home, each line cleared to its end, then the rest.
        let mut frame = String::from("\x1b[H");
        for l in lines {
            frame.push_str(&l);
            frame.push_str("\x1b[K\n");
        }
        frame.push_str("\x1b[J");
        frame
    } else {
        let mut frame = lines.join("\n");
        frame.push_str("\n\n");
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, cpu: u64, mem: u64) -> Row {
        Row {
            name: name.into(),
            cpu_ns: Some(cpu),
            memory: Some(mem),
            ..Row::default()
        }
    }

    #[test]
    fn sorting_and_frames() {
        let rows = vec![row("b", 5, 1), row("a", 1, 9), row("c", 9, 5)];
        let names = |rows: Vec<Row>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(names(sorted(rows.clone(), 'n', false)), ["a", "b", "c"]);
        assert_eq!(names(sorted(rows.clone(), 'c', false)), ["c", "b", "a"]);
        assert_eq!(names(sorted(rows.clone(), 'm', true)), ["b", "c", "a"]);
        let plain = render(sorted(rows.clone(), 'n', false), false);
        let lines: Vec<&str> = plain.lines().collect();
        assert!(lines[0].starts_with("CONTAINER"), "{plain}");
        assert!(lines[1].starts_with("a "), "{plain}");
        assert!(
            lines[4].starts_with("TOTAL (3)") && lines[4].contains("15 bytes"),
            "{plain}"
        );
        assert!(plain.ends_with("\n\n"));
        let tty = render(rows, true);
        assert!(
            tty.starts_with("\x1b[H") && tty.ends_with("\x1b[K\n\x1b[J"),
            "{tty:?}"
        );
        assert!(
            !tty.contains("\x1b[2J"),
            "a frame never clears the screen: no flicker"
        );
    }

    #[test]
    fn net_dev() {
        let dev = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n\
                   vethA1: 100 2 0 0 0 0 0 0 300 4 0 0 0 0 0 0\n";
        assert_eq!(link_bytes(dev, "vethA1"), Some((100, 300)));
        assert_eq!(link_bytes(dev, "vethA"), None);
    }
}
