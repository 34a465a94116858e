//! Configs that fail: at their line, naming the key, with a short message.

use super::*;

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
        "lxc.network.type = vxlan",
        "unknown network type \"vxlan\"",
    ),
    (
        "",
        "lxc.net.0.type = vlan",
        "network type \"vlan\": not supported yet",
    ),
    (
        "lxc.net.0.type = none",
        "lxc.net.1.type = veth",
        "lxc.net.0 is none (the host's network), which must be the only interface",
    ),
    (
        "lxc.net.0.type = veth",
        "lxc.net.1.type = none",
        "type none (the host's network) must be the only interface, but lxc.net.0 is veth",
    ),
    ("", "lxc.cgroup = x", "only an empty value"),
    ("", "lxc.cgroup.memory = 1", "unknown key"),
    ("", "lxc.cgroup2.memory/../x = 1", "unknown key"),
    ("", "lxc.sysctl.net..x = 1", "unknown key"),
    (
        "",
        "lxc.prlimit.nofiles = 1",
        "unknown key (did you mean lxc.prlimit.nofile?)",
    ),
    (
        "",
        "lxc.prlimit.nofile = 2:1",
        "soft limit is above the hard one",
    ),
    (
        "",
        "lxc.hook.prestart = /x",
        "unknown key (did you mean lxc.hook.pre-start?)",
    ),
    (
        "",
        "lxc.idmap = u 0 100000",
        "invalid id map \"u 0 100000\"",
    ),
    ("", "lxc.id_map = x 0 100000 1", "u or g"),
    ("", "lxc.tty.max = -1", "invalid number \"-1\""),
    ("", "lxc.start.delay = soon", "\"soon\""),
    ("", "lxc.log.level = LOUD", "invalid log level \"LOUD\""),
    ("", "lxc.arch = vax", "unknown architecture \"vax\""),
    (
        "",
        "lxc.cap.drop = sys_admin CAP_NET_RAWR",
        "\"CAP_NET_RAWR\"",
    ),
    ("", "lxc.environment = =x", "\"=x\""),
    ("", "lxc.init.cwd = home", "not an absolute path"),
    ("", "lxc.console.buffer.size = 1TB", "invalid size \"1TB\""),
    (
        "",
        "lxc.namespace.clone = net mount",
        "unknown namespace \"mount\"",
    ),
    ("", "lxc.namespace.share.disk = other", "unknown key"),
    ("", "lxc.ephemeral = 2", "expected 0 or 1"),
    (
        "lxc.net.0.type = veth",
        "lxc.net.0.vlan.id = 5000",
        "invalid VLAN id \"5000\"",
    ),
    ("", "lxc.mount.auto = cgroup-full:rw", "not supported yet"),
    (
        "",
        "lxc.utsnme = box",
        "unknown key (did you mean lxc.utsname?)",
    ),
    (
        "",
        "lxc.net.0.typ = veth",
        "unknown key (did you mean lxc.net.0.type?)",
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
    // An overlay needs both directories (overlay:/LOWER:/UPPER is an overlay clone).
    (
        "",
        "lxc.rootfs.path = overlay:/a",
        "overlay rootfs \"overlay:/a\" is not overlay:/LOWER:/UPPER",
    ),
    (
        "",
        "lxc.rootfs.path = overlay:a:/b",
        "is not overlay:/LOWER:/UPPER",
    ),
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
fn unknown_keys_get_a_suggestion_only_when_close() {
    let cases = [
        ("lxc.utsnme", Some("lxc.utsname")),
        ("lxc.uts.nmae", Some("lxc.uts.name")),
        ("lxc.rootfs.pth", Some("lxc.rootfs.path")),
        ("lxc.mount.entyr", Some("lxc.mount.entry")),
        ("lxc.network.lnk", Some("lxc.network.link")),
        ("lxc.net.3.ipv4.adress", Some("lxc.net.3.ipv4.address")),
        ("lxc.cgroup.dirr", Some("lxc.cgroup.dir")),
        ("lxc.foo", None),
        ("lxc.bogus", None),
        ("xyz", None),
    ];
    for (key, want) in cases {
        let err = parse_str(&format!("{key} = 1"), "a.conf").unwrap_err();
        let message = match want {
            Some(known) => format!("unknown key (did you mean {known}?)"),
            None => "unknown key".to_owned(),
        };
        assert_eq!(err.message, message, "{key}");
    }
}

#[test]
fn every_message_quotes_a_short_prefix() {
    let huge = "x".repeat(10 << 20);
    for line in [
        format!("lxc.uts.name = {huge}"),
        format!("lxc.network.type = veth\nlxc.network.hwaddr = {huge}"),
        format!("lxc.mount.entry = {huge}"),
        format!("lxc.mount.auto = {huge}"),
        format!("lxc.idmap = u 0 0 {huge}"),
        format!("lxc.signal.halt = {huge}"),
        format!("lxc.net = {huge}"),
        format!("lxc.{huge} = 1"),
        format!("lxc.net.{huge}.type = veth"),
        huge.clone(),
    ] {
        let err = parse_str(&line, "big.conf").unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 600, "{}", &text[..600.min(text.len())]);
        assert!(text.contains("x\"...") || text.contains("x..."), "{text}");
    }
    let mut config = Config::default();
    let err = config
        .set(&format!("lxc.uts.name={huge}"), "-s option", 1)
        .unwrap_err();
    assert!(err.to_string().len() < 300);
}

#[test]
fn control_characters_in_values_are_refused() {
    let mut config = Config::default();
    let err = config
        .set("lxc.init.cmd=/bin/sh\nlxc.uts.name = x", "-s option", 1)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "-s option:1: lxc.init.cmd: control character in the value"
    );
    let err = parse_str("lxc.uts.name = a\u{1b}[2Jb", "a.conf").unwrap_err();
    assert!(err.to_string().ends_with("control character in the value"));
    assert!(
        parse_str("lxc.hook.start = /bin/x\ta", "a.conf").is_ok(),
        "tabs are fine"
    );
}
