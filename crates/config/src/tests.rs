//! Tests of the public API: tables of good and bad configs, `Config::set`, serde and
//! `to_config_string` round trips, `parse_file`.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;

/// README §3.2 of lxc-0.1.0, verbatim.
const SPEC_EXAMPLE: &str = r"# the fstab mount file.
lxc.mount = ./fstab
# the hostname to be set into the container
lxc.utsname = virtnode
# the chroot if needed for the running application
# The network has several of kind of configuration:
#
# * veth : the network will use the veth virtual device, the
# specified link must be a bridge
# * macvlan : the network will use the macvlan device, the specified
# link should be an existing interface, usually it is
# eth0
# * phys : the network will use a physical network device, the
# specified link should be an existing interface
lxc.network.type = macvlan
# specify the flags to be used for the network, actually only <up> is
# allowed which mean the network should be set up when created. If the
# network is set up, the loopback is automatically set up too.
lxc.network.flags = up
# specify the physical network device which will communicate with the
# outside world
lxc.network.link = eth0
# NIC ethernet mac address
lxc.network.hwaddr = 4a:49:43:49:79:bd
# specify the ipv4 address of the container. Several lines are allowed
# and will mean several addresses will be assigned to the interface
lxc.network.ipv4 = 1.2.3.5/24
# specify the ipv6 address of the container. Several lines are allowed
# and will mean several addresses will be assigned to the interface
lxc.network.ipv6 = 2003:db8:1:0:214:1234:fe0b:3596
";

const MODERN: &str = "\
# LXC 5 application container
lxc.uts.name = web1
lxc.rootfs.path = dir:/var/lib/lxc/web1/rootfs
lxc.rootfs.options = ro
lxc.mount.auto = proc:mixed
lxc.mount.auto = sys:ro cgroup:mixed
lxc.mount.entry = /srv/data srv/data none bind,create=dir 0 0
lxc.autodev = 1
lxc.signal.halt = SIGPWR
lxc.signal.stop = SIGKILL
lxc.console.path = none
lxc.net.0.type = veth
lxc.net.0.link = lxcbr0
lxc.net.0.flags = up
lxc.net.0.hwaddr = 00:16:3E:xx:xx:xx
lxc.net.0.name = eth0
lxc.net.0.mtu = 1500
lxc.net.0.ipv4.address = 10.0.3.10/24
lxc.net.0.ipv4.gateway = auto
lxc.net.0.ipv6.address = fd00::10
lxc.net.0.ipv6.gateway = fd00::1
lxc.net.0.veth.pair = vethweb1
lxc.net.1.type = macvlan
lxc.net.1.macvlan.mode = bridge
lxc.net.1.link = eth1
";

fn v4(addr: &str, prefix: u8) -> IpCidr<Ipv4Addr> {
    IpCidr {
        addr: addr.parse().unwrap(),
        prefix,
    }
}

fn v6(addr: &str, prefix: u8) -> IpCidr<Ipv6Addr> {
    IpCidr {
        addr: addr.parse().unwrap(),
        prefix,
    }
}

fn net(index: u32, kind: NetType) -> Network {
    Network {
        index,
        kind,
        ..Network::default()
    }
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// (name, config text, expected settings)
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
                fstab: some("./fstab"),
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
                rootfs_options: some("ro"),
                mount_entries: vec!["/srv/data srv/data none bind,create=dir 0 0".to_owned()],
                mount_auto: vec!["proc:mixed".into(), "sys:ro".into(), "cgroup:mixed".into()],
                autodev: Some(true),
                signal_halt: Some(30),
                signal_stop: Some(9),
                console_path: some("none"),
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
                mount_entries: vec!["sysfs sys sysfs ro".to_owned()],
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
                fstab: some("./fstab"),
                mount_entries: vec!["tmpfs dev/shm tmpfs size=64m,mode=1777 0 0".to_owned()],
                console_path: some("/dev/null # not a comment"),
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
                mount_auto: vec!["proc".into(), "proc:rw".into(), "sys".into()],
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
        assert_eq!(again.settings, config.settings, "{name}\n{written}");
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
                lxc.mount.auto = proc\nlxc.signal.halt = PWR\nlxc.console.path = none\n\
                lxc.chroot = /r\nlxc.autodev = 1\nlxc.utsname =\n";
    let config = parse_str(text, "e.conf").unwrap();
    let got: Vec<(&str, &str, usize, Feature)> = config
        .entries
        .iter()
        .map(|e| {
            assert_eq!(e.source, "e.conf");
            (e.key.as_str(), e.value.as_str(), e.line, e.feature())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("lxc.utsname", "a", 2, Feature::Uts),
            ("lxc.network.type", "veth", 4, Feature::Network),
            ("lxc.net.0.link", "br0", 5, Feature::Network),
            ("lxc.mount.auto", "proc", 6, Feature::Mount),
            ("lxc.signal.halt", "PWR", 7, Feature::Signal),
            ("lxc.console.path", "none", 8, Feature::Console),
            ("lxc.chroot", "/r", 9, Feature::Rootfs),
            ("lxc.autodev", "1", 10, Feature::Mount),
            ("lxc.utsname", "", 11, Feature::Uts),
        ]
    );
}

