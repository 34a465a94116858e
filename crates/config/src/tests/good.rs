//! Configs that parse: expected settings, round trips through config text and JSON.

use super::*;

fn good_cases() -> Vec<(&'static str, &'static str, Settings)> {
    vec![
        ("empty file", "", Settings::default()),
        (
            "only comments",
            "# nothing\n\n   # indented comment\n\t\n",
            Settings::default(),
        ),
        (
            "spec 3.2 example",
            SPEC_EXAMPLE,
            Settings {
                utsname: some("virtnode"),
                fstab: Some(Fstab {
                    path: "./fstab".into(),
                    written: "./fstab".into(),
                    origin: at("good.conf", 2),
                }),
                networks: vec![Network {
                    up: true,
                    link: some("eth0"),
                    hwaddr: some("4a:49:43:49:79:bd"),
                    ipv4: vec![v4("1.2.3.5", 24)],
                    ipv6: vec![v6("2003:db8:1:0:214:1234:fe0b:3596", 64)],
                    ..net(0, NetType::Macvlan)
                }],
                ..Settings::default()
            },
        ),
        (
            "modern lxc 5",
            MODERN,
            Settings {
                utsname: some("web1"),
                rootfs: some("/var/lib/lxc/web1/rootfs"),
                rootfs_readonly: true,
                mount_entries: vec![mount_entry(
                    "/srv/data srv/data none bind,create=dir 0 0",
                    "good.conf",
                    7,
                )],
                mount_auto: Some(MountAuto {
                    proc: Some(Access::Mixed),
                    sys: Some(Access::Ro),
                    cgroup: Some(Access::Mixed),
                }),
                autodev: Some(true),
                signal_halt: Some(30),
                signal_stop: Some(9),
                console: Console {
                    path: some("none"),
                    ..Console::default()
                },
                networks: vec![
                    Network {
                        up: true,
                        link: some("lxcbr0"),
                        hwaddr: some("00:16:3e:xx:xx:xx"),
                        name: some("eth0"),
                        mtu: Some(1500),
                        ipv4: vec![v4("10.0.3.10", 24)],
                        ipv4_gateway: Some(Gateway::Auto),
                        ipv6: vec![v6("fd00::10", 64)],
                        ipv6_gateway: Some(Gateway::Addr("fd00::1".parse().unwrap())),
                        veth_pair: some("vethweb1"),
                        ..net(0, NetType::Veth)
                    },
                    Network {
                        link: some("eth1"),
                        macvlan_mode: Some(MacvlanMode::Bridge),
                        ..net(1, NetType::Macvlan)
                    },
                ],
                ..Settings::default()
            },
        ),
        (
            "two 2008 interfaces",
            "lxc.network.type = veth\n\
             lxc.network.link = br0\n\
             lxc.network.flags = up\n\
             lxc.network.type = phys\n\
             lxc.network.link = eth2\n",
            Settings {
                networks: vec![
                    Network {
                        up: true,
                        link: some("br0"),
                        ..net(0, NetType::Veth)
                    },
                    Network {
                        link: some("eth2"),
                        ..net(1, NetType::Phys)
                    },
                ],
                ..Settings::default()
            },
        ),
        (
            "repeated addresses",
            "lxc.network.type = veth\n\
             lxc.network.ipv4 = 10.0.0.2/16 10.0.255.255\n\
             lxc.network.ipv4 = 192.168.1.7\n\
             lxc.network.ipv6 = fd00::2/48\n\
             lxc.network.ipv6 = fd00::3\n",
            Settings {
                networks: vec![Network {
                    ipv4: vec![v4("10.0.0.2", 16), v4("192.168.1.7", 24)],
                    ipv6: vec![v6("fd00::2", 48), v6("fd00::3", 64)],
                    ..net(0, NetType::Veth)
                }],
                ..Settings::default()
            },
        ),
        (
            "lxc 1.x spellings",
            "lxc.network.type = macvlan\n\
             lxc.network.name = eth0\n\
             lxc.network.mtu = 9000\n\
             lxc.network.macvlan.mode = vepa\n\
             lxc.network.ipv4.gateway = 10.0.0.1\n\
             lxc.network.ipv6.gateway = auto\n\
             lxc.network.type = veth\n\
             lxc.network.veth.pair = vhost0\n",
            Settings {
                networks: vec![
                    Network {
                        name: some("eth0"),
                        mtu: Some(9000),
                        macvlan_mode: Some(MacvlanMode::Vepa),
                        ipv4_gateway: Some(Gateway::Addr(Ipv4Addr::new(10, 0, 0, 1))),
                        ipv6_gateway: Some(Gateway::Auto),
                        ..net(0, NetType::Macvlan)
                    },
                    Network {
                        veth_pair: some("vhost0"),
                        ..net(1, NetType::Veth)
                    },
                ],
                ..Settings::default()
            },
        ),
        (
            "empty values reset",
            "lxc.utsname = first\n\
             lxc.utsname =\n\
             lxc.rootfs.path = /srv/root\n\
             lxc.rootfs.path =   \n\
             lxc.mount.entry = proc proc proc defaults\n\
             lxc.mount.entry =\n\
             lxc.mount.entry = sysfs sys sysfs ro\n\
             lxc.mount.auto = proc sys\n\
             lxc.mount.auto =\n\
             lxc.signal.halt = 10\n\
             lxc.signal.halt =\n\
             lxc.network.type = veth\n\
             lxc.network.ipv4 = 10.0.0.2\n\
             lxc.network.ipv4 =\n\
             lxc.network.ipv4 = 10.0.0.3\n\
             lxc.network.flags = up\n\
             lxc.network.flags =\n\
             lxc.network.link = br0\n\
             lxc.network.link =\n\
             lxc.net.0.mtu = 1400\n\
             lxc.net.0.mtu =\n\
             lxc.net.7.link =\n",
            Settings {
                mount_entries: vec![mount_entry("sysfs sys sysfs ro", "good.conf", 7)],
                networks: vec![Network {
                    ipv4: vec![v4("10.0.0.3", 24)],
                    ..net(0, NetType::Veth)
                }],
                ..Settings::default()
            },
        ),
        (
            "empty lxc.net clears all interfaces",
            "lxc.net.0.type = veth\n\
             lxc.network.type = macvlan\n\
             lxc.network =\n\
             lxc.net.3.type = phys\n\
             lxc.net =\n\
             lxc.network.type = empty\n",
            Settings {
                networks: vec![net(0, NetType::Empty)],
                ..Settings::default()
            },
        ),
        (
            "comments, blank lines and odd spacing",
            "\u{feff}# leading comment\r\n\
             \r\n\
             \t  lxc.utsname\t=\tbox-1   \r\n\
             lxc.mount=./fstab\r\n\
             lxc.mount.entry  =  tmpfs dev/shm tmpfs size=64m,mode=1777 0 0\r\n\
             \x20   # lxc.utsname = commented-out\r\n\
             lxc.console.path = /dev/null # not a comment\n",
            Settings {
                utsname: some("box-1"),
                fstab: Some(Fstab {
                    path: "./fstab".into(),
                    written: "./fstab".into(),
                    origin: at("good.conf", 4),
                }),
                mount_entries: vec![mount_entry(
                    "tmpfs dev/shm tmpfs size=64m,mode=1777 0 0",
                    "good.conf",
                    5,
                )],
                console: Console {
                    path: some("/dev/null # not a comment"),
                    ..Console::default()
                },
                ..Settings::default()
            },
        ),
        (
            "last scalar wins",
            "lxc.utsname = a\n\
             lxc.uts.name = b\n\
             lxc.chroot = /old\n\
             lxc.rootfs.path = /new\n\
             lxc.signal.halt = 30\n\
             lxc.signal.halt = RTMIN+3\n\
             lxc.signal.stop = 9\n\
             lxc.signal.stop = term\n\
             lxc.autodev = 1\n\
             lxc.autodev = 0\n\
             lxc.mount.auto = proc proc:rw\n\
             lxc.mount.auto = proc sys\n",
            Settings {
                utsname: some("b"),
                rootfs: some("/new"),
                signal_halt: Some(37),
                signal_stop: Some(15),
                autodev: Some(false),
                // Tokens accumulate; the last one for a filesystem wins.
                mount_auto: Some(MountAuto {
                    proc: Some(Access::Mixed),
                    sys: Some(Access::Mixed),
                    cgroup: None,
                }),
                ..Settings::default()
            },
        ),
        (
            "mixed 2008 and modern",
            "lxc.net.2.type = veth\n\
             lxc.network.type = phys\n\
             lxc.network.link = eth3\n\
             lxc.net.0.link = br0\n\
             lxc.net.0.type = veth\n\
             lxc.net.3.name = eth1\n\
             lxc.network.type = macvlan\n",
            Settings {
                networks: vec![
                    Network {
                        link: some("br0"),
                        ..net(0, NetType::Veth)
                    },
                    net(2, NetType::Veth),
                    Network {
                        link: some("eth3"),
                        name: some("eth1"),
                        ..net(3, NetType::Phys)
                    },
                    net(4, NetType::Macvlan),
                ],
                ..Settings::default()
            },
        ),
    ]
}

