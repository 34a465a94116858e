//! The results of the control socket's methods, typed (the `result` member of a response).
//! `info` answers [`crate::state::Info`]; a subscription's notifications carry
//! [`crate::monitor::StateEvent`].
use crate::state::{ExitStatus, State};
use serde::{Deserialize, Serialize};

/// `state`, `freeze` and `unfreeze` answer the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateReply {
    /// The state now.
    pub state: State,
}

/// `wait` and `stop` answer once the container has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitReply {
    /// Always STOPPED.
    pub state: State,
    /// How COMMAND ended.
    pub exit: ExitStatus,
}

/// `kill` answers what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillReply {
    /// The signal sent.
    pub signal: i32,
    /// How many processes it was sent to.
    pub processes: usize,
}

/// One process of a container, as `ps` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// Its host pid.
    pub pid: i32,
    /// Its pid inside the container.
    pub ns_pid: i64,
    /// Its real uid on the host.
    pub uid: u32,
    /// CPU time used, in seconds.
    pub time: f64,
    /// Its command line, arguments separated by spaces, cut to [`MAX_CMD`] characters.
    pub cmd: String,
}

/// The longest command line `ps` reports, in characters: a container can make its processes'
/// command lines as long as it likes.
pub const MAX_CMD: usize = 4096;

/// `ps` answers the container's processes by host pid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsReply {
    /// The container's name.
    pub name: String,
    /// Its processes.
    pub processes: Vec<Process>,
}

/// `subscribe` answers the state now and its number; notifications follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeReply {
    /// The container's name.
    pub name: String,
    /// The state now.
    pub state: State,
    /// The number of the last change (1 = STARTING).
    pub seq: u64,
}

/// `hello` answers the protocol version and the methods served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    /// The protocol version the shim speaks.
    pub protocol: u32,
    /// The methods it serves.
    pub methods: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire<T: Serialize>(v: &T) -> String {
        String::from_utf8(crate::framing::ok_line(&json!(1), v)).unwrap()
    }

    /// The bytes of every method's answer (docs/protocol.md); `info` is checked in lib.rs.
    #[test]
    fn golden_results() {
        let head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":";
        let cases: Vec<(String, &str)> = vec![
            (
                wire(&StateReply {
                    state: State::Running,
                }),
                r#"{"state":"RUNNING"}"#,
            ),
            (
                wire(&WaitReply {
                    state: State::Stopped,
                    exit: ExitStatus::exited(0),
                }),
                r#"{"state":"STOPPED","exit":{"code":0}}"#,
            ),
            (
                wire(&WaitReply {
                    state: State::Stopped,
                    exit: ExitStatus::signaled(15),
                }),
                r#"{"state":"STOPPED","exit":{"signal":15}}"#,
            ),
            (
                wire(&KillReply {
                    signal: 10,
                    processes: 4,
                }),
                r#"{"signal":10,"processes":4}"#,
            ),
            (
                wire(&PsReply {
                    name: "web".into(),
                    processes: vec![Process {
                        pid: 4242,
                        ns_pid: 1,
                        uid: 0,
                        time: 0.01,
                        cmd: "lxc-init".into(),
                    }],
                }),
                r#"{"name":"web","processes":[{"pid":4242,"ns_pid":1,"uid":0,"time":0.01,"cmd":"lxc-init"}]}"#,
            ),
            (
                wire(&SubscribeReply {
                    name: "web".into(),
                    state: State::Running,
                    seq: 2,
                }),
                r#"{"name":"web","state":"RUNNING","seq":2}"#,
            ),
            (
                wire(&HelloReply {
                    protocol: 2,
                    methods: vec!["state".into(), "hello".into()],
                }),
                r#"{"protocol":2,"methods":["state","hello"]}"#,
            ),
        ];
        for (got, result) in cases {
            assert_eq!(got, format!("{head}{result}}}\n"));
        }
    }
}
