//! The monitor channel's datagram: every shim sends each state change of its container, as one
//! JSON datagram, to every socket bound in the run root's monitor directory
//! ([`crate::paths::RunRoot::monitor_dir`]). `lxc-monitor` and `lxc-wait` bind one there, so
//! that they see containers that start after them, even one whose whole life lasts a
//! millisecond. Datagrams from one shim to one monitor arrive in order; `seq` numbers each
//! container's changes (1 = STARTING), so that a gap shows a lost event. The same object is the
//! `params` of a subscription's `state` notification.
use crate::state::{ExitStatus, State};
use serde::{Deserialize, Serialize};

/// One state change of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEvent {
    /// The container.
    pub name: String,
    /// Its new state.
    pub state: State,
    /// The change's number for this run of the container: 1 is STARTING.
    pub seq: u64,
    /// When it changed, in seconds since the Unix epoch.
    pub time: f64,
    /// With STOPPED: how COMMAND ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitStatus>,
    /// The shim's pid (tells two runs of one name apart).
    pub shim_pid: i32,
}

/// Whether two events are the same, their times within a relative 1e-15: what a decoded
/// event and its re-encoding decoded again always are (serde_json parses a number with more
/// digits than an f64 holds, or a large exponent, to within a few ulps, not always exactly).
pub fn same_event(a: &StateEvent, b: &StateEvent) -> bool {
    let close =
        a.time == b.time || (a.time - b.time).abs() <= a.time.abs().max(b.time.abs()) * 1e-15;
    close
        && (&a.name, a.state, a.seq, &a.exit, a.shim_pid)
            == (&b.name, b.state, b.seq, &b.exit, b.shim_pid)
}

/// The kernel's OOM killer killed a process of the container (protocol 4): the `params` of a
/// subscription's `oom` notification and a monitor datagram of its own (it has no `state`, so
/// readers of state changes skip it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OomEvent {
    /// The container.
    pub name: String,
    /// Always `oom`: what tells this datagram from a state change.
    pub event: String,
    /// OOM kills in the container so far.
    pub oom_kills: u64,
    /// When the shim noticed, in seconds since the Unix epoch.
    pub time: f64,
    /// The shim's pid.
    pub shim_pid: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_wire_form() {
        let ev = StateEvent {
            name: "web".into(),
            state: State::Stopped,
            seq: 4,
            time: 1.5,
            exit: Some(ExitStatus::exited(0)),
            shim_pid: 9,
        };
        assert_eq!(
            serde_json::to_string(&ev).unwrap(),
            r#"{"name":"web","state":"STOPPED","seq":4,"time":1.5,"exit":{"code":0},"shim_pid":9}"#
        );
        let oom = OomEvent {
            name: "web".into(),
            event: "oom".into(),
            oom_kills: 2,
            time: 1.5,
            shim_pid: 9,
        };
        let text = serde_json::to_string(&oom).unwrap();
        assert_eq!(
            text,
            r#"{"name":"web","event":"oom","oom_kills":2,"time":1.5,"shim_pid":9}"#
        );
        assert!(
            serde_json::from_str::<StateEvent>(&text).is_err(),
            "state readers skip it"
        );
    }

    /// Found by scripts/fuzz.sh (monitor target): times with 70 digits, or of 10^107,
    /// decode to within a few ulps (serde_json's float parsing), so an event re-encoded and
    /// decoded again may differ in the time's last digit. Nothing an f64 could hold is lost
    /// and nothing panics.
    #[test]
    fn times_with_more_digits_than_an_f64_holds() {
        for time in [
            format!("1.{}5", "6".repeat(70)),
            format!("1444444440{}890165236.5", "0".repeat(90)),
        ] {
            let line =
                format!(r#"{{"name":"w","state":"STOPPED","seq":2,"time":{time},"shim_pid":0}}"#);
            let ev: StateEvent = serde_json::from_str(&line).unwrap();
            let back: StateEvent =
                serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
            assert!(same_event(&back, &ev), "{ev:?} {back:?}");
        }
    }
}