#[test]
fn feature_of_each_key_family() {
    let cases = [
        ("lxc.uts.name", Feature::Uts),
        ("lxc.rootfs.path", Feature::Rootfs),
        ("lxc.rootfs.options", Feature::Rootfs),
        ("lxc.mount", Feature::Mount),
        ("lxc.mount.fstab", Feature::Mount),
        ("lxc.mount.entry", Feature::Mount),
        ("lxc.net", Feature::Network),
        ("lxc.network", Feature::Network),
        ("lxc.net.3.ipv6.gateway", Feature::Network),
        ("lxc.signal.stop", Feature::Signal),
    ];
    for (key, want) in cases {
        let entry = Entry {
            key: key.into(),
            value: String::new(),
            source: "t".into(),
            line: 1,
        };
        assert_eq!(entry.feature(), want, "{key}");
    }
}

/// (lines before the bad one, the bad line, text its message must contain). The error must
/// point at the bad line and name its key, although a good line follows it.
const BAD_LINES: &[(&str, &str, &str)] = &[
    ("lxc.utsname = a", "lxc.foo = 1", "unknown key"),
    ("", "lxc.net.0.ipv4 = 1.2.3.4", "unknown key"),
    ("", "lxc.network.0.type = veth", "unknown key"),
    ("", "lxc.net.1024.type = veth", "\"1024\" out of range"),
    (
        "",
        "lxc.network.flags = up",
        "lxc.network.type must come first",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.network.link = br0",
        "must come first",
    ),
    (
        "lxc.network.type = veth\nlxc.network =",
        "lxc.network.link = br0",
        "must come first",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network = x",
        "only an empty value",
    ),
    ("", "lxc.net = all", "only an empty value"),
    (
        "",
        "lxc.network.type = vlan",
        "unknown network type \"vlan\"",
    ),
    ("", "lxc.net.0.type = Veth", "\"Veth\""),
    (
        "lxc.network.type = veth",
        "lxc.network.flags = down",
        "\"down\"",
    ),
    (
        "\n\n# c\n\nlxc.network.type = veth",
        "lxc.network.hwaddr = 4a:49:zz:49:79:bd",
        "\"4a:49:zz",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.hwaddr = 4a:49:43:49:79",
        "\"4a:49:43:49:79\"",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network.ipv4 = 1.2.3.256/24",
        "\"1.2.3.256\"",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network.ipv4 = 1.2.3.4/33",
        "prefix \"33\"",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network.ipv4 = 1.2.3.4/24 bc",
        "\"1.2.3.4/24 bc\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.ipv4.address = fd00::1",
        "\"fd00::1\"",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network.ipv6 = 2003::g",
        "\"2003::g\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.ipv6.address = fd00::1/129",
        "prefix \"129\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.ipv4.gateway = 10.0.0",
        "\"10.0.0\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.ipv6.gateway = automatic",
        "\"automatic\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.mtu = abc",
        "invalid MTU \"abc\"",
    ),
    ("lxc.network.type = veth", "lxc.network.mtu = 67", "\"67\""),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.mtu = 65536",
        "\"65536\"",
    ),
    (
        "lxc.network.type = veth",
        "lxc.network.link = eth0/1",
        "\"eth0/1\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.name = averyverylongname",
        "\"averyverylongname\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.veth.pair = ..",
        "\"..\"",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.link = eth0:1",
        "\"eth0:1\"",
    ),
    ("lxc.net.0.type = veth", "lxc.net.0.name = a b", "\"a b\""),
    (
        "lxc.net.0.type = macvlan",
        "lxc.net.0.macvlan.mode = source",
        "\"source\"",
    ),
    ("", "lxc.signal.halt = SIGFOO", "invalid signal \"SIGFOO\""),
    ("", "lxc.signal.stop = 65", "\"65\""),
    ("", "lxc.signal.stop = 0", "\"0\""),
    ("", "lxc.mount.auto = proc proc:foo", "\"proc:foo\""),
    ("", "lxc.autodev = yes", "\"yes\""),
    (
        "",
        "lxc.rootfs.path = rootfs",
        "\"rootfs\" is not an absolute path",
    ),
    ("", "lxc.chroot = relative/dir", "\"relative/dir\""),
    ("", "lxc.rootfs.path = overlay:/a:/b", "\"overlay:/a:/b\""),
    ("", "lxc.mount.entry = proc /proc proc", "has 3 fields"),
    ("", "lxc.mount.entry = a b c d 0 0 x", "has 7 fields"),
    ("", "lxc.utsname = -bad", "\"-bad\""),
    ("", "lxc.uts.name = a_b", "\"a_b\""),
];

