//! The processes of a container as `lxc-ps` shows them: host pid, pid inside the container,
//! uid, CPU time and command line, read from /proc. A process that exits while it is being
//! read is skipped. A command line is the container's to choose: it is read only up to
//! [`MAX_CMD`] characters.
use lxc_proto::response::{Process, MAX_CMD};
use nix::unistd::Pid;
use std::fs;
use std::io::Read;

/// One entry per pid, sorted by host pid.
pub fn list(mut pids: Vec<Pid>) -> Vec<Process> {
    let tick = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .unwrap_or(100) as f64;
    pids.sort_unstable();
    pids.into_iter()
        .filter_map(|pid| describe(pid.as_raw(), tick))
        .collect()
}

fn describe(pid: i32, tick: f64) -> Option<Process> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
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
    let cmdline = read_cmdline(pid);
    let cmd = if cmdline.is_empty() {
        format!("[{comm}]")
    } else {
        let text = String::from_utf8_lossy(&cmdline);
        text.trim_end_matches('\0').replace('\0', " ")
    };
    Some(Process {
        pid,
        ns_pid,
        uid,
        time: ticks / tick,
        cmd: lxc_proto::shorten(&cmd, MAX_CMD),
    })
}

/// The first bytes of a command line, never all of a huge one.
fn read_cmdline(pid: i32) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Ok(f) = fs::File::open(format!("/proc/{pid}/cmdline")) {
        // UTF-8 takes up to 4 bytes a character; one more to know it was cut.
        let _ = f.take(4 * MAX_CMD as u64 + 4).read_to_end(&mut buf);
    }
    buf
}
