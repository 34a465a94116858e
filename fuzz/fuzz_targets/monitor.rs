//! The monitor channel's datagrams, as lxc-monitor and lxc-wait decode them. What decodes
//! encodes back to the same event, its time within a relative 1e-15 (serde_json's float
//! parsing is not exact for numbers with many digits or large exponents: see
//! lxc_proto::monitor's tests).
#![no_main]
use libfuzzer_sys::fuzz_target;
use lxc_proto::monitor::StateEvent;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = serde_json::from_slice::<StateEvent>(data) {
        let back: StateEvent = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
        assert!(lxc_proto::monitor::same_event(&back, &ev), "{ev:?} -> {back:?}");
    }
});