#[test]
fn good_inputs_parse() {
    for (name, text, want) in good_cases() {
        let config = parse_str(text, "good.conf").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(config.settings, want, "{name}");
    }
}

#[test]
fn good_inputs_round_trip_through_config_string() {
    for (name, text, _) in good_cases() {
        let config = parse_str(text, "good.conf").unwrap();
        let written = config.to_config_string();
        let again = parse_str(&written, "written.conf")
            .unwrap_or_else(|e| panic!("{name}: {e}\n{written}"));
        assert_eq!(
            without_origins(again.settings),
            without_origins(config.settings.clone()),
            "{name}\n{written}"
        );
        // Modern keys only.
        for entry in &again.entries {
            assert!(
                !entry.key.starts_with("lxc.network"),
                "{name}: {}",
                entry.key
            );
            assert!(!["lxc.utsname", "lxc.chroot", "lxc.mount"].contains(&entry.key.as_str()));
        }
    }
}

#[test]
fn good_inputs_round_trip_through_json() {
    for (name, text, _) in good_cases() {
        let config = parse_str(text, "good.conf").unwrap();
        let json = serde_json::to_string(&config).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config, "{name}");
    }
}

#[test]
fn spec_example_writes_modern_keys() {
    let config = parse_str(SPEC_EXAMPLE, "spec.conf").unwrap();
    assert_eq!(
        config.to_config_string(),
        "lxc.uts.name = virtnode\n\
         lxc.mount.fstab = ./fstab\n\
         lxc.net.0.type = macvlan\n\
         lxc.net.0.flags = up\n\
         lxc.net.0.link = eth0\n\
         lxc.net.0.hwaddr = 4a:49:43:49:79:bd\n\
         lxc.net.0.ipv4.address = 1.2.3.5/24\n\
         lxc.net.0.ipv6.address = 2003:db8:1:0:214:1234:fe0b:3596/64\n"
    );
}

