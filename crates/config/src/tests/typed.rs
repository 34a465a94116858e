//! The typed settings consumers use: `mount_auto()`, the read-only rootfs, the network
//! namespace decision, and the JSON and Display forms of value types.

use super::*;

#[test]
fn mount_auto_defaults_to_proc_and_an_explicit_list_is_exact() {
    let s = parse_str("", "a.conf").unwrap().settings;
    assert_eq!(s.mount_auto(), MountAuto::DEFAULT);
    assert_eq!(MountAuto::DEFAULT.proc, Some(Access::Mixed));
    let s = parse_str("lxc.mount.auto = sys:rw cgroup", "a.conf")
        .unwrap()
        .settings;
    let want = MountAuto {
        proc: None,
        sys: Some(Access::Rw),
        cgroup: Some(Access::Ro),
    };
    assert_eq!(s.mount_auto(), want);
    let s = parse_str("lxc.mount.auto = sys\nlxc.mount.auto =", "a.conf")
        .unwrap()
        .settings;
    assert_eq!(
        s.mount_auto(),
        MountAuto::DEFAULT,
        "an empty value resets to the default"
    );
}

#[test]
fn rootfs_options_give_a_readonly_flag() {
    let cases = [
        ("ro", true, vec![]),
        ("rw", false, vec![]),
        ("ro,noatime", true, vec!["noatime"]),
        ("nodev, ro ,rw", false, vec!["nodev"]),
        ("", false, vec![]),
    ];
    for (value, readonly, rest) in cases {
        let text = format!("lxc.rootfs.options = ro,nosuid\nlxc.rootfs.options = {value}\n");
        let config = parse_str(&text, "a.conf").unwrap();
        assert_eq!(config.settings.rootfs_readonly, readonly, "{value}");
        assert_eq!(config.settings.rootfs_options, rest, "{value}");
    }
}

#[test]
fn network_none_shares_the_hosts_network() {
    let s = parse_str("", "a.conf").unwrap().settings;
    assert!(!s.network_namespace());
    for text in [
        "lxc.net.0.type = none\n",
        "lxc.network.type = none\n",
        "lxc.net.0.type = none\nlxc.net.1.type = none\nlxc.net.1.link = br0\n",
    ] {
        let s = parse_str(text, "a.conf").unwrap().settings;
        assert!(!s.network_namespace(), "{text}");
        assert!(s.interfaces().is_empty(), "{text}");
        assert_eq!(s.networks[0].kind, NetType::None);
    }
    let s = parse_str("lxc.net.0.type = empty\n", "a.conf")
        .unwrap()
        .settings;
    assert!(s.network_namespace());
    assert_eq!(s.interfaces(), [net(0, NetType::Empty)]);
    // A later line may change the type: only the end result counts.
    let text = "lxc.net.0.type = none\nlxc.net.1.type = veth\nlxc.net.0.type = empty\n";
    let s = parse_str(text, "a.conf").unwrap().settings;
    assert_eq!(s.interfaces().len(), 2);
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
    assert_eq!(words, ["empty", "veth", "macvlan", "phys", "none"]);
    let modes: Vec<String> = MacvlanMode::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(modes, ["private", "vepa", "bridge", "passthru"]);
    assert_eq!(v4("10.0.0.1", 8).to_string(), "10.0.0.1/8");
    assert_eq!(Gateway::<Ipv4Addr>::Auto.to_string(), "auto");
    assert_eq!(
        Gateway::Addr(Ipv4Addr::new(10, 0, 0, 1)).to_string(),
        "10.0.0.1"
    );
}

#[test]
fn the_built_in_default_drops_lxcs_common_capabilities() {
    let parsed = parse_str(&format!("lxc.cap.drop = {BUILTIN_CAP_DROP}\n"), "x").unwrap();
    assert_eq!(builtin_default().settings, parsed.settings);
}

#[test]
fn seccomp_notify_proxy_takes_lxcs_socket_forms() {
    let s = parse_str(
        "lxc.seccomp.notify.proxy = unix:/run/proxy.sock\nlxc.seccomp.notify.cookie = c 1",
        "a.conf",
    )
    .unwrap()
    .settings;
    assert_eq!(
        s.seccomp_notify_proxy.as_deref(),
        Some("unix:/run/proxy.sock")
    );
    assert_eq!(s.seccomp_notify_cookie.as_deref(), Some("c 1"));
    let s = parse_str("lxc.seccomp.notify.proxy = unix:@abstract", "a.conf")
        .unwrap()
        .settings;
    assert_eq!(s.seccomp_notify_proxy.as_deref(), Some("unix:@abstract"));
    let long = format!("unix:/{}", "x".repeat(107));
    for bad in [
        "/run/p",
        "unix:run/p",
        "unix:/",
        "unix:@",
        "tcp:1.2.3.4:5",
        &long,
    ] {
        let text = format!("lxc.seccomp.notify.proxy = {bad}\n");
        let e = parse_str(&text, "a.conf").unwrap_err().to_string();
        assert!(
            e.contains("a.conf:1") && e.contains("lxc.seccomp.notify.proxy"),
            "{bad}: {e}"
        );
    }
}
