//! The terminal methods' params and results (protocol 4): `console` attaches to a console or
//! tty the shim holds, `exec` starts a process in the container as the shim's child (lxc-attach),
//! `exec-wait` answers once it has ended, `exec-signal` signals it. Descriptors travel with the
//! request and the answer (docs/protocol.md, "Descriptors").
use crate::state::ExitStatus;
use serde::{Deserialize, Serialize};

/// A terminal's size, as `TIOCGWINSZ` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinSize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

/// `console`'s params. The request may carry one descriptor: the caller's own terminal, which
/// the shim puts back into the mode it had at this moment if the caller goes without saying
/// it restored it itself (a `kill -9`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleParams {
    /// 0 (the default) for the console, N for `/dev/ttyN`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tty: u32,
    /// The caller's window size, given to the terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<WinSize>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `console` answers with two descriptors: the pty master (input is written there, and the
/// window size set on it) and the stream of the terminal's output. One byte written on that
/// stream says "my terminal is restored, forget it"; closing it detaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleReply {
    /// The terminal attached to.
    pub tty: u32,
    /// Bytes of output kept while nobody was attached, sent first on the stream.
    pub replayed: usize,
}

/// `exec`'s params: what `lxc-attach` runs. Without `pty`, the request carries the caller's
/// stdin, stdout and stderr (three descriptors); with it, optionally the caller's terminal
/// (restored as for `console`), and the answer brings a master and an output stream back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecParams {
    /// COMMAND and its arguments; empty: the shell of the user in the container's
    /// `/etc/passwd`, else `/bin/sh`.
    #[serde(default)]
    pub argv: Vec<String>,
    /// Its whole environment, `NAME=VALUE` each.
    #[serde(default)]
    pub env: Vec<String>,
    /// The user it runs as inside (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Its group (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// The namespaces to enter, of `mnt pid uts ipc net user cgroup` (default: all the
    /// container has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// `lxc-attach -e`: stay out of the container's cgroups and keep every privilege.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elevated: bool,
    /// Give the process a new terminal of the container's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pty: bool,
    /// The pty's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<WinSize>,
}

/// `exec` answers the process's host pid (with `pty`: and two descriptors, as `console`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecReply {
    /// Its pid on the host.
    pub pid: i32,
}

/// `exec-wait`'s and `exec-signal`'s target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecWaitParams {
    /// A pid `exec` answered.
    pub pid: i32,
}

/// `exec-signal`'s params.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecSignalParams {
    /// A pid `exec` answered, still running.
    pub pid: i32,
    /// The signal number, 1 to 64.
    #[serde(deserialize_with = "signal")]
    pub signal: i32,
}

/// `exec-wait` answers once the process has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecWaitReply {
    /// Its pid.
    pub pid: i32,
    /// How it ended.
    pub exit: ExitStatus,
}

/// A signal number, 1 to 64 (shared with `kill`).
pub(crate) fn signal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = i64::deserialize(d)?;
    if (1..=64).contains(&n) {
        Ok(n as i32)
    } else {
        Err(serde::de::Error::custom(format!(
            "signal {n} is not a signal number (1 to 64)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire<T: Serialize>(v: &T) -> String {
        String::from_utf8(crate::framing::ok_line(&json!(1), v)).unwrap()
    }

    #[test]
    fn golden_results() {
        let head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":";
        for (got, result) in [
            (
                wire(&ConsoleReply {
                    tty: 0,
                    replayed: 12,
                }),
                r#"{"tty":0,"replayed":12}"#,
            ),
            (wire(&ExecReply { pid: 4250 }), r#"{"pid":4250}"#),
            (
                wire(&ExecWaitReply {
                    pid: 4250,
                    exit: ExitStatus::exited(3),
                }),
                r#"{"pid":4250,"exit":{"code":3}}"#,
            ),
        ] {
            assert_eq!(got, format!("{head}{result}}}\n"));
        }
    }
}