#[test]
fn entries_record_every_accepted_line() {
    let text = "# c\nlxc.utsname = a\n\nlxc.network.type = veth\nlxc.net.0.link = br0\n\
                lxc.mount.auto = proc\nlxc.signal.halt = PWR\nlxc.console.path = 'none'\n\
                lxc.chroot = /r\nlxc.autodev = 1\nlxc.utsname =\n";
    let config = parse_str(text, "e.conf").unwrap();
    let got: Vec<(&str, &str, usize)> = config
        .entries
        .iter()
        .map(|e| {
            assert_eq!(e.source, "e.conf");
            (e.key.as_str(), e.value.as_str(), e.line)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("lxc.utsname", "a", 2),
            ("lxc.network.type", "veth", 4),
            ("lxc.net.0.link", "br0", 5),
            ("lxc.mount.auto", "proc", 6),
            ("lxc.signal.halt", "PWR", 7),
            ("lxc.console.path", "none", 8),
            ("lxc.chroot", "/r", 9),
            ("lxc.autodev", "1", 10),
            ("lxc.utsname", "", 11),
        ]
    );
}

#[test]
fn quoted_values_are_unquoted() {
    let text = "lxc.uts.name = \"box\"\nlxc.rootfs.path = '/srv/r'\n\
                lxc.net.0.type = \"veth\"\nlxc.environment = \"A=\"b\"\"\n\
                lxc.init.cmd = \"/sbin/init'\nlxc.execute.cmd = \"\"\n\
                lxc.group = '\"web\"'\nlxc.group = \" db \"\n";
    let config = parse_str(text, "q.conf").unwrap();
    let s = &config.settings;
    assert_eq!(s.utsname.as_deref(), Some("box"));
    assert_eq!(s.rootfs.as_deref(), Some("/srv/r"));
    assert_eq!(s.networks[0].kind, NetType::Veth);
    assert_eq!(s.environment, ["A=\"b\""], "one pair of quotes comes off");
    assert_eq!(
        s.init.cmd.as_deref(),
        Some("\"/sbin/init'"),
        "unmatched quotes stay"
    );
    assert_eq!(s.execute_cmd, None, "\"\" is the empty value: a reset");
    assert_eq!(s.groups, ["\"web\"", " db "]);
    // Written back, what the parser would change is quoted again.
    let written = config.to_config_string();
    for line in [
        "lxc.environment = A=\"b\"\n",
        "lxc.group = \"\"web\"\"\n",
        "lxc.group = \" db \"\n",
    ] {
        assert!(written.contains(line), "{line}\n{written}");
    }
    let again = parse_str(&written, "w.conf").unwrap();
    assert_eq!(again.settings, config.settings);
}
