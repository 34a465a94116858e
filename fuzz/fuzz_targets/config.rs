//! The config parser, includes included: the input is up to three files (split at NUL bytes),
//! `a.conf`, `b.conf` and `d/c.conf`, which may include each other; `a.conf` is parsed. Also
//! the whole input as text. What parses must write itself back as text that parses to the
//! same settings.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("lxc-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(d.join("d")).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = lxc_config::parse_str(&text, "fuzz.conf") {
        let written = config.to_config_string();
        let again = lxc_config::parse_str(&written, "w.conf")
            .unwrap_or_else(|e| panic!("written config does not parse: {e}\n{written}"));
        assert_eq!(again.to_config_string(), written);
        let _ = config.check_supported();
    }
    // The files only matter when something includes (writing them is the slow part).
    if !data.windows(7).any(|w| w == b"include") {
        return;
    }
    let mut parts = data.splitn(3, |b| *b == 0);
    let d = dir();
    let files = [d.join("a.conf"), d.join("b.conf"), d.join("d/c.conf")];
    for file in &files {
        std::fs::write(file, parts.next().unwrap_or_default()).unwrap();
    }
    let _ = lxc_config::parse_file(&files[0]);
});
