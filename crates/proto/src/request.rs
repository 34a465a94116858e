//! The control socket's methods and their params, typed. On the wire a call is the envelope's
//! `method` and `params` (see docs/protocol.md); unknown params are errors, so a typo in a script
//! fails loudly instead of being ignored.
use crate::framing::{ErrorCode, RpcError};
use crate::terminal::{ConsoleParams, ExecParams, ExecSignalParams, ExecWaitParams};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// The protocol version this build speaks (answered by `hello` and in `info`).
pub const PROTOCOL_VERSION: u32 = 4;

/// Each method and the protocol version that introduced it. A shim speaking version N serves
/// the methods of versions up to N.
pub const METHODS: &[(&str, u32)] = &[
    ("state", 1),
    ("info", 1),
    ("wait", 1),
    ("stop", 1),
    ("kill", 1),
    ("freeze", 1),
    ("unfreeze", 1),
    ("ps", 1),
    ("subscribe", 1),
    ("hello", 2),
    ("reboot", 3),
    ("checkpoint", 4),
    ("console", 4),
    ("exec", 4),
    ("exec-wait", 4),
    ("exec-signal", 4),
    ("cgroup-get", 4),
    ("cgroup-set", 4),
    ("stats", 4),
    // Not methods: newer params of older methods, checked the same way.
    ("stop:nokill", 3),
];

/// The protocol version that introduced `method`, if it exists.
pub fn method_version(method: &str) -> Option<u32> {
    METHODS.iter().find(|(m, _)| *m == method).map(|(_, v)| *v)
}

/// One call of a method, with its params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "lowercase")]
pub enum Call {
    /// The protocol version and the methods served.
    Hello(NoParams),
    /// The current state.
    State(NoParams),
    /// Everything known about the container.
    Info(NoParams),
    /// Answers once the container has stopped.
    Wait(NoParams),
    /// Stops the container; answers like `wait`.
    Stop(StopParams),
    /// Sends a signal to every process of the container.
    Kill(KillParams),
    /// Freezes every process; answers once frozen.
    Freeze(FreezeParams),
    /// Thaws.
    Unfreeze(NoParams),
    /// The container's processes.
    Ps(NoParams),
    /// The current state, then a notification per change.
    Subscribe(NoParams),
    /// Reboots a system container; answers once it runs again.
    Reboot(RebootParams),
    /// Dumps the running container with CRIU into a directory; answers once done.
    Checkpoint(CheckpointParams),
    /// Attaches to the console or a tty (descriptors back).
    Console(ConsoleParams),
    /// Starts a process in the container (lxc-attach).
    Exec(ExecParams),
    /// Answers once an exec'd process has ended.
    #[serde(rename = "exec-wait")]
    ExecWait(ExecWaitParams),
    /// Signals an exec'd process.
    #[serde(rename = "exec-signal")]
    ExecSignal(ExecSignalParams),
    /// Reads one cgroup file of the container (protocol 4).
    #[serde(rename = "cgroup-get")]
    CgroupGet(crate::resources::CgroupGetParams),
    /// Writes one cgroup file of the container (protocol 4).
    #[serde(rename = "cgroup-set")]
    CgroupSet(crate::resources::CgroupSetParams),
    /// The container's use of CPU, memory, block I/O and network (protocol 4).
    Stats(NoParams),
}

impl Call {
    /// Types an envelope's method and params: an unknown method is -32601, bad params -32602.
    pub fn decode(method: &str, params: Value) -> Result<Call, RpcError> {
        if method_version(method).is_none() || method.contains(':') {
            let shown: String = method.chars().take(64).collect();
            return Err(RpcError::new(
                ErrorCode::MethodNotFound,
                format!("unknown method \"{}\"", shown.escape_debug()),
            ));
        }
        serde_json::from_value(json!({ "method": method, "params": params })).map_err(|e| {
            RpcError::new(
                ErrorCode::InvalidParams,
                format!("invalid params for {method}: {e}"),
            )
        })
    }

