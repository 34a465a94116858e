//! The key table: every key of LXC 5 is known with its status, older spellings map to the
//! modern keys, and the families not built yet parse into typed `Settings` and round-trip.

use super::*;

/// Every key (or family, with a sample sub-key) of LXC 5's lxc.container.conf(5) and
/// confile.c, with a valid value and whether we build it.
const LXC5_KEYS: &[(&str, &str, Status)] = &[
    ("lxc.arch", "x86_64", Status::Implemented),
    ("lxc.uts.name", "box", Status::Implemented),
    ("lxc.signal.halt", "SIGPWR", Status::Implemented),
    ("lxc.signal.reboot", "SIGINT", Status::Implemented),
    ("lxc.signal.stop", "SIGKILL", Status::Implemented),
    ("lxc.execute.cmd", "/bin/true", Status::Implemented),
    ("lxc.init.cmd", "/sbin/init", Status::Implemented),
    ("lxc.init.cwd", "/", Status::Implemented),
    ("lxc.init.uid", "0", Status::Implemented),
    ("lxc.init.gid", "0", Status::Implemented),
    ("lxc.init.groups", "1,2", Status::NotYet),
    ("lxc.proc.oom_score_adj", "10", Status::Implemented),
    ("lxc.proc.setgroups", "deny", Status::NotYet),
    ("lxc.ephemeral", "1", Status::Implemented),
    ("lxc.sched.core", "1", Status::NotYet),
    ("lxc.net.0.type", "veth", Status::Implemented),
    ("lxc.net.0.flags", "up", Status::Implemented),
    ("lxc.net.0.link", "br0", Status::Implemented),
    ("lxc.net.0.mtu", "1500", Status::Implemented),
    ("lxc.net.0.name", "eth0", Status::Implemented),
    ("lxc.net.0.hwaddr", "00:16:3e:xx:xx:xx", Status::Implemented),
    ("lxc.net.0.ipv4.address", "10.0.0.2/24", Status::Implemented),
    ("lxc.net.0.ipv4.gateway", "auto", Status::Implemented),
    ("lxc.net.0.ipv6.address", "fd00::2", Status::Implemented),
    ("lxc.net.0.ipv6.gateway", "fd00::1", Status::Implemented),
    ("lxc.net.0.veth.pair", "vh0", Status::Implemented),
    ("lxc.net.0.macvlan.mode", "bridge", Status::Implemented),
    ("lxc.net.0.l2proxy", "1", Status::NotYet),
    ("lxc.net.0.script.up", "/bin/up", Status::NotYet),
    ("lxc.net.0.script.down", "/bin/down", Status::NotYet),
    ("lxc.net.0.veth.mode", "router", Status::NotYet),
    ("lxc.net.0.veth.ipv4.route", "10.1.0.0/16", Status::NotYet),
    ("lxc.net.0.veth.ipv6.route", "fd01::/64", Status::NotYet),
    ("lxc.net.0.veth.vlan.id", "10", Status::NotYet),
    ("lxc.net.0.veth.vlan.tagged.id", "11", Status::NotYet),
    ("lxc.net.0.vlan.id", "12", Status::NotYet),
    ("lxc.net.0.ipvlan.mode", "l3s", Status::NotYet),
    ("lxc.net.0.ipvlan.isolation", "vepa", Status::NotYet),
    ("lxc.net", "", Status::Implemented),
    ("lxc.pty.max", "1024", Status::Implemented),
    ("lxc.console.path", "none", Status::Implemented),
    ("lxc.console.path", "/dev/tty1", Status::NotYet),
    ("lxc.console.logfile", "/var/log/c", Status::Implemented),
    ("lxc.console.buffer.size", "auto", Status::Implemented),
    ("lxc.console.size", "1MB", Status::Implemented),
    ("lxc.console.rotate", "1", Status::Implemented),
    ("lxc.tty.max", "4", Status::Implemented),
    ("lxc.tty.dir", "lxc", Status::NotYet),
    ("lxc.autodev", "1", Status::Implemented),
    ("lxc.autodev.tmpfs.size", "500000", Status::NotYet),
    ("lxc.mount.fstab", "/etc/fstab.c", Status::Implemented),
    (
        "lxc.mount.entry",
        "proc proc proc defaults",
        Status::Implemented,
    ),
    (
        "lxc.mount.auto",
        "proc:rw sys:ro cgroup:mixed",
        Status::Implemented,
    ),
    ("lxc.rootfs.path", "/srv/r", Status::Implemented),
    ("lxc.rootfs.mount", "/usr/lib/lxc/rootfs", Status::NotYet),
    ("lxc.rootfs.options", "ro", Status::Implemented),
    ("lxc.rootfs.options", "ro,idmap=container", Status::NotYet),
    ("lxc.rootfs.managed", "0", Status::NotYet),
    (
        "lxc.cgroup.memory.limit_in_bytes",
        "256M",
        Status::Implemented,
    ),
    ("lxc.cgroup2.memory.max", "256M", Status::Implemented),
    ("lxc.cgroup.dir", "my/ct", Status::NotYet),
    ("lxc.cgroup.dir.container", "ct", Status::NotYet),
    ("lxc.cgroup.dir.container.inner", "inner", Status::NotYet),
    ("lxc.cgroup.dir.monitor", "mon", Status::NotYet),
    ("lxc.cgroup.dir.monitor.pivot", "pivot", Status::NotYet),
    ("lxc.cgroup.relative", "1", Status::NotYet),
    ("lxc.cap.drop", "sys_module mac_admin", Status::Implemented),
    ("lxc.cap.keep", "none", Status::Implemented),
    ("lxc.namespace.clone", "net uts", Status::NotYet),
    ("lxc.namespace.keep", "user", Status::NotYet),
    ("lxc.namespace.share.net", "other", Status::NotYet),
    ("lxc.time.offset.boot", "1h", Status::NotYet),
    ("lxc.time.offset.monotonic", "-10s", Status::NotYet),
    ("lxc.sysctl.net.ipv4.ip_forward", "1", Status::Implemented),
    ("lxc.prlimit.nofile", "1024:2048", Status::Implemented),
    ("lxc.apparmor.profile", "unconfined", Status::Implemented),
    ("lxc.apparmor.allow_incomplete", "1", Status::Implemented),
    ("lxc.apparmor.allow_nesting", "1", Status::Implemented),
    ("lxc.apparmor.raw", "mount,", Status::Implemented),
    (
        "lxc.selinux.context",
        "system_u:system_r:lxc_t:s0:c22",
        Status::Implemented,
    ),
    (
        "lxc.selinux.context.keyring",
        "system_u:system_r:lxc_t",
        Status::Implemented,
    ),
    ("lxc.keyring.session", "0", Status::NotYet),
    (
        "lxc.seccomp.profile",
        "/usr/share/lxc/config/common.seccomp",
        Status::Implemented,
    ),
    ("lxc.seccomp.allow_nesting", "1", Status::Implemented),
    (
        "lxc.seccomp.notify.proxy",
        "unix:/run/p",
        Status::Implemented,
    ),
    ("lxc.seccomp.notify.cookie", "c", Status::Implemented),
    ("lxc.no_new_privs", "1", Status::Implemented),
    ("lxc.idmap", "u 0 100000 65536", Status::Implemented),
    ("lxc.hook.pre-start", "/bin/h", Status::Implemented),
    ("lxc.hook.pre-mount", "/bin/h", Status::Implemented),
    ("lxc.hook.mount", "/bin/h", Status::Implemented),
    ("lxc.hook.autodev", "/bin/h", Status::Implemented),
    ("lxc.hook.start-host", "/bin/h", Status::Implemented),
    ("lxc.hook.start", "/bin/h", Status::Implemented),
    ("lxc.hook.stop", "/bin/h", Status::Implemented),
    ("lxc.hook.post-stop", "/bin/h", Status::Implemented),
    ("lxc.hook.clone", "/bin/h", Status::Implemented),
    ("lxc.hook.destroy", "/bin/h", Status::Implemented),
    ("lxc.hook.version", "1", Status::Implemented),
    ("lxc.start.auto", "1", Status::Implemented),
    ("lxc.start.delay", "5", Status::Implemented),
    ("lxc.start.order", "-1", Status::Implemented),
    ("lxc.monitor.unshare", "1", Status::NotYet),
    ("lxc.monitor.signal.pdeath", "SIGKILL", Status::NotYet),
    ("lxc.group", "web", Status::Implemented),
    ("lxc.log.level", "WARN", Status::Implemented),
    ("lxc.log.file", "/var/log/lxc/c.log", Status::Implemented),
    ("lxc.log.syslog", "daemon", Status::NotYet),
    ("lxc.environment", "A=b", Status::Implemented),
    (
        "lxc.include",
        "/dev/null/not-read-by-key_status",
        Status::Implemented,
    ),
];

