//! `Config::set`: `-s KEY=VALUE` on top of a config.

use super::*;

#[test]
fn set_overrides_and_appends_an_entry() {
    let mut config = parse_str(SPEC_EXAMPLE, "spec.conf").unwrap();
    let lines = config.entries.len();
    config.set("lxc.utsname=other", "-s option", 1).unwrap();
    config
        .set(" lxc.mount.auto = proc sys:rw ", "-s option", 2)
        .unwrap();
    assert_eq!(config.settings.utsname.as_deref(), Some("other"));
    let auto = config.settings.mount_auto.unwrap();
    assert_eq!(
        (auto.proc, auto.sys),
        (Some(Access::Mixed), Some(Access::Rw))
    );
    assert_eq!(config.entries.len(), lines + 2);
    assert_eq!(
        config.entries.last(),
        Some(&Entry {
            key: "lxc.mount.auto".into(),
            value: "proc sys:rw".into(),
            source: "-s option".into(),
            line: 2,
        })
    );
    assert!(config
        .to_config_string()
        .contains("lxc.mount.auto = proc:mixed sys:rw\n"));
}

#[test]
fn set_continues_the_current_2008_interface() {
    let mut config = parse_str(
        "lxc.network.type = veth\nlxc.network.type = macvlan\nlxc.net.5.type = veth\n",
        "a.conf",
    )
    .unwrap();
    config
        .set("lxc.network.ipv4=10.0.0.9/8", "-s option", 1)
        .unwrap();
    config.set("lxc.network.mtu=1400", "-s option", 2).unwrap();
    assert_eq!(config.settings.networks[1].ipv4, [v4("10.0.0.9", 8)]);
    assert_eq!(config.settings.networks[1].mtu, Some(1400));
    // A new 2008 interface goes after the highest index, and later options follow it.
    config.set("lxc.network.type=phys", "-s option", 3).unwrap();
    config.set("lxc.network.link=eth9", "-s option", 4).unwrap();
    let last = config.settings.networks.last().unwrap();
    assert_eq!(
        (last.index, last.kind, last.link.as_deref()),
        (6, NetType::Phys, Some("eth9"))
    );
    // Modern keys create and address interfaces by index.
    config.set("lxc.net.9.type=veth", "-s option", 5).unwrap();
    config.set("lxc.net.9.link=br0", "-s option", 6).unwrap();
    let indexes: Vec<u32> = config.settings.networks.iter().map(|n| n.index).collect();
    assert_eq!(indexes, [0, 1, 5, 6, 9]);
}

#[test]
fn set_errors_leave_the_config_unchanged() {
    let mut config = parse_str(MODERN, "modern.conf").unwrap();
    let before = config.clone();
    let cases: [(&str, Option<&str>, &str); 7] = [
        (
            "lxc.utsname",
            None,
            "expected KEY=VALUE, got \"lxc.utsname\"",
        ),
        ("lxc.foo=1", Some("lxc.foo"), "unknown key"),
        (
            "lxc.net.0.mtu=1",
            Some("lxc.net.0.mtu"),
            "invalid MTU \"1\"",
        ),
        (
            "lxc.net.4.link=br0",
            Some("lxc.net.4.link"),
            "lxc.net.4 has no type",
        ),
        (
            "lxc.network.link=br0",
            Some("lxc.network.link"),
            "lxc.network.type must come first",
        ),
        (
            "lxc.net.2.type=none",
            Some("lxc.net.2.type"),
            "type none (the host's network) must be the only interface",
        ),
        (
            "lxc.include=/nonexistent/lxc-config-test.conf",
            Some("lxc.include"),
            "/nonexistent/lxc-config-test.conf: No such file or directory",
        ),
    ];
    for (index, (option, key, needle)) in cases.into_iter().enumerate() {
        let err = config.set(option, "-s option", index + 1).unwrap_err();
        assert_eq!(
            (err.source.as_str(), err.line),
            ("-s option", index + 1),
            "{option}"
        );
        assert_eq!(err.key.as_deref(), key, "{option}");
        assert!(err.to_string().contains(needle), "{option}: {err}");
        assert_eq!(config, before, "{option}");
    }
}

#[test]
fn set_empty_value_resets() {
    let mut config = parse_str(MODERN, "modern.conf").unwrap();
    config.set("lxc.net =", "-s option", 1).unwrap();
    config.set("lxc.mount.auto=", "-s option", 2).unwrap();
    assert!(config.settings.networks.is_empty());
    assert_eq!(config.settings.mount_auto, None);
    config.set("lxc.network.type=veth", "-s option", 3).unwrap();
    assert_eq!(config.settings.networks, [net(0, NetType::Veth)]);
}

#[test]
fn set_takes_quotes_and_not_yet_keys() {
    let mut config = Config::default();
    config.set("lxc.uts.name=\"box\"", "-s option", 1).unwrap();
    config
        .set("lxc.cgroup2.memory.max=1G", "-s option", 2)
        .unwrap();
    config
        .set("lxc.cgroup.cpuset.cpus = 0-1", "-s option", 3)
        .unwrap();
    assert_eq!(config.settings.utsname.as_deref(), Some("box"));
    let cgroups: Vec<_> = config
        .settings
        .cgroups
        .iter()
        .map(|c| {
            (
                c.version,
                c.key.as_str(),
                c.value.as_str(),
                c.origin.to_string(),
            )
        })
        .collect();
    assert_eq!(
        cgroups,
        [
            (
                CgroupVersion::V2,
                "memory.max",
                "1G",
                "-s option:2".to_owned()
            ),
            (
                CgroupVersion::V1,
                "cpuset.cpus",
                "0-1",
                "-s option:3".to_owned()
            ),
        ]
    );
    // The cgroup files are built; a key that is not is still refused.
    config.check_supported().unwrap();
    config.set("lxc.cgroup.relative=1", "-s option", 4).unwrap();
    let err = config.check_supported().unwrap_err();
    assert_eq!(
        err.to_string(),
        "-s option:4: lxc.cgroup.relative: not supported yet"
    );
}

#[test]
fn set_resolves_a_relative_fstab_from_the_current_directory() {
    let mut config = parse_str("lxc.mount = ./fstab", "a.conf").unwrap();
    config
        .set("lxc.mount.fstab=sub/fstab", "-s option", 1)
        .unwrap();
    let fstab = config.settings.fstab.unwrap();
    assert_eq!(fstab.path, PathBuf::from("sub/fstab"));
    assert_eq!(fstab.origin, at("-s option", 1));
}
