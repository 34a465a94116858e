//! The processes of a cgroup as `lxc-ps` shows them: host pid, pid inside the container, uid,
//! CPU time and command line, read from /proc. A process that exits while it is being read is
//! skipped.
use crate::cgroup;
use serde_json::{json, Value};
use std::fs;
use std::io;
use std::path::Path;

/// One entry per member of the group at `dir`, by host pid.
pub fn list(dir: &Path) -> io::Result<Vec<Value>> {
    let tick = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .unwrap_or(100) as f64;
    let mut pids = cgroup::procs(dir)?;
    pids.sort_unstable();
    Ok(pids
        .into_iter()
        .filter_map(|pid| describe(pid, tick))
        .collect())
}

fn describe(pid: i32, tick: f64) -> Option<Value> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::split_whitespace)
    };
    // NSpid lists the pid in every namespace from ours down: the last is the container's.
    let ns_pid: i64 = field("NSpid:")?.last()?.parse().ok()?;
    let uid: u32 = field("Uid:")?.nth(1)?.parse().ok()?;
    let (comm, rest) = stat
        .split_once(" (")
        .and_then(|(_, r)| r.rsplit_once(") "))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // proc(5): utime and stime are fields 14 and 15; `rest` starts at field 3.
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let cmd = if cmdline.is_empty() {
        format!("[{comm}]")
    } else {
        let text = String::from_utf8_lossy(&cmdline);
        text.trim_end_matches('\0').replace('\0', " ")
    };
    Some(json!({ "pid": pid, "ns_pid": ns_pid, "uid": uid, "time": ticks / tick, "cmd": cmd }))
}