/// Older spellings: (old key, modern key) for a key whose value is written above.
const OLD_SPELLINGS: &[(&str, &str)] = &[
    ("lxc.utsname", "lxc.uts.name"),
    ("lxc.chroot", "lxc.rootfs.path"),
    ("lxc.rootfs", "lxc.rootfs.path"),
    ("lxc.mount", "lxc.mount.fstab"),
    ("lxc.tty", "lxc.tty.max"),
    ("lxc.pts", "lxc.pty.max"),
    ("lxc.id_map", "lxc.idmap"),
    ("lxc.aa_profile", "lxc.apparmor.profile"),
    ("lxc.aa_allow_incomplete", "lxc.apparmor.allow_incomplete"),
    ("lxc.haltsignal", "lxc.signal.halt"),
    ("lxc.rebootsignal", "lxc.signal.reboot"),
    ("lxc.stopsignal", "lxc.signal.stop"),
    ("lxc.loglevel", "lxc.log.level"),
    ("lxc.logfile", "lxc.log.file"),
    ("lxc.syslog", "lxc.log.syslog"),
    ("lxc.init_cmd", "lxc.init.cmd"),
    ("lxc.init_uid", "lxc.init.uid"),
    ("lxc.init_gid", "lxc.init.gid"),
    ("lxc.limit.nofile", "lxc.prlimit.nofile"),
    ("lxc.console", "lxc.console.path"),
    ("lxc.devttydir", "lxc.tty.dir"),
    ("lxc.seccomp", "lxc.seccomp.profile"),
    ("lxc.se_context", "lxc.selinux.context"),
];

