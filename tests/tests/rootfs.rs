//! Root filesystems, mounts and system containers: lxc.rootfs.path / lxc.chroot, autodev,
//! lxc.mount.auto, fstab files and lxc.mount.entry, lxc-start with busybox init.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A container with its own busybox rootfs in its lxcpath.
fn with_rootfs(tag: &str) -> (Ct, String) {
    let ct = Ct::new(tag);
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    (ct, root.to_str().unwrap().to_string())
}

#[test]
fn rootfs_isolates_files_proc_and_dev_and_leaves_the_host_alone() {
    let before = host_mounts();
    let (ct, root) = with_rootfs("rootfs");
    std::fs::write(format!("{root}/inside-marker"), "in\n").unwrap();
    let host_marker = ct.lxcpath.join("host-marker");
    std::fs::write(&host_marker, "host\n").unwrap();
    let script = format!(
        "cat /inside-marker; [ -e {h} ] && echo host-visible; [ -e /etc/hostname ] && echo host-etc; \
         ls /proc | grep -c '^[0-9]'; ls /dev | tr '\\n' ' '; echo; ls /dev | grep -cE '^(vd|sd|nvme|loop)'; \
         grep -c . /proc/self/mountinfo",
        h = host_marker.display()
    );
    let out = ct.execute(&[
        "-s",
        &format!("lxc.rootfs.path = dir:{root}"),
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "in", "{text}");
    assert!(
        !text.contains("host-visible") && !text.contains("host-etc"),
        "host files seen: {text}"
    );
    let procs: usize = lines[1].parse().unwrap();
    assert!(procs <= 4, "/proc shows {procs} processes: {text}");
    for node in [
        "null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "fd", "stdin",
        "stdout", "stderr",
    ] {
        assert!(
            lines[2].split_whitespace().any(|n| n == node),
            "/dev lacks {node}: {}",
            lines[2]
        );
    }
    assert_eq!(lines[3], "0", "host disks in /dev: {}", lines[2]);
    assert_eq!(host_mounts(), before, "the host's mount table changed");
    ct.assert_clean();
}

#[test]
fn bad_rootfs_paths() {
    let (ct, root) = with_rootfs("badroot");
    let cases = [
        (
            format!("lxc.rootfs.path={root}/missing"),
            125,
            "No such file or directory",
        ),
        (
            format!("lxc.rootfs.path={root}/inside-file"),
            125,
            "not a directory",
        ),
        (
            "lxc.rootfs.path=relative/path".to_string(),
            125,
            "not an absolute path",
        ),
        // An overlay clone's rootfs whose lower directory is gone; a malformed overlay.
        (
            "lxc.rootfs.path=overlay:/nonexistent-lower:/b".to_string(),
            125,
            "rootfs /nonexistent-lower: No such file or directory",
        ),
        (
            "lxc.rootfs.path=overlay:/a".to_string(),
            125,
            "lxc.rootfs.path: overlay rootfs",
        ),
    ];
    std::fs::write(format!("{root}/inside-file"), "x").unwrap();
    let before = host_mounts();
    for (kv, want, msg) in cases {
        let out = ct.execute(&["-s", &kv, "--", "true"]);
        assert_eq!(code(&out), want, "{kv}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(msg), "{kv}: {}", stderr(&out));
    }
    // A rootfs without COMMAND.
    let out = ct.execute(&[
        "-s",
        &format!("lxc.chroot={root}"),
        "--",
        "/usr/bin/definitely-not-here",
    ]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
    assert_eq!(host_mounts(), before);
    ct.assert_clean();
}

#[test]
fn read_only_rootfs() {
    let (ct, root) = with_rootfs("roroot");
    let out = ct.execute(&[
        "-s", &format!("lxc.rootfs.path={root}"),
        "-s", "lxc.rootfs.options=ro",
        "--", "/bin/sh", "-c", "touch /x 2>/dev/null && echo writable; touch /tmp/y 2>/dev/null && echo tmp-writable; touch /dev/shm/z && echo shm-ok",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "shm-ok\n");
}

#[test]
fn fstab_and_entries() {
    let (ct, root) = with_rootfs("fstab");
    let data = ct.lxcpath.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("f"), "hello\n").unwrap();
    let dir = ct.lxcpath.join("conf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("fstab"),
        format!(
            "# binds, tmpfs, create=, optional\n\n{d} mnt/ro none bind,ro,create=dir 0 0\n\
             tmpfs /scratch tmpfs size=1m,mode=1777,create=dir 0 0\n\
             {d}/f etc/bound-file none bind,ro,create=file 0 0\n\
             /nonexistent/source mnt/opt none bind,optional,create=dir 0 0\n",
            d = data.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("ct.conf"),
        format!(
            "lxc.rootfs.path = {root}\nlxc.mount = ./fstab\nlxc.mount.entry = {d} mnt/rw none bind,create=dir 0 0\n\
             lxc.mount.entry = tmpfs /tmp tmpfs nosuid,nodev,size=2m 0 0\n",
            d = data.display()
        ),
    )
    .unwrap();
    let script = "cat /mnt/ro/f; echo x > /mnt/ro/g 2>/dev/null && echo ro-writable; echo y > /mnt/rw/g && echo rw-ok; \
                  cat /etc/bound-file; grep -E ' /(scratch|tmp) ' /proc/mounts | cut -d' ' -f2,3 | sort; \
                  [ -e /mnt/opt ] && echo opt-made; true";
    // Through lxc-create (the fstab is copied along with the config) and directly with -f.
    assert_eq!(
        code(&ct.lxc("create", &["-f", dir.join("ct.conf").to_str().unwrap()])),
        0
    );
    assert!(
        ct.lxcpath.join(&ct.name).join("fstab").is_file(),
        "lxc-create copies a relative fstab"
    );
    // -f wins over the stored config, as LXC's: the same file gives the same container.
    let conf = dir.join("ct.conf");
    for extra in [vec![], vec!["-f", conf.to_str().unwrap()]] {
        let mut args = extra.clone();
        args.extend(["--", "/bin/sh", "-c", script]);
        let out = ct.execute(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "hello\nrw-ok\nhello\n/scratch tmpfs\n/tmp tmpfs\n"
        );
    }
    assert_eq!(
        std::fs::read_to_string(data.join("g")).unwrap(),
        "y\n",
        "the rw bind wrote through"
    );
    ct.assert_clean();
}

#[test]
fn entries_on_the_host_root_and_missing_targets() {
    let ct = Ct::new("hostroot");
    let data = ct.lxcpath.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("f"), "hostroot\n").unwrap();
    let target = ct.lxcpath.join("target");
    let before = host_mounts();
    let out = ct.execute(&[
        "-s",
        &format!(
            "lxc.mount.entry={} {} none bind,ro,create=dir 0 0",
            data.display(),
            target.display()
        ),
        "--",
        "sh",
        "-c",
        &format!("cat {}/f", target.display()),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "hostroot\n");
    assert!(
        std::fs::read_dir(&target).unwrap().next().is_none(),
        "the bind stayed in the container"
    );
    assert_eq!(host_mounts(), before);
    let out = ct.execute(&[
        "-s",
        &format!(
            "lxc.mount.entry={} {}/missing none bind 0 0",
            data.display(),
            ct.lxcpath.display()
        ),
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 125);
    assert!(
        stderr(&out).contains("-s option:1") && stderr(&out).contains("missing"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}

/// Targets are resolved as if the rootfs were `/`: a symlink to a host path leads to that path
/// inside the rootfs, never out of it.
#[test]
fn a_symlink_cannot_lead_a_mount_out_of_the_rootfs() {
    let (ct, root) = with_rootfs("escape");
    let outside = ct.lxcpath.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, format!("{root}/evil")).unwrap();
    let entry = "lxc.mount.entry=tmpfs evil tmpfs size=1m 0 0";
    let rootfs = format!("lxc.rootfs.path={root}");
    // Inside the rootfs the link's target does not exist: refused, the host's dir untouched.
    let out = ct.execute(&["-s", &rootfs, "-s", entry, "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mount target") && stderr(&out).contains("evil"),
        "{}",
        stderr(&out)
    );
    // Made inside the rootfs, the same path takes the mount; the host's stays empty.
    let inside = format!("{root}{}", outside.display());
    std::fs::create_dir_all(&inside).unwrap();
    let out = ct.execute(&[
        "-s",
        &rootfs,
        "-s",
        entry,
        "--",
        "/bin/sh",
        "-c",
        "touch /evil/x && grep -c ' /tmp/.*outside tmpfs' /proc/mounts",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "1");
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    assert!(std::fs::read_dir(&inside).unwrap().next().is_none());
    ct.assert_clean();
}

#[test]
fn bad_fstab_lines_name_file_and_line() {
    let ct = Ct::new("badfstab");
    let fstab = ct.lxcpath.join("fstab");
    std::fs::write(
        &fstab,
        "# ok\nproc /proc proc defaults 0 0\n\n/a b none bind,create=pipe\n",
    )
    .unwrap();
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(&conf, format!("lxc.mount.fstab = {}\n", fstab.display())).unwrap();
    for (cmd, args) in [
        ("execute", vec!["-f", conf.to_str().unwrap(), "--", "true"]),
        ("create", vec!["-f", conf.to_str().unwrap()]),
    ] {
        let out = ct.lxc(cmd, &args);
        assert_ne!(code(&out), 0);
        assert!(
            stderr(&out).contains(&format!("{}:4:", fstab.display())),
            "{cmd}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).lines().count(), 1);
    }
    let out = ct.execute(&["-s", "lxc.mount.entry=a b c", "--", "true"]);
    assert_eq!(code(&out), 125);
    assert!(
        stderr(&out).contains("-s option:1: lxc.mount.entry"),
        "{}",
        stderr(&out)
    );
    let out = ct.execute(&[
        "-s",
        &format!("lxc.mount.fstab={}/nope", ct.lxcpath.display()),
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 125);
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    assert!(!ct.lxcpath.join(&ct.name).exists());
}

#[test]
fn mount_auto_sys_and_cgroup() {
    let (ct, root) = with_rootfs("auto");
    let out = ct.execute(&[
        "-s", &format!("lxc.rootfs.path={root}"),
        "-s", "lxc.mount.auto=proc:rw sys cgroup",
        "--", "/bin/sh", "-c",
        "grep -E ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; ls /sys/fs/cgroup | tr '\\n' ' '; echo; \
         cat /sys/fs/cgroup/freezer/cgroup.procs | wc -l; echo 1 > /sys/fs/cgroup/freezer/freezer.state 2>/dev/null || echo cg-ro",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ro", "sysfs read-only by default: {text}");
    assert!(
        lines[1].contains("freezer") && lines[1].contains("unified"),
        "{text}"
    );
    let members: usize = lines[2].trim().parse().unwrap();
    assert!(
        (2..=5).contains(&members),
        "own cgroup lists the container's processes: {text}"
    );
    assert_eq!(lines[3], "cg-ro");
}

fn wait_for_file(path: &std::path::Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{what}: {} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn lxc_start_boots_busybox_init_and_stops_it_gracefully_or_at_once() {
    let (ct, root) = with_rootfs("system");
    let conf = ct.lxcpath.join("sys.conf");
    std::fs::write(
        &conf,
        format!("lxc.rootfs.path = {root}\nlxc.signal.halt = SIGUSR1\n"),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let boot = std::path::Path::new(&root).join("var/log/boot.log");
    wait_for_file(&boot, "busybox init's rcS");
    wait_for_file(
        &std::path::Path::new(&root).join("run/heartbeat"),
        "the service",
    );
    let out = ct.lxc("ps", &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs[0]["ns_pid"], 1);
    assert_eq!(
        procs[0]["cmd"], "init",
        "busybox init is pid 1, no init of ours: {procs:?}"
    );
    assert!(
        procs
            .iter()
            .any(|p| p["cmd"].as_str().unwrap().contains("/etc/init.d/service")),
        "{procs:?}"
    );
    // Graceful: SIGUSR1 makes busybox init run its shutdown actions and halt.
    let t = Instant::now();
    let out = ct.lxc("stop", &["-t", "20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "not ended by the halt signal"
    );
    assert!(
        std::fs::read_to_string(&boot).unwrap().contains("halting"),
        "shutdown actions did not run"
    );
    assert_eq!(ct.state(), "STOPPED");
    // At once.
    assert_eq!(code(&ct.lxc("start", &["-d"])), 0);
    let t = Instant::now();
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(ct.state(), "STOPPED");
    ct.assert_clean();
}

#[test]
fn lxc_start_foreground_command_and_refusals() {
    let (ct, root) = with_rootfs("startfg");
    let out = ct.lxc(
        "start",
        &[
            "-F",
            "-s",
            &format!("lxc.rootfs.path={root}"),
            "--",
            "/bin/sh",
            "-c",
            "echo pid $$; exit 3",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(stdout(&out), "pid 1\n");
    // No rootfs: the host's /sbin/init is never booted.
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 125);
    assert!(stderr(&out).contains("lxc.rootfs.path"), "{}", stderr(&out));
    assert_eq!(code(&ct.lxc("start", &["-d", "-F"])), 2);
    // A rootfs without /sbin/init.
    std::fs::remove_file(format!("{root}/sbin/init")).unwrap();
    let out = ct.lxc("start", &["-s", &format!("lxc.rootfs.path={root}")]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
    assert!(stderr(&out).contains("/sbin/init"), "{}", stderr(&out));
    ct.assert_clean();
}

/// A system container whose service reboots or powers off when a file appears.
fn rebooting(tag: &str) -> (Ct, String) {
    let (ct, root) = with_rootfs(tag);
    std::fs::write(
        format!("{root}/etc/init.d/service"),
        "#!/bin/sh\nwhile :; do\n  [ -e /trigger-reboot ] && rm /trigger-reboot && reboot\n  \
         [ -e /trigger-poweroff ] && rm /trigger-poweroff && poweroff\n  sleep 0.1\ndone\n",
    )
    .unwrap();
    let conf = ct.lxcpath.join("sys.conf");
    std::fs::write(
        &conf,
        format!("lxc.rootfs.path = {root}\nlxc.signal.halt = SIGUSR1\n"),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    (ct, root)
}

fn boots(root: &str) -> usize {
    std::fs::read_to_string(format!("{root}/var/log/boot.log"))
        .unwrap_or_default()
        .matches("booted")
        .count()
}

/// Waits (10 s at most) for the `n`th boot's line: RUNNING comes when pid 1 is executed, its
/// boot script writes the line a moment later.
fn wait_boots(root: &str, n: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while boots(root) < n && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    boots(root)
}

fn init_pid(ct: &Ct) -> i64 {
    ct.info().unwrap()["pid"].as_i64().unwrap()
}

/// Issue 10: `lxc-stop -r` (lxc.signal.reboot, SIGINT by default) and `reboot` inside both
/// start the container again under the same shim, through STOPPING, STOPPED, STARTING,
/// RUNNING; a clean power-off ends `lxc-start -F` with 0.
#[test]
fn a_system_container_reboots_under_the_same_shim() {
    let (ct, root) = rebooting("reboot");
    assert_eq!(code(&ct.lxc("start", &[])), 0);
    let mut mon = Mon::start(&ct, &ct.name, &[]);
    let shim = ct.info().unwrap()["shim_pid"].clone();
    let first = init_pid(&ct);
    let expected: Vec<String> = ["STOPPING", "STOPPED", "STARTING", "RUNNING"]
        .iter()
        .map(|s| format!("'{}' changed state to [{s}]", ct.name))
        .collect();

    let out = ct.lxc("stop", &["-r"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(mon.lines(4, Duration::from_secs(10)), expected);
    assert_eq!(ct.state(), "RUNNING");
    let second = init_pid(&ct);
    assert_ne!(first, second, "a new init");
    assert_eq!(ct.info().unwrap()["shim_pid"], shim, "the same shim");
    assert_eq!(wait_boots(&root, 2), 2);

    // `reboot` inside.
    std::fs::write(format!("{root}/trigger-reboot"), "").unwrap();
    assert_eq!(mon.lines(4, Duration::from_secs(15)), expected);
    assert_ne!(init_pid(&ct), second);
    assert_eq!(wait_boots(&root, 3), 3);

    // A stop is a stop, not a reboot, and an application container does not reboot.
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert_eq!(ct.state(), "STOPPED");
    let app = Ct::new("rebootapp");
    app.start_detached("sleep 60");
    let out = app.lxc("stop", &["-r"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("application container"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&app.lxc("stop", &["-k"])), 0);

    // A power-off inside is a clean end.
    let child = ct
        .command("start", &["-F"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while boots(&root) < 4 {
        assert!(Instant::now() < deadline, "never booted a fourth time");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(format!("{root}/trigger-poweroff"), "").unwrap();
    let out = wait_output(child, Duration::from_secs(20));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
    app.assert_clean();
}
