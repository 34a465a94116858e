//! The table's own invariants: one definition per spelling, exact keys before families,
//! the edit distance.

use std::path::Path;

use super::def::Input;
use super::*;

#[test]
fn every_spelling_is_defined_once() {
    let table = Table::new();
    let mut seen = std::collections::HashSet::new();
    for def in table.all() {
        for (name, _) in spellings(def) {
            assert!(seen.insert(name), "{name} is defined twice");
            assert!(name.starts_with("lxc.") && !name.ends_with('.'), "{name}");
        }
    }
}

#[test]
fn exact_keys_win_over_families() {
    let table = Table::new();
    for (key, name, sub) in [
        ("lxc.cgroup.dir", "lxc.cgroup.dir", ""),
        (
            "lxc.cgroup.dir.monitor.pivot",
            "lxc.cgroup.dir.monitor.pivot",
            "",
        ),
        ("lxc.cgroup.memory.max", "lxc.cgroup", "memory.max"),
        ("lxc.cgroup2.memory.max", "lxc.cgroup2", "memory.max"),
        ("lxc.cgroup", "lxc.cgroup", ""),
        ("lxc.hook.version", "lxc.hook.version", ""),
        ("lxc.hook.mount", "lxc.hook", "mount"),
        ("lxc.network.ipv4", "lxc.net", "ipv4"),
        ("lxc.net.0.type", "lxc.net", "0.type"),
        ("lxc.rootfs", "lxc.rootfs.path", ""),
        ("lxc.limit.core", "lxc.prlimit", "core"),
    ] {
        let Ok(r) = table.resolve(key) else {
            panic!("{key}");
        };
        assert_eq!((r.def.name, r.sub), (name, sub), "{key}");
    }
    assert!(table.resolve("lxc.network.0.type").is_err());
    assert!(table.resolve("lxc.net.").is_err());
}

#[test]
fn modern_keys_of_aliases() {
    let table = Table::new();
    let r = table.resolve("lxc.limit.nofile").ok().unwrap();
    let input = Input {
        key: "lxc.limit.nofile",
        def: r.def,
        sub: r.sub,
        legacy: r.legacy,
        value: "1",
        source: "a.conf",
        line: 1,
        dir: Some(Path::new("/etc/lxc")),
    };
    assert!(input.legacy);
    assert_eq!(input.modern_key(), "lxc.prlimit.nofile");
    assert_eq!(input.resolve("./fstab"), Path::new("/etc/lxc/fstab"));
    assert_eq!(input.resolve("/abs"), Path::new("/abs"));
    assert_eq!(input.resolve("a/./b"), Path::new("/etc/lxc/a/b"));
}

#[test]
fn edit_distance() {
    assert_eq!(distance(b"", b""), 0);
    assert_eq!(distance(b"abc", b""), 3);
    assert_eq!(distance(b"lxc.utsnme", b"lxc.utsname"), 1);
    assert_eq!(distance(b"kitten", b"sitting"), 3);
    assert_eq!(distance(b"ab", b"ba"), 2);
}
