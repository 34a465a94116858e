//! A seccomp proxy's answer, as the shim decodes it (lxc.seccomp.notify.proxy).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let id = 0x1122_3344_5566_7788;
    if let Ok(r) = lxc_shim::seccomp_proxy::decode_reply(data, id) {
        assert_eq!(r.id, id);
    }
});
