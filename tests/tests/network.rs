//! Container networking: veth on a bridge, macvlan, phys, empty, addresses, routes, teardown.
//! Every test makes its own network namespace (`TestNet`) that stands in for the host's
//! network: the bridges, veth ends and "physical" interfaces live there, the containers'
//! host-side links too, and it is deleted with everything in it. The real host's interfaces
//! are never touched; addresses come from 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::time::{Duration, Instant};

/// Waits until the namespace's links are `want` (a veth end leaves with its namespace, which
/// the kernel tears down asynchronously).
fn wait_links(net: &TestNet, want: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = net.links();
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "links {now:?}, expected {want:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_containers_on_a_bridge_ping_each_other_over_v4_and_v6() {
    let net = TestNet::new("bridge");
    net.bridge("br0", &["192.0.2.1/24", "2001:db8::1/64"]);
    let b = Ct::in_netns("pingb", &net);
    let a = Ct::in_netns("pinga", &net);
    b.start_detached_with(
        &[
            "-s",
            "lxc.net.0.type=veth",
            "-s",
            "lxc.net.0.link=br0",
            "-s",
            "lxc.net.0.flags=up",
            "-s",
            "lxc.net.0.ipv4.address=192.0.2.3/24",
            "-s",
            "lxc.net.0.ipv6.address=2001:db8::3/64",
            "-s",
            "lxc.net.0.veth.pair=vhb",
        ],
        "sleep 60",
    );
    let out = a.execute(&[
        "-s", "lxc.net.0.type=veth", "-s", "lxc.net.0.link=br0", "-s", "lxc.net.0.flags=up",
        "-s", "lxc.net.0.name=net0", "-s", "lxc.net.0.hwaddr=4a:49:43:49:79:bd", "-s", "lxc.net.0.mtu=1400",
        "-s", "lxc.net.0.ipv4.address=192.0.2.2/24", "-s", "lxc.net.0.ipv6.address=2001:db8::2/64",
        "-s", "lxc.net.0.ipv4.gateway=auto", "-s", "lxc.net.0.ipv6.gateway=2001:db8::1",
        "--", "sh", "-c",
        "ip -o link show net0; ip route show default; ip -6 route show default; \
         busybox ping -c 1 -W 3 192.0.2.3 >/dev/null && echo v4-ok; busybox ping -c 1 -W 3 2001:db8::3 >/dev/null && echo v6-ok",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("net0") && text.contains("mtu 1400") && text.contains("4a:49:43:49:79:bd"),
        "{text}"
    );
    assert!(text.contains("default via 192.0.2.1 dev net0"), "{text}");
    assert!(text.contains("default via 2001:db8::1 dev net0"), "{text}");
    assert!(text.contains("v4-ok") && text.contains("v6-ok"), "{text}");
    // b's host end carries its veth.pair name and sits on the bridge; a's has gone.
    let links = net.links();
    assert!(links.contains(&"vhb".to_string()), "{links:?}");
    let master = stdout(&net.output(&["-o", "link", "show", "vhb"]));
    assert!(master.contains("master br0"), "{master}");
    // lxc-info and lxc-ls show the addresses.
    let info = stdout(&b.lxc("info", &[]));
    assert!(
        info.contains("IP:             192.0.2.3") && info.contains("IP:             2001:db8::3"),
        "{info}"
    );
    let ls = stdout(&run(
        std::process::Command::new("nsenter")
            .env(lxc_tests::SYSCONF_ENV, &b.sysconf)
            .arg(format!("--net=/var/run/netns/{}", net.name))
            .arg(bin("lxc-ls"))
            .args(["-f", "-P"])
            .arg(&b.lxcpath),
        Duration::from_secs(10),
    ));
    let row = ls.lines().find(|l| l.starts_with(&b.name)).unwrap();
    assert!(
        row.contains("192.0.2.3") && row.contains("2001:db8::3"),
        "{ls}"
    );
    assert_eq!(code(&b.lxc("stop", &["-k"])), 0);
    wait_links(&net, &["br0", "lo"]);
    a.assert_clean();
    b.assert_clean();
}

#[test]
fn macvlan_on_a_veth_parent_and_two_interfaces() {
    let net = TestNet::new("macvlan");
    net.veth("up0", "up1");
    net.bridge("br0", &["198.51.100.1/24"]);
    let ct = Ct::in_netns("macvlan", &net);
    let out = ct.execute(&[
        "-s", "lxc.network.type=macvlan", "-s", "lxc.network.link=up0", "-s", "lxc.network.flags=up",
        "-s", "lxc.network.macvlan.mode=bridge", "-s", "lxc.network.ipv4=192.0.2.7/24",
        "-s", "lxc.network.type=veth", "-s", "lxc.network.link=br0", "-s", "lxc.network.flags=up",
        "-s", "lxc.network.ipv4=198.51.100.7/24",
        "--", "sh", "-c", "ip -d -o link show eth0; ip -o -4 addr show eth0; ip -o -4 addr show eth1; busybox ping -c1 -W3 198.51.100.1 >/dev/null && echo gw-ok",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("macvlan mode bridge"), "{text}");
    assert!(
        text.contains("192.0.2.7/24") && text.contains("198.51.100.7/24") && text.contains("gw-ok"),
        "{text}"
    );
    wait_links(&net, &["br0", "lo", "up0", "up1"]);
    ct.assert_clean();
}

#[test]
fn phys_goes_in_and_comes_back_also_after_the_shim_is_killed() {
    let net = TestNet::new("phys");
    net.veth("ph0", "ph1");
    let ct = Ct::in_netns("phys", &net);
    let settings = [
        "-s",
        "lxc.net.0.type=phys",
        "-s",
        "lxc.net.0.link=ph0",
        "-s",
        "lxc.net.0.name=eth5",
        "-s",
        "lxc.net.0.flags=up",
        "-s",
        "lxc.net.0.ipv4.address=198.51.100.5/24",
    ];
    let mut args = settings.to_vec();
    args.extend(["--", "sh", "-c", "ip -o -4 addr show eth5"]);
    let out = ct.execute(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("198.51.100.5/24"), "{}", stdout(&out));
    assert_eq!(
        net.links(),
        ["lo", "ph0", "ph1"],
        "ph0 is back under its name"
    );
    assert!(
        stdout(&net.output(&["-o", "link", "show", "ph0"])).contains(",UP"),
        "and up again"
    );

    // The shim killed with SIGKILL: the next look at the container gives ph0 back.
    ct.start_detached_with(&settings, "sleep 60");
    assert_eq!(net.links(), ["lo", "ph1"]);
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap() as i32;
    kill_if_ours(shim, &ct.run_dir());
    let deadline = Instant::now() + Duration::from_secs(10);
    while ct.state() != "" {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(net.links(), ["lo", "ph0", "ph1"]);
    let netns_mount = format!("/lxc/{}/netns", ct.name);
    assert!(
        !std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .contains(&netns_mount),
        "netns bind mount left"
    );
    ct.assert_clean();
}

#[test]
fn empty_has_only_lo() {
    let net = TestNet::new("empty");
    let ct = Ct::in_netns("empty", &net);
    for kv in ["lxc.network.type=empty", "lxc.net.0.type=empty"] {
        let out = ct.execute(&[
            "-s",
            kv,
            "--",
            "sh",
            "-c",
            "ip -o link show | wc -l; ip -o link show lo; readlink /proc/self/ns/net",
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0].trim(), "1", "{text}");
        assert!(lines[1].contains("UP"), "lo is up: {text}");
        let host = std::fs::read_link("/proc/self/ns/net").unwrap();
        assert_ne!(lines[2], host.to_str().unwrap());
    }
    ct.assert_clean();
}

#[test]
fn bad_settings_are_refused_with_nothing_left_behind() {
    let net = TestNet::new("badnet");
    net.veth("v0", "v1");
    net.bridge("br0", &["192.0.2.1/24"]);
    let ct = Ct::in_netns("badnet", &net);
    let before = net.links();
    let cases: &[(&[&str], &str)] = &[
        (
            &["lxc.net.0.type=phys", "lxc.net.0.link=nosuch0"],
            "eth0: link nosuch0: no such interface",
        ),
        (
            &["lxc.net.0.type=macvlan", "lxc.net.0.link=nosuch0"],
            "eth0: link nosuch0: no such interface",
        ),
        (
            &["lxc.net.0.type=veth", "lxc.net.0.link=v0"],
            "eth0: link v0 is not a bridge",
        ),
        (
            &[
                "lxc.net.0.type=veth",
                "lxc.net.0.link=br0",
                "lxc.net.0.veth.pair=v1",
            ],
            "EEXIST",
        ),
        (
            &[
                "lxc.net.0.type=veth",
                "lxc.net.0.link=br0",
                "lxc.net.0.flags=up",
                "lxc.net.0.ipv4.address=192.0.2.9/24",
                "lxc.net.0.ipv4.address=192.0.2.9/24",
            ],
            "add address 192.0.2.9/24",
        ),
        (
            &[
                "lxc.net.0.type=veth",
                "lxc.net.0.name=x0",
                "lxc.net.1.type=veth",
                "lxc.net.1.name=x0",
            ],
            "x0: two interfaces with this name",
        ),
        (
            &["lxc.net.0.type=veth", "lxc.net.0.ipv4.gateway=auto"],
            "flags = up",
        ),
        (
            &[
                "lxc.net.0.type=veth",
                "lxc.net.0.flags=up",
                "lxc.net.0.ipv4.gateway=auto",
            ],
            "eth0: ipv4.gateway = auto needs a bridge",
        ),
        (
            &[
                "lxc.net.0.type=veth",
                "lxc.net.0.link=br0",
                "lxc.net.0.flags=up",
                "lxc.net.0.ipv6.gateway=auto",
            ],
            "bridge br0 has no global IPv6 address",
        ),
        (&["lxc.net.0.type=phys"], "needs lxc.net.N.link"),
    ];
    for (settings, want) in cases {
        let mut args = Vec::new();
        for s in settings.iter() {
            args.extend(["-s", s]);
        }
        args.extend(["--", "true"]);
        let out = ct.execute(&args);
        assert_eq!(code(&out), 125, "{settings:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(
            stderr(&out).contains(want),
            "{settings:?}: {}",
            stderr(&out)
        );
        wait_links(&net, &before.iter().map(String::as_str).collect::<Vec<_>>());
        ct.assert_clean();
    }
    let bad_values = [
        "lxc.net.0.hwaddr=zz:00:00:00:00:00",
        "lxc.network.ipv4=1.2.3.4",
        "lxc.net.0.type=vlan",
    ];
    for kv in bad_values {
        let out = ct.execute(&["-s", "lxc.net.0.type=veth", "-s", kv, "--", "true"]);
        assert_eq!(code(&out), 125, "{kv}: {}", stderr(&out));
    }
    assert_eq!(net.links(), before);
}

#[test]
fn the_spec_quick_start_config_on_a_stand_in_for_eth0() {
    let net = TestNet::new("quick");
    net.veth("eth0", "peer0");
    let ct = Ct::in_netns("quick", &net);
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/lxc-macvlan.conf");
    let text = std::fs::read_to_string(example).unwrap();
    // Inside the test's namespace "eth0" is the test's own veth end, not the host's.
    let conf = ct.lxcpath.join("lxc-macvlan.conf");
    std::fs::write(&conf, &text).unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.execute(&[
        "--",
        "sh",
        "-c",
        "hostname; ip -o link show eth0; ip -o addr show eth0",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let t = stdout(&out);
    assert!(
        t.starts_with("virtnode\n")
            && t.contains("4a:49:43:49:79:bd")
            && t.contains("192.0.2.5/24"),
        "{t}"
    );
    assert!(t.contains("2001:db8:1:0:214:1234:fe0b:3596/64"), "{t}");
    wait_links(&net, &["eth0", "lo", "peer0"]);
    ct.assert_clean();
}

#[test]
fn every_example_config_is_valid_and_the_complex_one_runs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let net = TestNet::new("examples");
    net.bridge("br0", &["192.0.2.1/24"]);
    net.veth("eth1", "eth1peer");
    let ct = Ct::in_netns("examples", &net);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for conf in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
    {
        // The installed configs name /etc/lxc; here they are read from the repository.
        let text = std::fs::read_to_string(conf)
            .unwrap()
            .replace("/etc/lxc/", &format!("{}/", dir.display()));
        let copy = ct.lxcpath.join(conf.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        let out = ct.lxc("create", &["-f", copy.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}: {}", conf.display(), stderr(&out));
        assert_eq!(code(&ct.lxc("destroy", &[])), 0);
    }
    let complex = ct.lxcpath.join("lxc-complex.conf");
    let out = ct.execute(&[
        "-f",
        complex.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "hostname; ip -o -4 addr show eth0; ip -o -4 addr show eth1; ip route show default; \
                           grep -c . /mnt/hostname; touch /mnt/x 2>/dev/null || echo etc-ro",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let t = stdout(&out);
    assert!(t.starts_with("complex\n"), "{t}");
    assert!(
        t.contains("192.0.2.20/24") && t.contains("198.51.100.20/24"),
        "{t}"
    );
    assert!(
        t.contains("default via 192.0.2.1 dev eth0") && t.contains("etc-ro"),
        "{t}"
    );
    wait_links(&net, &["br0", "eth1", "eth1peer", "lo"]);
    ct.assert_clean();
}

#[test]
fn a_mount_failure_is_reported_as_such_with_a_network_too() {
    let net = TestNet::new("mountfail");
    net.bridge("br0", &["192.0.2.1/24"]);
    let ct = Ct::in_netns("mountfail", &net);
    for _ in 0..5 {
        let out = ct.execute(&[
            "-s",
            "lxc.net.0.type=veth",
            "-s",
            "lxc.net.0.link=br0",
            "-s",
            "lxc.net.0.flags=up",
            "-s",
            "lxc.mount.entry=none /mnt nosuchfs defaults 0 0",
            "--",
            "true",
        ]);
        assert_eq!(code(&out), 125, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("-s option:4: mount none on /mnt"),
            "{}",
            stderr(&out)
        );
        wait_links(&net, &["br0", "lo"]);
        ct.assert_clean();
    }
}

/// Issue 10: a system container that reboots gets its interfaces again (a veth on a bridge
/// and a physical one, which goes back to the host in between and at the end).
#[test]
fn a_rebooted_container_has_its_interfaces_again() {
    let net = TestNet::new("rebootnet");
    net.bridge("br0", &["192.0.2.1/24"]);
    net.veth("ph0", "ph1");
    let ct = Ct::in_netns("rebootnet", &net);
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    std::fs::write(
        root.join("etc/init.d/rcS"),
        "#!/bin/sh\n{ ip -o link | cut -d' ' -f2; ip -o -4 addr | cut -d' ' -f7; echo booted; } \
         >> /var/log/links.log\n",
    )
    .unwrap();
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "lxc.rootfs.path = {}\nlxc.signal.halt = SIGUSR1\n\
             lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.name = net0\n\
             lxc.net.0.flags = up\nlxc.net.0.veth.pair = vrb\n\
             lxc.net.0.ipv4.address = 192.0.2.7/24\n\
             lxc.net.1.type = phys\nlxc.net.1.link = ph0\nlxc.net.1.name = eth5\n\
             lxc.net.1.flags = up\n",
            root.display()
        ),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let log = root.join("var/log/links.log");
    let boots = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .split_inclusive("booted\n")
            .filter(|b| b.ends_with("booted\n"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while boots().is_empty() {
        assert!(Instant::now() < deadline, "never booted");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = ct.lxc("stop", &["-r"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let deadline = Instant::now() + Duration::from_secs(10);
    while boots().len() < 2 {
        assert!(Instant::now() < deadline, "never booted again");
        std::thread::sleep(Duration::from_millis(20));
    }
    for (i, boot) in boots().iter().enumerate() {
        for want in ["net0@", "eth5@", "192.0.2.7/24"] {
            assert!(boot.contains(want), "boot {i}: {want} missing in {boot}");
        }
    }
    assert_eq!(net.links(), ["br0", "lo", "ph1", "vrb"]);
    assert_eq!(code(&ct.lxc("stop", &[])), 0);
    wait_links(&net, &["br0", "lo", "ph0", "ph1"]);
    ct.assert_clean();
}