#[test]
fn bad_lines_fail_at_their_line() {
    for &(before, bad, needle) in BAD_LINES {
        let text = if before.is_empty() {
            format!("{bad}\nlxc.utsname = after\n")
        } else {
            format!("{before}\n{bad}\nlxc.utsname = after\n")
        };
        let line = if before.is_empty() {
            1
        } else {
            before.lines().count() + 1
        };
        let key = bad.split_once('=').unwrap().0.trim();
        let err = parse_str(&text, "bad.conf").expect_err(bad);
        let shown = err.to_string();
        assert_eq!(
            (err.source.as_str(), err.line),
            ("bad.conf", line),
            "{bad}: {shown}"
        );
        assert_eq!(err.key.as_deref(), Some(key), "{shown}");
        assert!(
            shown.starts_with(&format!("bad.conf:{line}: {key}: ")),
            "{shown}"
        );
        assert!(shown.contains(needle), "{shown}");
        assert!(!shown.contains('\n') && !shown.ends_with('.'), "{shown}");
    }
}

#[test]
fn syntax_errors_quote_the_line() {
    for (text, line, got) in [
        ("garbage", 1, "\"garbage\""),
        ("# c\n\n  = value\n", 3, "\"= value\""),
        ("lxc.utsname = a\nlxc.utsname a\n", 2, "\"lxc.utsname a\""),
    ] {
        let err = parse_str(text, "bad.conf").unwrap_err();
        assert_eq!((err.line, err.key.as_deref()), (line, None), "{text:?}");
        assert_eq!(
            err.to_string(),
            format!("bad.conf:{line}: expected KEY = VALUE, got {got}")
        );
    }
}

#[test]
fn untyped_interface_is_reported_where_first_mentioned() {
    let cases = [
        (
            "lxc.net.0.type = veth\n\nlxc.net.1.link = br0\nlxc.net.1.flags = up\n",
            3,
            1,
        ),
        (
            "lxc.net.4.flags = up\nlxc.net.2.link = br0\nlxc.net.4.type = veth\n",
            2,
            2,
        ),
        (
            "lxc.net.0.type = veth\nlxc.net.0.type =\nlxc.net.1.mtu = 1500\n",
            3,
            1,
        ),
    ];
    for (text, line, index) in cases {
        let err = parse_str(text, "bad.conf").unwrap_err();
        assert_eq!(err.line, line, "{text:?}: {err}");
        let key = text
            .lines()
            .nth(line - 1)
            .unwrap()
            .split_once('=')
            .unwrap()
            .0
            .trim();
        assert_eq!(
            err.to_string(),
            format!("bad.conf:{line}: {key}: lxc.net.{index} has no type")
        );
    }
}

