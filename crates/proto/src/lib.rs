//! The contract between the lxc-* commands, the per-container shim and any script: the wire
//! types of the control socket (newline-delimited JSON-RPC 2.0, typed methods and replies), its
//! framing, a small blocking client that can pass descriptors, the launch channel between
//! `lxc-execute` and the shim it starts, the monitor channel's datagram, the run directory's
//! layout and record, and the network helper's JSON. No file or process work lives here.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod checkpoint;
pub mod client;
pub mod fdpass;
pub mod framing;
pub mod launch;
pub mod monitor;
pub mod net;
pub mod paths;
pub mod record;
pub mod request;
pub mod resources;
pub mod response;
pub mod state;
pub mod terminal;
pub mod text;

pub use client::{Client, ClientError};
pub use framing::{ErrorCode, Message, Response, RpcError, MAX_LINE};
pub use request::{Call, PROTOCOL_VERSION};
pub use state::{ExitStatus, Info, State};
pub use text::{printable, shorten, strerror};

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_info() {
        let info = Info {
            name: "web".into(),
            state: State::Running,
            pid: Some(4242),
            shim_pid: 4241,
            command: vec!["sleep".into(), "60".into()],
            started: Some(1795926814),
            exit: None,
            cgroups: vec!["/sys/fs/cgroup/pids/lxc/web".into()],
            freezer: Some("v2".into()),
            protocol: 2,
            ips: vec![],
            interfaces: vec![],
            oom_kills: 0,
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"name":"web","state":"RUNNING","pid":4242,"shim_pid":4241,"command":["sleep","60"],"started":1795926814,"cgroups":["/sys/fs/cgroup/pids/lxc/web"],"freezer":"v2","protocol":2}"#
        );
    }
}
