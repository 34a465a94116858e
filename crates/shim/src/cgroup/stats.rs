//! The container's use of resources, read from its groups: the v1 file where this host has the
//! controller's v1 hierarchy (as LXC reads it), else the cgroup2 one. A figure no hierarchy
//! keeps is left out, never made up. Parsers are pure and tested on fixtures of both versions.
use super::files::{self, Want};
use super::ContainerCgroup;
use lxc_proto::resources::StatsReply;

/// Everything `stats` reports that lives in the cgroups (the links are the caller's).
pub fn read(cg: &ContainerCgroup) -> StatsReply {
    let file = |want, name: &str| -> Option<String> {
        let found = cg.locate(want, name).ok()?;
        files::read(&found.path).ok()
    };
    let number = |want, name: &str| file(want, name).and_then(|t| t.trim().parse::<u64>().ok());
    let cpu_ns = number(Want::V1, "cpuacct.usage").or_else(|| {
        file(Want::V2, "cpu.stat")
            .and_then(|t| field(&t, "usage_usec"))
            .map(|us| us * 1000)
    });
    let v1_memory = number(Want::V1, "memory.usage_in_bytes");
    let memory = v1_memory.or_else(|| number(Want::V2, "memory.current"));
    let swap = match v1_memory {
        Some(mem) => {
            number(Want::V1, "memory.memsw.usage_in_bytes").map(|all| all.saturating_sub(mem))
        }
        None => number(Want::V2, "memory.swap.current"),
    };
    let blkio = file(Want::V1, "blkio.throttle.io_service_bytes_recursive")
        .or_else(|| file(Want::V1, "blkio.throttle.io_service_bytes"))
        .and_then(|t| blkio_total(&t))
        .or_else(|| file(Want::V2, "io.stat").map(|t| io_stat_bytes(&t)));
    StatsReply {
        cpu_ns,
        memory,
        kmem: number(Want::V1, "memory.kmem.usage_in_bytes"),
        swap,
        blkio,
        oom_kills: oom_kills(cg).unwrap_or(0),
        links: Vec::new(),
    }
}

/// The kernel's count of OOM kills in the container: v1 `memory.oom_control`, cgroup2
/// `memory.events` (`oom_kill`).
pub fn oom_kills(cg: &ContainerCgroup) -> Option<u64> {
    let from = |want, name: &str| {
        let found = cg.locate(want, name).ok()?;
        field(&files::read(&found.path).ok()?, "oom_kill")
    };
    from(Want::V1, "memory.oom_control").or_else(|| from(Want::V2, "memory.events"))
}

/// The number after `key ` in a flat keyed file (`cpu.stat`, `memory.events`).
pub fn field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// v1 blkio's last line, `Total N`.
pub fn blkio_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Total "))
        .and_then(|n| n.trim().parse().ok())
}

/// cgroup2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N ...` per device; bytes read and
/// written, summed.
fn io_stat_bytes(text: &str) -> u64 {
    text.split_whitespace()
        .filter_map(|w| {
            let (k, v) = w.split_once('=')?;
            matches!(k, "rbytes" | "wbytes")
                .then(|| v.parse::<u64>().ok())
                .flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        let cpu_stat = "usage_usec 1867\nuser_usec 1000\nsystem_usec 867\n";
        assert_eq!(field(cpu_stat, "usage_usec"), Some(1867));
        assert_eq!(field(cpu_stat, "usage"), None);
        let events = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(field(events, "oom_kill"), Some(2));
        let oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
        assert_eq!(field(oom_control, "oom_kill"), Some(1));
        let blkio = "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n";
        assert_eq!(blkio_total(blkio), Some(12288));
        assert_eq!(blkio_total("Total 0\n"), Some(0));
        let io = "8:16 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n\
                  8:0 rbytes=10 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
        assert_eq!(io_stat_bytes(io), 3082);
        assert_eq!(io_stat_bytes(""), 0);
    }
}
