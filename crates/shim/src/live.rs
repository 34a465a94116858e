//! The resource methods (protocol 4): `cgroup-get` / `cgroup-set` of one file of the
//! container's groups, and `stats`. Each reads or writes a few small cgroupfs files and
//! answers at once; nothing is kept between calls (a container nobody asks costs nothing).
use crate::cgroup::files::{self, Want};
use crate::cgroup::stats;
use crate::lifecycle::Lifecycle;
use lxc_proto::net::SetupResult;
use lxc_proto::resources::{CgroupReply, LinkStats, StatsReply};
use lxc_proto::{ErrorCode, RpcError, State};

fn running(life: &Lifecycle) -> Result<(), RpcError> {
    match life.state() {
        State::Running | State::Freezing | State::Frozen => Ok(()),
        s => Err(RpcError::new(
            ErrorCode::InvalidState,
            format!("{} is not running ({s})", life.name()),
        )),
    }
}

/// `lxc.cgroup.FILE` (v1), `lxc.cgroup2.FILE` (cgroup2) or a bare FILE (either).
fn parse_key(key: &str) -> (Want, &str) {
    if let Some(f) = key.strip_prefix("lxc.cgroup2.") {
        (Want::V2, f)
    } else if let Some(f) = key.strip_prefix("lxc.cgroup.") {
        (Want::V1, f)
    } else {
        (Want::Any, key)
    }
}

fn bad(message: String) -> RpcError {
    RpcError::new(ErrorCode::InvalidParams, message)
}

fn failed(e: impl std::fmt::Display) -> RpcError {
    RpcError::new(ErrorCode::Internal, e.to_string())
}

fn shown(key: &str) -> String {
    lxc_proto::printable(&lxc_proto::shorten(key, 64))
}

pub fn cgroup_get(life: &Lifecycle, key: &str) -> Result<CgroupReply, RpcError> {
    running(life)?;
    let (want, name) = parse_key(key);
    let found = life
        .cgroup()
        .locate(want, name)
        .map_err(|e| bad(format!("{}: {e}", shown(key))))?;
    let value = files::read(&found.path).map_err(failed)?;
    Ok(CgroupReply {
        file: found.path.display().to_string(),
        value,
    })
}

pub fn cgroup_set(life: &Lifecycle, key: &str, value: &str) -> Result<CgroupReply, RpcError> {
    running(life)?;
    let (want, name) = parse_key(key);
    if files::managed(name) {
        return Err(bad(format!(
            "{}: this file is the container manager's own",
            shown(key)
        )));
    }
    if value.len() > files::MAX_VALUE {
        return Err(bad(format!(
            "{}: a value of {} bytes is too long (at most {})",
            shown(key),
            value.len(),
            files::MAX_VALUE
        )));
    }
    let found = life
        .cgroup()
        .locate(want, name)
        .map_err(|e| bad(format!("{}: {e}", shown(key))))?;
    if let Some((controller, parent)) = &found.enable {
        if !found.path.exists() {
            files::enable_v2(controller, parent).map_err(failed)?;
        }
    }
    files::write(&found.path, value).map_err(failed)?;
    Ok(CgroupReply {
        file: found.path.display().to_string(),
        value: value.to_owned(),
    })
}

pub fn stats(life: &Lifecycle, network: &SetupResult) -> Result<StatsReply, RpcError> {
    running(life)?;
    let mut reply = stats::read(life.cgroup());
    let hosts: Vec<&str> = network
        .interfaces
        .iter()
        .filter_map(|i| i.host.as_deref())
        .collect();
    if !hosts.is_empty() {
        reply.links = link_stats(&hosts);
    }
    Ok(reply)
}

/// A veth's host end counts what the container sends as received: swapped, as LXC prints it.
/// Read from `/proc/self/net/dev` (the shim's own network namespace, where the host end
/// lives; /sys/class/net shows the namespace sysfs was mounted in).
fn link_stats(links: &[&str]) -> Vec<LinkStats> {
    let Ok(dev) = std::fs::read_to_string("/proc/self/net/dev") else {
        return Vec::new();
    };
    links
        .iter()
        .filter_map(|link| {
            let line = dev
                .lines()
                .find_map(|l| l.trim_start().strip_prefix(link)?.strip_prefix(':'))?;
            let n: Vec<u64> = line
                .split_whitespace()
                .map(|w| w.parse().unwrap_or(0))
                .collect();
            Some(LinkStats {
                link: link.to_string(),
                tx_bytes: *n.first()?,
                rx_bytes: *n.get(8)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(parse_key("memory.max"), (Want::Any, "memory.max"));
        assert_eq!(parse_key("lxc.cgroup.pids.max"), (Want::V1, "pids.max"));
        assert_eq!(parse_key("lxc.cgroup2.pids.max"), (Want::V2, "pids.max"));
    }
}
