//! The launch channel: a socketpair between `lxc-execute` and the shim it forks (which gets the
//! launch spec in memory: `lxc_shim::LaunchSpec`). The command sends [`LaunchRequest`] lines (forwarded signals); the
//! shim answers with [`LaunchEvent`] lines: `ready` once COMMAND runs, then `exited` (or
//! `failed`). Because the exit status travels on this channel, a COMMAND that ends before any
//! client could connect to the control socket still has its status delivered.
use crate::state::ExitStatus;
use serde::{Deserialize, Serialize};

/// From the shim to the command that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum LaunchEvent {
    /// COMMAND has been executed; the container is RUNNING.
    Ready {
        /// Host pid of the container's init.
        pid: i32,
    },
    /// The container could not be started. `code` is the exit code to use (125: set-up failed,
    /// 126: COMMAND not executable, 127: COMMAND not found).
    Failed {
        /// Exit code for lxc-execute.
        code: i32,
        /// One line saying why.
        message: String,
    },
    /// COMMAND has ended and the container is STOPPED.
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// The kernel's OOM killer killed it (SIGKILL while the container counted OOM kills).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        oom: bool,
    },
}

/// From the command to its shim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "lowercase")]
pub enum LaunchRequest {
    /// Forward this signal to COMMAND.
    Signal {
        /// The signal number.
        signal: i32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_events() {
        let s = |e: &LaunchEvent| serde_json::to_string(e).unwrap();
        assert_eq!(
            s(&LaunchEvent::Ready { pid: 4 }),
            r#"{"event":"ready","pid":4}"#
        );
        assert_eq!(
            s(&LaunchEvent::Exited {
                status: ExitStatus::exited(3),
                oom: false,
            }),
            r#"{"event":"exited","status":{"code":3}}"#
        );
        assert_eq!(
            s(&LaunchEvent::Exited {
                status: ExitStatus::signaled(9),
                oom: true,
            }),
            r#"{"event":"exited","status":{"signal":9},"oom":true}"#
        );
        assert_eq!(
            serde_json::to_string(&LaunchRequest::Signal { signal: 15 }).unwrap(),
            r#"{"request":"signal","signal":15}"#
        );
    }
}