#[test]
fn every_lxc5_key_is_known_with_its_status() {
    for &(key, value, status) in LXC5_KEYS {
        assert_eq!(key_status(key, value), Some(status), "{key} = {value}");
    }
    assert_eq!(key_status("lxc.bogus", "1"), None);
    assert_eq!(
        key_status("lxc.console.path", ""),
        Some(Status::Implemented)
    );
}

#[test]
fn one_config_with_every_key_parses_and_round_trips() {
    let mut text = String::from("lxc.net.0.type = veth\n");
    for &(key, value, _) in LXC5_KEYS {
        if key != "lxc.include" && key != "lxc.net" {
            text.push_str(&format!("{key} = {value}\n"));
        }
    }
    let config = parse_str(&text, "all.conf").unwrap_or_else(|e| panic!("{e}"));
    let written = config.to_config_string();
    let again = parse_str(&written, "w.conf").unwrap_or_else(|e| panic!("{e}\n{written}"));
    assert_eq!(
        without_origins(again.settings.clone()),
        without_origins(config.settings.clone()),
        "{written}"
    );
    // Every line came back in its modern spelling, none dropped.
    assert_eq!(again.to_config_string(), written);
    let err = config.check_supported().unwrap_err();
    assert_eq!(
        err.to_string(),
        "all.conf:12: lxc.init.groups: not supported yet"
    );
}

#[test]
fn old_spellings_set_the_modern_keys() {
    for &(old, modern) in OLD_SPELLINGS {
        let value = LXC5_KEYS
            .iter()
            .find(|(key, _, _)| *key == modern)
            .map(|(_, value, _)| *value)
            .unwrap();
        let a = parse_str(&format!("{old} = {value}"), "a.conf").unwrap();
        let b = parse_str(&format!("{modern} = {value}"), "a.conf").unwrap();
        assert_eq!(
            without_origins(a.settings),
            without_origins(b.settings),
            "{old}"
        );
        assert_eq!(key_status(old, value), key_status(modern, value), "{old}");
    }
}

#[test]
fn check_supported_names_the_first_not_built_entry() {
    let text = "lxc.uts.name = a\nlxc.console.path = none\nlxc.rootfs.options = ro\n\
                lxc.cap.drop =\nlxc.aa_profile = unconfined\nlxc.keyring.session = 1\n";
    let err = parse_str(text, "c.conf")
        .unwrap()
        .check_supported()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.conf:6: lxc.keyring.session: not supported yet"
    );
    let text = "lxc.net.0.type = veth\nlxc.net.0.veth.vlan.id = 5\n";
    let err = parse_str(text, "c.conf")
        .unwrap()
        .check_supported()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.conf:2: lxc.net.0.veth.vlan.id: not supported yet"
    );
    assert!(parse_str(MODERN, "m.conf")
        .unwrap()
        .check_supported()
        .is_ok());
    assert!(parse_str(SPEC_EXAMPLE, "s.conf")
        .unwrap()
        .check_supported()
        .is_ok());
}

