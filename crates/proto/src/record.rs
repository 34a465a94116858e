//! The record a shim keeps in its run directory (`state.json`): written before the shim makes
//! anything that would need cleaning up, so that whoever finds the shim dead (its lock free)
//! can remove what it left: thaw and kill what remains in its cgroups, remove them, give back
//! physical interfaces.
use crate::net::TeardownRequest;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a shim made that outlives it if it is killed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Record {
    /// The shim's host pid.
    pub shim_pid: i32,
    /// The container's cgroup directories (absolute paths), one per hierarchy.
    pub cgroups: Vec<PathBuf>,
    /// The network to take down once the container has stopped (see `lxc-netsetup`).
    #[serde(default, skip_serializing_if = "TeardownRequest::is_empty")]
    pub net: TeardownRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_wire_form() {
        let mut r = Record {
            shim_pid: 7,
            cgroups: vec!["/sys/fs/cgroup/pids/lxc/a".into()],
            ..Record::default()
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"shim_pid":7,"cgroups":["/sys/fs/cgroup/pids/lxc/a"]}"#
        );
        r.net.netns = Some("/var/run/lxc/a/netns".into());
        r.net.phys.push(crate::net::PhysLink {
            name: "eth1".into(),
            original: "enp3s0".into(),
            was_up: true,
        });
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.ends_with(
            r#""net":{"netns":"/var/run/lxc/a/netns","phys":[{"name":"eth1","original":"enp3s0","was_up":true}]}}"#
        ));
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), r);
    }
}
