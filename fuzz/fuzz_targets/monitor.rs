//! The monitor channel's datagrams, as lxc-monitor and lxc-wait decode them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lxc_proto::monitor::StateEvent;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = serde_json::from_slice::<StateEvent>(data) {
        let again: StateEvent = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
        assert_eq!(again, ev);
    }
});
