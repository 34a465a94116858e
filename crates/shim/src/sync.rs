//! The init-to-shim channel: a SOCK_SEQPACKET pair, one datagram per message, so that a message
//! is never split or merged. The init reports each step the shim waits for.
use lxc_proto::ExitStatus;

/// What the container's init tells its shim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitMsg {
    /// COMMAND was executed; `pid` is its pid inside the container.
    Running { pid: i32 },
    /// COMMAND could not be executed (`errno` from execve).
    ExecFailed { errno: i32 },
    /// A set-up step failed before COMMAND could start.
    SetupFailed { step: String, errno: i32 },
    /// COMMAND ended; everything else in the container has been killed and reaped.
    Exited(ExitStatus),
    /// Set-up had to degrade (for the shim's log).
    Warning(String),
}

impl InitMsg {
    /// The datagram's bytes.
    pub fn encode(&self) -> String {
        match self {
            InitMsg::Running { pid } => format!("running {pid}"),
            InitMsg::ExecFailed { errno } => format!("exec-failed {errno}"),
            InitMsg::SetupFailed { step, errno } => format!("setup-failed {errno} {step}"),
            InitMsg::Exited(ExitStatus {
                signal: Some(s), ..
            }) => format!("exited signal {s}"),
            InitMsg::Exited(s) => format!("exited code {}", s.code.unwrap_or(0)),
            InitMsg::Warning(w) => format!("warning {w}"),
        }
    }

    /// Parses a datagram; `None` for anything malformed.
    pub fn decode(bytes: &[u8]) -> Option<InitMsg> {
        let s = std::str::from_utf8(bytes).ok()?;
        let (word, rest) = s.split_once(' ')?;
        Some(match word {
            "running" => InitMsg::Running {
                pid: rest.parse().ok()?,
            },
            "exec-failed" => InitMsg::ExecFailed {
                errno: rest.parse().ok()?,
            },
            "setup-failed" => {
                let (errno, step) = rest.split_once(' ')?;
                InitMsg::SetupFailed {
                    step: step.to_string(),
                    errno: errno.parse().ok()?,
                }
            }
            "exited" => match rest.split_once(' ')? {
                ("signal", n) => InitMsg::Exited(ExitStatus::signaled(n.parse().ok()?)),
                ("code", n) => InitMsg::Exited(ExitStatus::exited(n.parse().ok()?)),
                _ => return None,
            },
            "warning" => InitMsg::Warning(rest.to_string()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for m in [
            InitMsg::Running { pid: 2 },
            InitMsg::ExecFailed { errno: 2 },
            InitMsg::SetupFailed {
                step: "mount /proc".into(),
                errno: 1,
            },
            InitMsg::Exited(ExitStatus::exited(7)),
            InitMsg::Exited(ExitStatus::signaled(9)),
            InitMsg::Warning("entered /r with chroot".into()),
        ] {
            assert_eq!(InitMsg::decode(m.encode().as_bytes()), Some(m));
        }
        assert_eq!(InitMsg::decode(b"bogus"), None);
        assert_eq!(InitMsg::decode(b"running x"), None);
    }
}