#[test]
fn families_are_typed_and_ordered() {
    let text = "\
lxc.cgroup.memory.limit_in_bytes = 256M
lxc.cgroup2.memory.max = 1G
lxc.cgroup.cpuset.cpus = 0
lxc.cgroup.cpuset.cpus =
lxc.cgroup.devices.allow = c 1:3 rwm
lxc.idmap = u 0 100000 65536
lxc.id_map = g 0 100000 65536
lxc.hook.pre-start = /bin/a
lxc.hook.stop = /bin/b
lxc.hook.pre-start = /bin/c
lxc.hook.stop =
lxc.limit.nofile = 1024
lxc.prlimit.nproc = 10:unlimited
lxc.prlimit.nofile = 2048
lxc.sysctl.net.ipv4.ip_forward = 1
lxc.proc.oom_score_adj = 10
lxc.proc.oom_score_adj = 11
lxc.environment = A=1
lxc.environment = B
lxc.cap.drop = sys_module mac_admin
lxc.cap.drop = mknod
lxc.start.order = -2
lxc.log.level = 1
lxc.init.uid = 1000
lxc.console.size = 2kB
";
    let s = parse_str(text, "f.conf").unwrap().settings;
    let cgroups: Vec<_> = s
        .cgroups
        .iter()
        .map(|c| (c.version, c.key.as_str(), c.value.as_str(), c.origin.line))
        .collect();
    assert_eq!(
        cgroups,
        [
            (CgroupVersion::V1, "memory.limit_in_bytes", "256M", 1),
            (CgroupVersion::V2, "memory.max", "1G", 2),
            (CgroupVersion::V1, "devices.allow", "c 1:3 rwm", 5),
        ]
    );
    let maps: Vec<String> = s.idmaps.iter().map(ToString::to_string).collect();
    assert_eq!(maps, ["u 0 100000 65536", "g 0 100000 65536"]);
    let hooks: Vec<(HookKind, &str)> = s
        .hooks
        .iter()
        .map(|h| (h.kind, h.command.as_str()))
        .collect();
    assert_eq!(
        hooks,
        [
            (HookKind::PreStart, "/bin/a"),
            (HookKind::PreStart, "/bin/c")
        ]
    );
    let limits: Vec<(&str, String)> = s
        .prlimits
        .iter()
        .map(|p| (p.resource.as_str(), p.value()))
        .collect();
    assert_eq!(
        limits,
        [
            ("nofile", "2048".to_owned()),
            ("nproc", "10:unlimited".to_owned())
        ]
    );
    assert_eq!(s.sysctls[0].key, "net.ipv4.ip_forward");
    assert_eq!(
        s.other,
        [RawSetting {
            key: "lxc.proc.oom_score_adj".into(),
            value: "11".into()
        }]
    );
    assert_eq!(s.environment, ["A=1", "B"]);
    assert_eq!(s.cap_drop, ["sys_module", "mac_admin", "mknod"]);
    assert_eq!(s.start.order, Some(-2));
    assert_eq!(s.log.level, Some(LogLevel::Debug));
    assert_eq!(s.init.uid, Some(1000));
    assert_eq!(s.console.size, Some(Size::Bytes(2048)));
}

#[test]
fn bare_family_names_clear_their_family() {
    let text = "lxc.cgroup.memory.max = 1\nlxc.cgroup2.memory.max = 2\nlxc.cgroup =\n\
                lxc.hook.start = /a\nlxc.hook =\nlxc.prlimit.nofile = 1\nlxc.limit =\n\
                lxc.proc.a = 1\nlxc.proc =\nlxc.sysctl.a.b = 1\nlxc.sysctl =\n";
    let s = parse_str(text, "f.conf").unwrap().settings;
    assert_eq!(s.cgroups.len(), 1, "lxc.cgroup = clears v1 only");
    assert_eq!(s.cgroups[0].version, CgroupVersion::V2);
    assert!(s.hooks.is_empty() && s.prlimits.is_empty() && s.sysctls.is_empty());
    assert!(s.other.is_empty());
}