#[test]
fn error_display_matches_documented_forms() {
    let text = "lxc.network.type = veth\n\n\n\n\n\nlxc.network.hwaddr = 4a:49:zz:49:79:bd\n";
    let err = parse_str(text, "/etc/lxc/a.conf").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/lxc/a.conf:7: lxc.network.hwaddr: invalid MAC address \"4a:49:zz:49:79:bd\""
    );
    let err = parse_str("lxc.foo = 1", "a.conf").unwrap_err();
    assert_eq!(err.to_string(), "a.conf:1: lxc.foo: unknown key");
    let err = parse_str("\ngarbage\n", "a.conf").unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.conf:2: expected KEY = VALUE, got \"garbage\""
    );
}

#[test]
fn set_overrides_and_appends_an_entry() {
    let mut config = parse_str(SPEC_EXAMPLE, "spec.conf").unwrap();
    let lines = config.entries.len();
    config.set("lxc.utsname=other", "-s option", 1).unwrap();
    config
        .set(" lxc.mount.auto = proc sys:rw ", "-s option", 2)
        .unwrap();
    assert_eq!(config.settings.utsname.as_deref(), Some("other"));
    assert_eq!(config.settings.mount_auto, ["proc", "sys:rw"]);
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
        .contains("lxc.mount.auto = proc sys:rw\n"));
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
    let cases: [(&str, Option<&str>, &str); 5] = [
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
    assert!(config.settings.mount_auto.is_empty());
    config.set("lxc.network.type=veth", "-s option", 3).unwrap();
    assert_eq!(config.settings.networks, [net(0, NetType::Veth)]);
}

#[test]
fn parse_file_reads_and_names_the_file() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "lxc-config-test-{}-parse-file.conf",
        std::process::id()
    ));
    std::fs::write(&path, "lxc.utsname = fromfile\nlxc.bogus = 1\n").unwrap();
    let result = parse_file(&path);
    std::fs::remove_file(&path).unwrap();
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:2: lxc.bogus: unknown key", path.display())
    );

    let missing = dir.join(format!(
        "lxc-config-test-{}-missing.conf",
        std::process::id()
    ));
    let err = parse_file(&missing).unwrap_err();
    assert_eq!((err.line, err.key.as_deref()), (0, None));
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}: ", missing.display())),
        "{shown}"
    );
    assert!(shown.contains("No such file"), "{shown}");
}

#[test]
fn parse_file_accepts_a_good_file() {
    let path = std::env::temp_dir().join(format!(
        "lxc-config-test-{}-good-file.conf",
        std::process::id()
    ));
    std::fs::write(&path, SPEC_EXAMPLE).unwrap();
    let result = parse_file(&path);
    std::fs::remove_file(&path).unwrap();
    let config = result.unwrap();
    assert_eq!(config.settings.utsname.as_deref(), Some("virtnode"));
    assert_eq!(config.entries[0].source, path.display().to_string());
}

#[test]
fn json_shape_uses_config_words() {
    let config = parse_str(MODERN, "modern.conf").unwrap();
    let json = serde_json::to_value(&config.settings).unwrap();
    assert_eq!(json["networks"][0]["kind"], "veth");
    assert_eq!(json["networks"][0]["ipv4_gateway"], "auto");
    assert_eq!(json["networks"][0]["ipv6_gateway"]["addr"], "fd00::1");
    assert_eq!(json["networks"][1]["macvlan_mode"], "bridge");
    assert_eq!(json["networks"][0]["ipv4"][0]["prefix"], 24);
}

#[test]
fn display_of_value_types() {
    assert_eq!(NetType::default(), NetType::Empty);
    let words: Vec<String> = NetType::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(words, ["empty", "veth", "macvlan", "phys"]);
    let modes: Vec<String> = MacvlanMode::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(modes, ["private", "vepa", "bridge", "passthru"]);
    assert_eq!(v4("10.0.0.1", 8).to_string(), "10.0.0.1/8");
    assert_eq!(Gateway::<Ipv4Addr>::Auto.to_string(), "auto");
    assert_eq!(
        Gateway::Addr(Ipv4Addr::new(10, 0, 0, 1)).to_string(),
        "10.0.0.1"
    );
}