    /// The method's name.
    pub fn method(&self) -> &'static str {
        match self {
            Call::Hello(_) => "hello",
            Call::State(_) => "state",
            Call::Info(_) => "info",
            Call::Wait(_) => "wait",
            Call::Stop(_) => "stop",
            Call::Kill(_) => "kill",
            Call::Freeze(_) => "freeze",
            Call::Unfreeze(_) => "unfreeze",
            Call::Ps(_) => "ps",
            Call::Subscribe(_) => "subscribe",
            Call::Reboot(_) => "reboot",
            Call::Checkpoint(_) => "checkpoint",
            Call::Console(_) => "console",
            Call::Exec(_) => "exec",
            Call::ExecWait(_) => "exec-wait",
            Call::ExecSignal(_) => "exec-signal",
            Call::CgroupGet(_) => "cgroup-get",
            Call::CgroupSet(_) => "cgroup-set",
            Call::Stats(_) => "stats",
        }
    }

    /// The request line for this call with `id`, newline included.
    pub fn line(&self, id: u64) -> Vec<u8> {
        #[derive(Serialize)]
        struct Line<'a> {
            jsonrpc: &'static str,
            id: u64,
            #[serde(flatten)]
            call: &'a Call,
        }
        crate::framing::line(&Line {
            jsonrpc: "2.0",
            id,
            call: self,
        })
    }
}

/// The params of a method that takes none: `{}` or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `stop`'s params.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopParams {
    /// Kill at once instead of asking COMMAND to end first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kill: bool,
    /// How long COMMAND has to end after the halt signal before everything is killed
    /// (default [`StopParams::DEFAULT_TIMEOUT`]).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "seconds")]
    pub timeout: Option<Duration>,
    /// Never kill: if the container has not stopped when the time is up, the stop fails and
    /// the container runs on (protocol 3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nokill: bool,
}

impl StopParams {
    /// The grace time when none is given.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
}

/// `reboot`'s params.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebootParams {
    /// How long the container may take to run again before the answer is an error (default
    /// [`RebootParams::DEFAULT_TIMEOUT`]); the reboot itself goes on.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "seconds")]
    pub timeout: Option<Duration>,
}

impl RebootParams {
    /// The time a reboot has when none is given.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
}

/// `checkpoint`'s params (protocol 4).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointParams {
    /// The directory the images go to (absolute; made if missing).
    pub directory: String,
    /// Stop the container once the dump has succeeded (else it runs on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop: bool,
}

/// `kill`'s params.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillParams {
    /// The signal number, 1 to 64.
    #[serde(deserialize_with = "crate::terminal::signal")]
    pub signal: i32,
}

/// `freeze`'s params.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeParams {
    /// How long the freeze may take before it is undone (default
    /// [`FreezeParams::DEFAULT_TIMEOUT`]).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "seconds")]
    pub timeout: Option<Duration>,
}

