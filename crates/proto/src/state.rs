//! Container states (the spec's section 3.1 plus FROZEN) and exit statuses as they travel on the
//! wire. A state serializes as its upper-case word, e.g. `"RUNNING"`.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The life cycle of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not running (created, or never started, or ended).
    Stopped,
    /// The shim is setting the container up; COMMAND has not started yet.
    Starting,
    /// COMMAND runs.
    Running,
    /// COMMAND has ended (or a stop was asked for); the rest is being torn down.
    Stopping,
    /// Setting the container up failed; it is being torn down.
    Aborting,
    /// A freeze was asked for and has not completed yet.
    Freezing,
    /// Every process of the container is frozen.
    Frozen,
    /// Frozen while CRIU dumps the container (`checkpoint`, protocol 4); RUNNING again after
    /// (or STOPPING, with `stop`).
    Checkpointing,
}

impl State {
    /// Every state.
    pub const ALL: [State; 8] = [
        State::Stopped,
        State::Starting,
        State::Running,
        State::Stopping,
        State::Aborting,
        State::Freezing,
        State::Frozen,
        State::Checkpointing,
    ];

    /// The upper-case word LXC prints, e.g. `RUNNING`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Stopped => "STOPPED",
            State::Starting => "STARTING",
            State::Running => "RUNNING",
            State::Stopping => "STOPPING",
            State::Aborting => "ABORTING",
            State::Freezing => "FREEZING",
            State::Frozen => "FROZEN",
            State::Checkpointing => "CHECKPOINTING",
        }
    }

    /// Parses a state word, case-insensitively.
    pub fn parse(word: &str) -> Option<State> {
        State::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How COMMAND ended. On the wire `{"code":N}` or `{"signal":N}`; shown as `exit status N`
/// or `killed by signal N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExitStatus {
    /// COMMAND exited by itself with `code`.
    Exited {
        /// The exit code.
        code: i32,
    },
    /// A signal killed COMMAND.
    Signaled {
        /// The signal number.
        signal: i32,
    },
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitStatus::Exited { code } => write!(f, "exit status {code}"),
            ExitStatus::Signaled { signal } => write!(f, "killed by signal {signal}"),
        }
    }
}

impl ExitStatus {
    /// An exit with `code`.
    pub fn exited(code: i32) -> Self {
        ExitStatus::Exited { code }
    }

    /// A death by signal `signal`.
    pub fn signaled(signal: i32) -> Self {
        ExitStatus::Signaled { signal }
    }

    /// The shell convention: the code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited { code } => code,
            ExitStatus::Signaled { signal } => 128 + signal,
        }
    }
}

/// The answer to `info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// The container's name.
    pub name: String,
    /// Its current state.
    pub state: State,
    /// Host pid of the container's init (pid 1 inside), once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// Host pid of the shim.
    pub shim_pid: i32,
    /// COMMAND and its arguments.
    pub command: Vec<String>,
    /// When COMMAND started, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
    /// How COMMAND ended, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitStatus>,
    /// The cgroup directories the container lives in, one per hierarchy.
    pub cgroups: Vec<String>,
    /// Which freezer the container uses: `v2` (cgroup.freeze) or `v1` (freezer.state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freezer: Option<String>,
    /// Protocol version spoken by the shim.
    pub protocol: u32,
    /// The container's addresses, without prefix (none without a network namespace).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// The container's interfaces as they were set up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<crate::net::Interface>,
    /// Processes of the container the kernel's OOM killer killed (protocol 4; absent: 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub oom_kills: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words() {
        assert_eq!(
            serde_json::to_string(&State::Running).unwrap(),
            "\"RUNNING\""
        );
        assert_eq!(State::parse("frozen"), Some(State::Frozen));
        assert_eq!(State::parse("nope"), None);
    }

    #[test]
    fn exit_status_wire_and_shell_code() {
        let s = ExitStatus::signaled(9);
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"signal":9}"#);
        assert_eq!(s.shell_code(), 137);
        assert_eq!(ExitStatus::exited(7).shell_code(), 7);
        assert_eq!(
            serde_json::to_string(&ExitStatus::exited(0)).unwrap(),
            r#"{"code":0}"#
        );
        assert_eq!(
            serde_json::from_str::<ExitStatus>(r#"{"signal":15}"#).unwrap(),
            ExitStatus::signaled(15)
        );
        assert_eq!(
            serde_json::from_str::<ExitStatus>(r#"{"code":3}"#).unwrap(),
            ExitStatus::exited(3)
        );
    }
}
