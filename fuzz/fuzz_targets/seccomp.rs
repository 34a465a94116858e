//! The seccomp profile parser and the compiler behind it: what parses must compile or be
//! refused with a message, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(profile) = lxc_config::seccomp::parse_profile(&text, "fuzz.seccomp") {
        if let Ok(programs) = lxc_shim::seccomp::compile(&profile, "x86_64") {
            assert!(programs.iter().all(|p| !p.is_empty() && p.len() <= 4096));
        }
    }
});
