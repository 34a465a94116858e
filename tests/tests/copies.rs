//! Issue 14: lxc-copy (full, overlay snapshot clone, ephemeral), lxc-snapshot, lxc-destroy -s,
//! lxc-autostart and lxc-checkconfig on real containers made by the busybox template.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::tpl::*;
use lxc_tests::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn config_of(ct: &Ct, name: &str) -> String {
    std::fs::read_to_string(ct.lxcpath.join(name).join("config")).unwrap()
}

fn ok(out: &std::process::Output) {
    assert_eq!(code(out), 0, "{}", stderr(out));
}

#[test]
fn full_copy_gets_its_own_rootfs_name_paths_and_macs() {
    let ct = Ct::new("cpfull");
    busybox_container(&ct);
    let config = ct.lxcpath.join(&ct.name).join("config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    // An interface with a MAC (in the container's own netns) and a path into its directory.
    text = text.replace(
        "lxc.net.0.type = empty\n",
        "lxc.net.0.type = empty\nlxc.net.0.hwaddr = 00:16:3e:00:00:01\n",
    );
    text.push_str(&format!(
        "lxc.hook.pre-start = {}/hook.sh\n",
        ct.lxcpath.join(&ct.name).display()
    ));
    std::fs::write(&config, text).unwrap();
    std::fs::write(ct.lxcpath.join(&ct.name).join("hook.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        ct.lxcpath.join(&ct.name).join("hook.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let copy = Ct::beside("cpfull2", &ct);
    ok(&ct.lxc("copy", &["-N", &copy.name]));
    let c = config_of(&ct, &copy.name);
    let new_dir = ct.lxcpath.join(&copy.name);
    assert!(
        c.contains(&format!(
            "lxc.rootfs.path = dir:{}/rootfs",
            new_dir.display()
        )),
        "{c}"
    );
    assert!(c.contains(&format!("lxc.uts.name = {}", copy.name)), "{c}");
    assert!(
        c.contains(&format!(
            "lxc.hook.pre-start = {}/hook.sh",
            new_dir.display()
        )),
        "{c}"
    );
    assert!(
        new_dir.join("hook.sh").is_file(),
        "the container's other files are copied"
    );
    let mac = c
        .lines()
        .find(|l| l.starts_with("lxc.net.0.hwaddr"))
        .unwrap();
    assert!(
        mac.starts_with("lxc.net.0.hwaddr = 00:16:3e:") && !mac.ends_with("00:00:01"),
        "{mac}"
    );
    // A real copy: the busybox binary and its setuid passwd link are there, owned as before.
    let meta = std::fs::symlink_metadata(new_dir.join("rootfs/bin/busybox")).unwrap();
    assert!(meta.is_file() && meta.len() > 100_000);
    // -K and -M keep name and MAC.
    let kept = Ct::beside("cpfull3", &ct);
    ok(&ct.lxc("copy", &["-N", &kept.name, "-K", "-M"]));
    let k = config_of(&ct, &kept.name);
    assert!(
        k.contains(&format!("lxc.uts.name = \"{}\"", ct.name)),
        "{k}"
    );
    assert!(k.contains("lxc.net.0.hwaddr = 00:16:3e:00:00:01"), "{k}");
    // The copy runs on its own.
    ok(&copy.lxc("start", &[]));
    assert_eq!(copy.state(), "RUNNING");
    assert_eq!(ct.state(), "STOPPED");
    // A running container is not copied; an existing name is refused.
    let out = copy.lxc("copy", &["-N", "other"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("is running; stop it first"),
        "{}",
        stderr(&out)
    );
    let out = ct.lxc("copy", &["-N", &kept.name]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    ok(&copy.lxc("stop", &["-t", "20"]));
    copy.assert_clean();
}

#[test]
fn overlay_clone_and_ephemeral_container_leave_the_original_untouched() {
    let ct = Ct::new("cpovl");
    busybox_container(&ct);
    let orig = ct.lxcpath.join(&ct.name);
    // lxc.hook.clone runs with the clone's rootfs mounted (LXC's variables): what it writes
    // lands in the clone's delta.
    let conf = orig.join("config");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(
        "lxc.hook.clone = sh -c 'echo \"$LXC_SRC_NAME $LXC_NAME $*\" > $LXC_ROOTFS_MOUNT/etc/cloned'\n",
    );
    std::fs::write(&conf, text).unwrap();
    let clone = Ct::beside("cpovl2", &ct);
    ok(&ct.lxc("copy", &["-N", &clone.name, "-s"]));
    assert_eq!(
        std::fs::read_to_string(ct.lxcpath.join(&clone.name).join("delta0/etc/cloned")).unwrap(),
        format!("{} {} lxc clone\n", ct.name, clone.name)
    );
    assert!(!orig.join("rootfs/etc/cloned").exists());
    let c = config_of(&ct, &clone.name);
    let clone_dir = ct.lxcpath.join(&clone.name);
    assert!(
        c.contains(&format!(
            "lxc.rootfs.path = overlay:{}/rootfs:{}/delta0",
            orig.display(),
            clone_dir.display()
        )),
        "{c}"
    );
    assert_eq!(
        std::fs::read_to_string(orig.join("lxc_snapshots")).unwrap(),
        format!("{}\n{}\n", ct.lxcpath.display(), clone.name)
    );
    // The clone writes into its delta, never into the original's rootfs.
    let conf = clone_dir.join("config");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("lxc.hook.start = sh -c \"touch /written-by-clone\"\n");
    std::fs::write(&conf, text).unwrap();
    ok(&clone.lxc("start", &[]));
    ok(&clone.lxc("stop", &["-t", "20"]));
    assert!(clone_dir.join("delta0/written-by-clone").exists());
    assert!(!orig.join("rootfs/written-by-clone").exists());
    clone.assert_clean();
    assert_eq!(
        crate_host_overlays(&orig),
        0,
        "an overlay stayed mounted on the host"
    );
    // The original with a clone is not destroyed unless asked.
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!(
            "has overlay clones ({}); destroy them first, or use -s",
            clone.name
        )),
        "{}",
        stderr(&out)
    );
    // Ephemeral: started at once, gone when it stops, and out of the original's list.
    let eph = Ct::beside("cpeph", &ct);
    ok(&ct.lxc("copy", &["-N", &eph.name, "-e"]));
    assert_eq!(eph.state(), "RUNNING");
    assert!(config_of(&ct, &eph.name).contains("lxc.ephemeral = 1"));
    assert!(std::fs::read_to_string(orig.join("lxc_snapshots"))
        .unwrap()
        .contains(&eph.name));
    ok(&eph.lxc("stop", &["-t", "20"]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while ct.lxcpath.join(&eph.name).exists() {
        assert!(
            Instant::now() < deadline,
            "the ephemeral container was not removed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eph.assert_clean();
    assert!(!std::fs::read_to_string(orig.join("lxc_snapshots"))
        .unwrap()
        .contains(&eph.name));
    // -e without -N names the copy itself and prints the name.
    let out = ct.lxc("copy", &["-e"]);
    ok(&out);
    let generated = stdout(&out).trim().to_string();
    assert!(
        generated.starts_with(&format!("{}-", ct.name)),
        "{generated}"
    );
    let gen_ct = Ct::beside("unused", &ct);
    let stop = run(
        gen_ct
            .bare("stop")
            .args(["-n", &generated, "-P"])
            .arg(&ct.lxcpath),
        Duration::from_secs(30),
    );
    ok(&stop);
    // Copies of the clone: a full copy has what the clone sees; an overlay clone of it shares
    // the original's rootfs with a copy of the delta, and depends on the original.
    let full = Ct::beside("cpovl3", &ct);
    ok(&clone.lxc("copy", &["-N", &full.name]));
    let full_dir = ct.lxcpath.join(&full.name);
    assert!(full_dir.join("rootfs/written-by-clone").is_file());
    assert!(full_dir.join("rootfs/bin/busybox").is_file());
    assert!(config_of(&ct, &full.name).contains(&format!(
        "lxc.rootfs.path = dir:{}/rootfs",
        full_dir.display()
    )));
    let second = Ct::beside("cpovl4", &ct);
    ok(&clone.lxc("copy", &["-s", "-N", &second.name]));
    let second_dir = ct.lxcpath.join(&second.name);
    assert!(second_dir.join("delta0/written-by-clone").is_file());
    assert!(config_of(&ct, &second.name).contains(&format!(
        "lxc.rootfs.path = overlay:{}/rootfs:{}/delta0",
        orig.display(),
        second_dir.display()
    )));
    assert!(std::fs::read_to_string(orig.join("lxc_snapshots"))
        .unwrap()
        .contains(&second.name));
    ok(&second.lxc("start", &[]));
    ok(&second.lxc("stop", &["-t", "20"]));
    // A snapshot of the clone is a full copy; restored over the clone, it is a clone no more.
    ok(&clone.lxc("snapshot", &[]));
    assert!(clone_dir
        .join("snaps/snap0/rootfs/written-by-clone")
        .is_file());
    ok(&clone.lxc("snapshot", &["-r", "snap0"]));
    assert!(clone_dir.join("rootfs/written-by-clone").is_file());
    assert!(!clone_dir.join("delta0").exists() && !clone_dir.join("lxc_rdepends").exists());
    assert!(!std::fs::read_to_string(orig.join("lxc_snapshots"))
        .unwrap()
        .contains(&format!("{}\n", clone.name)));
    ok(&clone.lxc("start", &[]));
    ok(&clone.lxc("stop", &["-t", "20"]));
    // destroy -s takes the clones with it (not the restored one, which is on its own now).
    ok(&ct.lxc("destroy", &["-s"]));
    assert!(!orig.exists() && !second_dir.exists());
    assert!(clone_dir.exists());
}

#[test]
fn ephemeral_is_refused_where_the_directory_is_not_an_overlay_clone() {
    // lxc.ephemeral in a config given with -f must never make the shim remove the directory
    // that file is in.
    let ct = Ct::new("ephno");
    let dir = ct.lxcpath.join("somewhere");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("config");
    std::fs::write(&conf, "lxc.ephemeral = 1\n").unwrap();
    let out = ct.execute(&["-f", conf.to_str().unwrap(), "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lxc.ephemeral = 1: not supported yet except for an overlay clone"),
        "{}",
        stderr(&out)
    );
    assert!(conf.is_file());
    ct.assert_clean();
}

/// Overlay mounts on the host whose options name `dir`.
fn crate_host_overlays(dir: &Path) -> usize {
    let d = dir.display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.contains(" overlay ") && l.contains(&d))
        .count()
}

#[test]
fn snapshots_are_made_listed_restored_and_destroyed() {
    let ct = Ct::new("snap");
    busybox_container(&ct);
    let dir = ct.lxcpath.join(&ct.name);
    ok(&ct.lxc("snapshot", &[]));
    let comment = ct.lxcpath.join("comment.txt");
    std::fs::write(&comment, "before the upgrade\n").unwrap();
    std::fs::write(dir.join("rootfs/etc/motd"), "second\n").unwrap();
    ok(&ct.lxc("snapshot", &["-c", comment.to_str().unwrap()]));
    assert!(dir.join("snaps/snap0/rootfs/bin/busybox").is_file());
    assert!(dir.join("snaps/snap1/config").is_file());
    let list = stdout(&ct.lxc("snapshot", &["-L", "-C"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    let snaps = dir.join("snaps");
    assert!(
        lines[0].starts_with(&format!("snap0 ({}) 20", snaps.display())),
        "{list}"
    );
    assert!(
        lines[1].starts_with(&format!("snap1 ({}) 20", snaps.display())),
        "{list}"
    );
    assert_eq!(lines[2], "before the upgrade");
    // Restore snap0 over the container: the file written after it is gone.
    std::fs::write(dir.join("rootfs/after"), "x").unwrap();
    ok(&ct.lxc("snapshot", &["-r", "snap0"]));
    assert!(!dir.join("rootfs/after").exists());
    assert!(!dir.join("rootfs/etc/motd").exists());
    assert!(config_of(&ct, &ct.name)
        .contains(&format!("lxc.rootfs.path = dir:{}/rootfs", dir.display())));
    // Restore snap1 as a new container, which starts.
    let other = Ct::beside("snap2", &ct);
    ok(&ct.lxc("snapshot", &["-r", "snap1", "-N", &other.name]));
    assert_eq!(
        std::fs::read_to_string(ct.lxcpath.join(&other.name).join("rootfs/etc/motd")).unwrap(),
        "second\n"
    );
    ok(&other.lxc("start", &[]));
    ok(&other.lxc("stop", &["-t", "20"]));
    // Destroy is refused while snapshots exist; -d removes one; -s removes all with it.
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("has snapshots (snap0, snap1)"),
        "{}",
        stderr(&out)
    );
    ok(&ct.lxc("snapshot", &["-d", "snap0"]));
    assert!(!snaps.join("snap0").exists() && snaps.join("snap1").exists());
    let out = ct.lxc("snapshot", &["-d", "snap7"]);
    assert_eq!(code(&out), 1);
    ok(&ct.lxc("destroy", &["-s"]));
    assert!(!dir.exists());
}

#[test]
fn autostart_starts_and_stops_by_group_and_order() {
    let first = Ct::new("auto1");
    let cts = [
        // (container, lxc.start.order, lxc.group, lxc.start.auto)
        (&first, 2, "", true),
        (&Ct::beside("auto2", &first), 1, "", true),
        (&Ct::beside("auto3", &first), 0, "web", true),
        (&Ct::beside("auto4", &first), 0, "", false),
    ];
    for (ct, order, group, auto) in &cts {
        busybox_container(ct);
        let conf = ct.lxcpath.join(&ct.name).join("config");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "lxc.start.auto = {}\nlxc.start.order = {order}\nlxc.start.delay = 0\n",
            u8::from(*auto)
        ));
        if !group.is_empty() {
            text.push_str(&format!("lxc.group = {group}\n"));
        }
        std::fs::write(&conf, text).unwrap();
    }
    let autostart = |args: &[&str]| {
        let mut c = first.bare("autostart");
        c.arg("-P").arg(&first.lxcpath).args(args);
        run(&mut c, Duration::from_secs(60))
    };
    let names = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    };
    let (c1, c2, c3, c4) = (
        &cts[0].0.name,
        &cts[1].0.name,
        &cts[2].0.name,
        &cts[3].0.name,
    );
    // The group of containers without one, lower order first; then every group.
    assert_eq!(names(&autostart(&["-L"])), [c2.clone(), c1.clone()]);
    assert_eq!(
        names(&autostart(&["-L", "-a"])),
        [c3.clone(), c2.clone(), c1.clone()]
    );
    assert_eq!(
        names(&autostart(&["-L", "-g", "web"])),
        std::slice::from_ref(c3)
    );
    assert_eq!(
        stdout(&autostart(&["-L", "-g", "web,"])),
        format!("{c3} 0\n{c2} 0\n{c1} 0\n")
    );
    // Start the web group and the ungrouped: all three run, the one without auto does not.
    ok(&autostart(&["-g", "web,"]));
    for (ct, _, _, auto) in &cts {
        assert_eq!(
            ct.state(),
            if *auto { "RUNNING" } else { "STOPPED" },
            "{}",
            ct.name
        );
    }
    // Running ones are listed for a stop, in reverse order; nothing to start.
    assert_eq!(
        names(&autostart(&["-L", "-s", "-a"])),
        [c1.clone(), c2.clone(), c3.clone()]
    );
    assert_eq!(stdout(&autostart(&["-L", "-a"])), "");
    ok(&autostart(&["-s", "-a", "-t", "20"]));
    for (ct, _, _, _) in &cts {
        assert_eq!(ct.state(), "STOPPED", "{}", ct.name);
        ct.assert_clean();
    }
    assert_eq!(code(&autostart(&["-k", "-s"])), 2);
    let _ = c4;
}

#[test]
fn checkconfig_says_yes_or_no_for_each_feature() {
    let ct = Ct::new("chk");
    let out = run(&mut ct.bare("checkconfig"), Duration::from_secs(30));
    ok(&out);
    let text = stdout(&out);
    for want in [
        "PID namespace",
        "Network namespace",
        "User namespace",
        "cgroup2 mounted",
        "cgroup v1 freezer",
        "veth",
        "macvlan",
        "bridge",
        "overlayfs",
        "seccomp filters",
        "CRIU",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(want))
            .unwrap_or_else(|| panic!("no {want} line in {text}"));
        let answer = line.get(34..).unwrap_or("").split_whitespace().next();
        assert!(matches!(answer, Some("yes" | "no")), "{line}");
    }
    // This machine (host.md): every namespace, veth and macvlan yes; vlan and ipvlan no.
    for (what, want) in [
        ("Mount namespace", "yes"),
        ("veth ", "yes"),
        ("vlan ", "no"),
        ("ipvlan", "no"),
    ] {
        let line = text.lines().find(|l| l.starts_with(what)).unwrap();
        assert_eq!(
            line.get(34..).unwrap().split_whitespace().next(),
            Some(want),
            "{line}"
        );
    }
}
