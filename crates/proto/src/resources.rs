//! The resource methods' params and results (protocol 4): `cgroup-get` and `cgroup-set` read
//! and write one cgroup file of the container, `stats` answers its use of CPU, memory, block
//! I/O and network, and the OOM kills seen.
use serde::{Deserialize, Serialize};

/// `cgroup-get`'s params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CgroupGetParams {
    /// The file: `memory.limit_in_bytes` (the v1 hierarchy of its controller if this host has
    /// one, else the cgroup2 tree), or `lxc.cgroup.FILE` / `lxc.cgroup2.FILE` to choose.
    pub key: String,
}

/// `cgroup-set`'s params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CgroupSetParams {
    /// The file, as for `cgroup-get`.
    pub key: String,
    /// What to write (at most 4096 bytes), as `echo VALUE > FILE` would.
    pub value: String,
}

/// `cgroup-get` and `cgroup-set` answer the file and its value (for `cgroup-set`, what was
/// written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupReply {
    /// The file's path on the host.
    pub file: String,
    /// Its content without the last newline.
    pub value: String,
}

/// Traffic of one interface, from the container's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStats {
    /// The host's name of the link (a veth's host end).
    pub link: String,
    /// Bytes the container sent.
    pub tx_bytes: u64,
    /// Bytes the container received.
    pub rx_bytes: u64,
}

/// `stats` answers what the container uses now; a figure its host does not keep is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatsReply {
    /// CPU time of all its processes, in nanoseconds (v1 `cpuacct.usage`, cgroup2
    /// `cpu.stat` usage_usec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ns: Option<u64>,
    /// Memory in use, in bytes (v1 `memory.usage_in_bytes`, cgroup2 `memory.current`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// Kernel memory in use, in bytes (v1 `memory.kmem.usage_in_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kmem: Option<u64>,
    /// Swap in use, in bytes (v1 memsw minus memory, cgroup2 `memory.swap.current`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<u64>,
    /// Bytes read and written on block devices (v1 `blkio.throttle.io_service_bytes`
    /// Total, cgroup2 `io.stat` rbytes + wbytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio: Option<u64>,
    /// Processes the kernel's OOM killer killed in the container since it started.
    pub oom_kills: u64,
    /// Per veth: its traffic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkStats>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The bytes of the answers (docs/protocol.md).
    #[test]
    fn golden_results() {
        assert_eq!(
            wire(&CgroupReply {
                file: "/sys/fs/cgroup/memory/lxc/web/memory.limit_in_bytes".into(),
                value: "104857600".into(),
            }),
            r#"{"jsonrpc":"2.0","id":1,"result":{"file":"/sys/fs/cgroup/memory/lxc/web/memory.limit_in_bytes","value":"104857600"}}"#
        );
        assert_eq!(
            wire(&StatsReply {
                cpu_ns: Some(1867325),
                memory: Some(319488),
                kmem: Some(118784),
                swap: Some(0),
                blkio: Some(0),
                oom_kills: 1,
                links: vec![LinkStats {
                    link: "vethAB12CD".into(),
                    tx_bytes: 90,
                    rx_bytes: 1200,
                }],
            }),
            r#"{"jsonrpc":"2.0","id":1,"result":{"cpu_ns":1867325,"memory":319488,"kmem":118784,"swap":0,"blkio":0,"oom_kills":1,"links":[{"link":"vethAB12CD","tx_bytes":90,"rx_bytes":1200}]}}"#
        );
        assert_eq!(
            wire(&StatsReply::default()),
            r#"{"jsonrpc":"2.0","id":1,"result":{"oom_kills":0}}"#
        );
    }

    fn wire<T: Serialize>(v: &T) -> String {
        let line = crate::framing::ok_line(&json!(1), v);
        String::from_utf8(line).unwrap().trim_end().to_owned()
    }

    #[test]
    fn params_are_strict() {
        let p: Result<CgroupSetParams, _> =
            serde_json::from_value(json!({"key": "pids.max", "value": "5", "x": 1}));
        assert!(p.is_err());
    }
}