impl FreezeParams {
    /// The freeze deadline when none is given.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

/// The largest number of seconds a time limit may have (about 31 years: "forever").
pub const MAX_SECONDS: f64 = 1e9;

/// Seconds as a JSON number (fractions allowed), 0 to [`MAX_SECONDS`].
mod seconds {
    use crate::request::MAX_SECONDS;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) if d.subsec_nanos() == 0 => s.serialize_u64(d.as_secs()),
            Some(d) => s.serialize_f64(d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() && (0.0..=MAX_SECONDS).contains(&v) {
            Ok(Some(Duration::from_secs_f64(v)))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not a number of seconds from 0 to {MAX_SECONDS}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminal::WinSize;

    fn decode(method: &str, params: Value) -> Result<Call, i64> {
        Call::decode(method, params).map_err(|e| e.code)
    }

    /// The bytes every method's request has on the wire (docs/protocol.md).
    #[test]
    fn golden_request_lines() {
        let cases = [
            (Call::Hello(NoParams {}), r#""method":"hello","params":{}"#),
            (Call::State(NoParams {}), r#""method":"state","params":{}"#),
            (Call::Info(NoParams {}), r#""method":"info","params":{}"#),
            (Call::Wait(NoParams {}), r#""method":"wait","params":{}"#),
            (
                Call::Stop(StopParams {
                    kill: false,
                    timeout: Some(Duration::from_secs(10)),
                    nokill: false,
                }),
                r#""method":"stop","params":{"timeout":10}"#,
            ),
            (
                Call::Stop(StopParams {
                    kill: true,
                    timeout: None,
                    nokill: false,
                }),
                r#""method":"stop","params":{"kill":true}"#,
            ),
            (
                Call::Stop(StopParams {
                    kill: false,
                    timeout: Some(Duration::from_secs(5)),
                    nokill: true,
                }),
                r#""method":"stop","params":{"timeout":5,"nokill":true}"#,
            ),
            (
                Call::Reboot(RebootParams {
                    timeout: Some(Duration::from_secs(30)),
                }),
                r#""method":"reboot","params":{"timeout":30}"#,
            ),
            (
                Call::Kill(KillParams { signal: 10 }),
                r#""method":"kill","params":{"signal":10}"#,
            ),
            (
                Call::Freeze(FreezeParams {
                    timeout: Some(Duration::from_millis(1500)),
                }),
                r#""method":"freeze","params":{"timeout":1.5}"#,
            ),
            (
                Call::Unfreeze(NoParams {}),
                r#""method":"unfreeze","params":{}"#,
            ),
            (Call::Ps(NoParams {}), r#""method":"ps","params":{}"#),
            (
                Call::Checkpoint(CheckpointParams {
                    directory: "/srv/ck".into(),
                    stop: true,
                }),
                r#""method":"checkpoint","params":{"directory":"/srv/ck","stop":true}"#,
            ),
            (
                Call::Subscribe(NoParams {}),
                r#""method":"subscribe","params":{}"#,
            ),
            (
                Call::Console(ConsoleParams {
                    tty: 1,
                    size: Some(WinSize { rows: 24, cols: 80 }),
                }),
                r#""method":"console","params":{"tty":1,"size":{"rows":24,"cols":80}}"#,
            ),
            (
                Call::Exec(ExecParams {
                    argv: vec!["sh".into()],
                    env: vec!["TERM=xterm".into()],
                    pty: true,
                    ..ExecParams::default()
                }),
                r#""method":"exec","params":{"argv":["sh"],"env":["TERM=xterm"],"pty":true}"#,
            ),
            (
                Call::ExecWait(ExecWaitParams { pid: 9 }),
                r#""method":"exec-wait","params":{"pid":9}"#,
            ),
            (
                Call::ExecSignal(ExecSignalParams { pid: 9, signal: 2 }),
                r#""method":"exec-signal","params":{"pid":9,"signal":2}"#,
            ),
            (
                Call::CgroupGet(crate::resources::CgroupGetParams {
                    key: "memory.limit_in_bytes".into(),
                }),
                r#""method":"cgroup-get","params":{"key":"memory.limit_in_bytes"}"#,
            ),
            (
                Call::CgroupSet(crate::resources::CgroupSetParams {
                    key: "pids.max".into(),
                    value: "20".into(),
                }),
                r#""method":"cgroup-set","params":{"key":"pids.max","value":"20"}"#,
            ),
            (Call::Stats(NoParams {}), r#""method":"stats","params":{}"#),
        ];
        for (call, body) in cases {
            let line = String::from_utf8(call.line(7)).unwrap();
            assert_eq!(line, format!("{{\"jsonrpc\":\"2.0\",\"id\":7,{body}}}\n"));
            // What a client sends decodes to the same call in the shim.
            let v: Value = serde_json::from_str(&line).unwrap();
            let back = Call::decode(v["method"].as_str().unwrap(), v["params"].clone()).unwrap();
            assert_eq!(back, call);
            assert_eq!(call.method(), v["method"]);
        }
        assert_eq!(METHODS.len(), 20, "a new method needs a golden line here");
        assert_eq!(decode("stop:nokill", json!({})), Err(-32601));
    }

    #[test]
    fn params_are_checked() {
        assert_eq!(decode("reboot", json!({"kill": true})), Err(-32602));
        assert_eq!(decode("restart", json!({})), Err(-32601));
        assert_eq!(decode("state", json!({"x": 1})), Err(-32602));
        assert_eq!(decode("stop", json!({"timeout": -1})), Err(-32602));
        assert_eq!(decode("stop", json!({"timeout": 1e10})), Err(-32602));
        assert_eq!(decode("stop", json!({"kill": "yes"})), Err(-32602));
        assert_eq!(decode("stop", json!({"grace": 1})), Err(-32602));
        assert_eq!(decode("kill", json!({})), Err(-32602));
        assert_eq!(decode("kill", json!({"signal": 0})), Err(-32602));
        assert_eq!(decode("kill", json!({"signal": 65})), Err(-32602));
        assert_eq!(decode("kill", json!({"signal": "TERM"})), Err(-32602));
        assert_eq!(
            decode("stop", json!({})),
            Ok(Call::Stop(StopParams::default()))
        );
        assert_eq!(
            decode("kill", json!({"signal": 64})),
            Ok(Call::Kill(KillParams { signal: 64 }))
        );
        assert_eq!(
            decode("freeze", json!({"timeout": 0})),
            Ok(Call::Freeze(FreezeParams {
                timeout: Some(Duration::ZERO)
            }))
        );
    }
}
