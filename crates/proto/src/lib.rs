//! The contract between the lxc-* commands, the per-container shim and any script: the wire
//! types of the control socket (newline-delimited JSON-RPC 2.0, typed methods and replies), its
//! framing, a small blocking client that can pass descriptors, the launch channel between
//! `lxc-execute` and the shim it starts, the monitor channel's datagram, the run directory's
//! layout and record, and the network helper's JSON. No file or process work lives here.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod fdpass;
pub mod framing;
pub mod launch;
pub mod monitor;
pub mod net;
pub mod paths;
pub mod record;
pub mod request;
pub mod response;
pub mod state;

pub use client::{Client, ClientError};
pub use framing::{ErrorCode, Message, Response, RpcError, MAX_LINE};
pub use request::{Call, PROTOCOL_VERSION};
pub use state::{ExitStatus, Info, State};

/// An I/O error's text without Rust's " (os error N)" suffix: what strerror(3) says.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `text` cut to at most `max` characters (`max` >= 3), ending in `...` when cut: for quoting
/// what a user or a container chose without echoing megabytes of it.
pub fn shorten(text: &str, max: usize) -> String {
    if text.char_indices().nth(max).is_none() {
        return text.to_string();
    }
    let keep = max.saturating_sub(3);
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    format!("{}...", &text[..end])
}

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
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"name":"web","state":"RUNNING","pid":4242,"shim_pid":4241,"command":["sleep","60"],"started":1795926814,"cgroups":["/sys/fs/cgroup/pids/lxc/web"],"freezer":"v2","protocol":2}"#
        );
    }

    #[test]
    fn strerror_and_shorten() {
        let e = std::io::Error::from_raw_os_error(13);
        assert_eq!(strerror(&e), "Permission denied");
        assert_eq!(shorten("abcdefgh", 6), "abc...");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("éééééé", 4), "é...");
        assert!(shorten(&"x".repeat(10_000), 4096).chars().count() == 4096);
    }
}
