//! Property tests of the parsers of hostile input (what `scripts/fuzz.sh` fuzzes, on stable
//! Rust in the normal suite): mutated configs (with includes), fstabs and seccomp profiles
//! never panic a parser, and a config that parses writes itself back as text that parses to
//! the same text again.
use super::TempDir;
use crate::fuzzgen::{Gen, CASES};
use crate::*;

const CONFIG: &str = "lxc.utsname = box\nlxc.network.type = veth\nlxc.network.link = br0\n\
    lxc.network.ipv4 = 192.0.2.2/24\nlxc.cap.drop = sys_admin CAP_NET_RAW\n\
    lxc.mount.entry = tmpfs tmp tmpfs size=1m,create=dir 0 0\nlxc.net.1.type = empty\n\
    lxc.hook.start = /bin/true\nlxc.prlimit.nofile = 10:20\nlxc.idmap = u 0 100000 65536\n\
    lxc.seccomp.profile = x.seccomp\nlxc.signal.halt = SIGUSR1\nlxc.environment = A=b\n";
const CONFIG_TOKENS: &[&str] = &[
    "\n",
    "=",
    " ",
    "#",
    "\"",
    "'",
    "\0",
    "lxc.include = b.conf\n",
    "lxc.include = d\n",
    "lxc.net.0.",
    "lxc.network.",
    "lxc.cgroup.",
    "lxc.cgroup2.",
    "lxc.hook.",
    "lxc.prlimit.",
    "lxc.sysctl.",
    "type",
    "ipv4",
    "ipv6",
    "hwaddr",
    "xx:",
    "/",
    "..",
    "\u{fffd}",
    "999999999999",
    "-1",
    ":",
    ",",
];

#[test]
fn configs_never_panic_and_write_back_stably() {
    // Each parse builds the key table (by design: see lib.rs), slow in a debug build: fewer
    // cases here, the fuzzer runs millions.
    let mut g = Gen::new(0x5eed_0101);
    for i in 0..CASES / 10 {
        let input = if i % 10 == 0 {
            g.bytes(300)
        } else {
            g.mutate(CONFIG.as_bytes(), CONFIG_TOKENS)
        };
        let text = String::from_utf8_lossy(&input);
        if let Ok(config) = parse_str(&text, "p.conf") {
            let written = config.to_config_string();
            let again = parse_str(&written, "w.conf")
                .unwrap_or_else(|e| panic!("{e}\nfrom {text:?}\nwritten {written:?}"));
            assert_eq!(again.to_config_string(), written, "{text:?}");
            let _ = config.check_supported();
            let _ = config.mounts();
        }
    }
}

#[test]
fn configs_with_includes_never_panic() {
    let dir = TempDir::new("props");
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let files = [
        dir.path().join("a.conf"),
        dir.path().join("b.conf"),
        dir.path().join("d/c.conf"),
    ];
    let mut g = Gen::new(0x5eed_0102);
    for _ in 0..CASES / 100 {
        for file in &files {
            std::fs::write(file, g.mutate(CONFIG.as_bytes(), CONFIG_TOKENS)).unwrap();
        }
        let _ = parse_file(&files[0]);
    }
}

#[test]
fn fstabs_never_panic() {
    let seed = b"proc /proc proc defaults 0 0\n/src mnt/a none bind,ro,create=dir 0 0\n\
                 tmpfs /t tmpfs size=1m,mode=1777,optional 0 0\n";
    let tokens = &[
        " ",
        "\t",
        "\n",
        "#",
        ",",
        "=",
        "bind",
        "rbind",
        "ro",
        "create=dir",
        "create=file",
        "optional",
        "\\040",
        "0",
        "..",
        "/",
    ];
    let mut g = Gen::new(0x5eed_0103);
    for _ in 0..CASES {
        let input = g.mutate(seed, tokens);
        let _ = mount::parse_fstab(&String::from_utf8_lossy(&input), "p.fstab");
    }
}

#[test]
fn seccomp_profiles_never_panic() {
    let seeds: &[&[u8]] = &[
        b"2\ndenylist\nreject_force_umount  # x\n[all]\nkexec_load errno 1\nmkdir kill\n",
        b"2\nallowlist errno 38\nread\n[x86_64]\nwrite trap\nmkdir errno 13 [1,0700,==]\n\
          ioctl errno 1 [1,0x5401,&=,0xffff][0,1,SCMP_CMP_GT]\n[arm64]\nchown log\n",
        b"1\nallowlist\n0\n1\n60\n",
    ];
    let tokens = &[
        "\n",
        " ",
        "[",
        "]",
        ",",
        "#",
        "errno",
        "kill",
        "trap",
        "trace",
        "log",
        "notify",
        "allow",
        "[all]",
        "[x86]",
        "==",
        "&=",
        "SCMP_CMP_NE",
        "0x",
        "4096",
        "99999999999999999999",
    ];
    let mut g = Gen::new(0x5eed_0104);
    for _ in 0..CASES {
        let input = {
            let s = seeds[g.below(seeds.len())];
            g.mutate(s, tokens)
        };
        let _ = seccomp::parse_profile(&String::from_utf8_lossy(&input), "p.seccomp");
    }
}
