//! The launch channel's decoders: the command reads `LaunchEvent` lines, the shim
//! `LaunchRequest` lines. What decodes encodes back to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lxc_proto::launch::{LaunchEvent, LaunchRequest};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = serde_json::from_slice::<LaunchEvent>(data) {
        let again: LaunchEvent = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
        assert_eq!(again, ev);
    }
    if let Ok(req) = serde_json::from_slice::<LaunchRequest>(data) {
        let again: LaunchRequest =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(again, req);
    }
});
