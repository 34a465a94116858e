//! The init channel's datagrams, as the shim and the init decode them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lxc_shim::init_channel::decode(data);
});
