//! The fstab parser (`lxc.mount.fstab`, `lxc.mount.entry` lines).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = lxc_config::mount::parse_fstab(&text, "fuzz.fstab");
});
