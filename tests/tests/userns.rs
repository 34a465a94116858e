//! User namespaces: `lxc.idmap` in a container root starts (its init is an unprivileged uid on
//! the host, everything it sets up still works), and unprivileged containers a regular user
//! starts with the ranges of /etc/subuid and /etc/subgid.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::time::{Duration, Instant};

const MAPS: [&str; 4] = [
    "-s",
    "lxc.idmap = u 0 100000 65536",
    "-s",
    "lxc.idmap = g 0 100000 65536",
];

/// Waits (15 s at most) for `path` to hold a line `done`.
fn wait_done(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| l == "done") {
            return text;
        }
        assert!(Instant::now() < deadline, "never done: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The ids of a process as the host sees them: (real, effective, saved, fs) uids and gids.
fn host_ids(pid: &str) -> (String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    (line("Uid:"), line("Gid:"))
}

#[test]
fn a_root_created_userns_container_runs_as_host_uid_100000_with_mounts_and_network() {
    let net = TestNet::new("usernet");
    net.bridge("br0", &["192.0.2.1/24"]);
    let ct = Ct::in_netns("userns", &net);
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let out = root.join("out");
    let rootfs = format!("lxc.rootfs.path = {}", root.display());
    let mut opts: Vec<&str> = MAPS.to_vec();
    opts.extend([
        "-s",
        &rootfs,
        "-s",
        "lxc.mount.auto = proc sys cgroup:rw",
        "-s",
        "lxc.uts.name = inside",
        "-s",
        "lxc.net.0.type = veth",
        "-s",
        "lxc.net.0.link = br0",
        "-s",
        "lxc.net.0.flags = up",
        "-s",
        "lxc.net.0.name = eth0",
        "-s",
        "lxc.net.0.ipv4.address = 192.0.2.2/24",
    ]);
    // Inside: root with the namespace's map; the rootfs (host root's files) is the
    // container root's through an idmapped mount; /dev, /proc, /sys, devpts, the hostname,
    // the veth and the delegated cgroups all work.
    let script = "exec >/out 2>&1; id -u; id -g; cat /proc/self/uid_map; hostname; \
         touch /made-inside && echo rootfs-writable; stat -c %u /bin/busybox; \
         echo x >/dev/null && head -c 4 /dev/zero | wc -c; ls /proc | grep -c '^[0-9]'; \
         grep -c '^sysfs /sys ' /proc/mounts; grep -c '^devpts /dev/pts ' /proc/mounts; \
         ip -o -4 addr show eth0 | grep -o '192.0.2.2/24'; \
         ping -c 1 -W 3 192.0.2.1 >/dev/null && echo ping-ok; \
         mkdir /sys/fs/cgroup/memory/child && echo 4194304 > /sys/fs/cgroup/memory/child/memory.limit_in_bytes \
           && echo $$ > /sys/fs/cgroup/memory/child/cgroup.procs && echo cgroup-delegated; \
         echo done; sleep 60";
    ct.start_detached_with(&opts, script);
    let text = wait_done(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..2], ["0", "0"], "{text}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"],
        "{text}"
    );
    for want in [
        "inside",
        "rootfs-writable",
        "192.0.2.2/24",
        "ping-ok",
        "cgroup-delegated",
    ] {
        assert!(lines.contains(&want), "missing {want}: {text}");
    }
    // stat of a host root's file, /dev/zero's 4 bytes, at most a few processes, one sysfs,
    // one devpts.
    assert_eq!(lines[5], "0", "busybox is the container root's: {text}");
    assert_eq!(lines[6], "4", "{text}");
    assert!(lines[7].parse::<u32>().unwrap() <= 4, "{text}");
    assert_eq!(&lines[8..10], ["1", "1"], "{text}");
    // The host sees the init as uid and gid 100000, and the files the container made as its
    // (idmapped: the container's root writes host uid 0's rootfs as uid 0).
    let pid = stdout(&ct.lxc("info", &["-p", "-H"])).trim().to_string();
    let (uids, gids) = host_ids(&pid);
    assert_eq!(uids, "100000 100000 100000 100000");
    assert_eq!(gids, "100000 100000 100000 100000");
    let made = std::fs::metadata(root.join("made-inside")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&made), 0);
    // The cgroup is the mapped root's; the group the container made is gone with it.
    let dirs = ct.cgroup_dirs();
    assert!(!dirs.is_empty());
    for d in &dirs {
        let m = std::fs::metadata(d).unwrap();
        assert_eq!(
            std::os::unix::fs::MetadataExt::uid(&m),
            100000,
            "{}",
            d.display()
        );
    }
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

#[test]
fn bad_maps_are_refused_with_nothing_left_behind() {
    let ct = Ct::new("usernsbad");
    let out = ct.execute(&["-s", "lxc.idmap = u 0 100000 65536", "--", "true"]);
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no map of the container's root group"),
        "{}",
        stderr(&out)
    );
    // Overlapping ranges: the kernel refuses the map, and the start says where.
    let out = ct.execute(&[
        "-s",
        "lxc.idmap = u 0 100000 10",
        "-s",
        "lxc.idmap = u 5 100005 10",
        "-s",
        "lxc.idmap = g 0 100000 10",
        "--",
        "true",
    ]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("uid_map"), "{}", stderr(&out));
    ct.assert_clean();
}

/// A regular user made for one test, with its home and the ranges useradd gives it in
/// /etc/subuid and /etc/subgid. Dropping it kills the shims of its containers (by the pids
/// they recorded), removes the user, its home, its ranges, its run directory and the cgroups
/// pam_cgfs made for its `su` sessions.
struct TestUser {
    name: String,
    uid: u32,
    home: std::path::PathBuf,
    /// Its `XDG_RUNTIME_DIR` (no systemd here makes one).
    runtime: std::path::PathBuf,
    /// Its first subordinate uid and gid and how many.
    sub: (u32, u32),
}

impl TestUser {
    fn new(tag: &str) -> TestUser {
        require_root();
        let name = format!("lxcu{}{tag}", std::process::id());
        // useradd takes /etc/passwd's lock: another test's may hold it for a moment.
        let mut made = false;
        for _ in 0..50 {
            let out = run(
                std::process::Command::new("useradd").args(["-m", "-s", "/bin/sh", &name]),
                Duration::from_secs(20),
            );
            if out.status.success() {
                made = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(made, "useradd {name} failed");
        let id = stdout(&run(
            std::process::Command::new("id").args(["-u", &name]),
            Duration::from_secs(5),
        ));
        let uid: u32 = id.trim().parse().unwrap();
        let sub = |file: &str| {
            let text = std::fs::read_to_string(file).unwrap();
            let line = text.lines().find(|l| l.starts_with(&format!("{name}:")));
            let f: Vec<u32> = line
                .unwrap_or_else(|| panic!("useradd gave {name} no range in {file}: {text}"))
                .split(':')
                .skip(1)
                .map(|n| n.parse().unwrap())
                .collect();
            (f[0], f[1])
        };
        let (u, g) = (sub("/etc/subuid"), sub("/etc/subgid"));
        assert_eq!(u, g, "the test maps uids and gids alike");
        let runtime = std::env::temp_dir().join(format!("{name}.run"));
        std::fs::create_dir(&runtime).unwrap();
        chown(&runtime, &format!("{name}:{name}"));
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        TestUser {
            home: std::path::PathBuf::from(format!("/home/{name}")),
            name,
            uid,
            runtime,
            sub: u,
        }
    }

    /// `lxc-CMD ARGS` as the user through `su` (a PAM session: pam_cgfs delegates it
    /// cgroups), with its own places: no -P, no LXC_SYSCONF_DIR.
    fn su(&self, cmd: &str, args: &[&str]) -> std::process::Output {
        self.su_then(cmd, args, "true")
    }

    /// The same, then `after` (a shell line) in the same session; the status is the command's.
    fn su_then(&self, cmd: &str, args: &[&str], after: &str) -> std::process::Output {
        let mut line = format!(
            "XDG_RUNTIME_DIR={} {}",
            self.runtime.display(),
            bin(&format!("lxc-{cmd}")).display()
        );
        for a in args {
            line.push_str(&format!(" '{}'", a.replace('\'', r"'\''")));
        }
        line.push_str(&format!("; rc=$?; {after}; exit $rc"));
        run(
            std::process::Command::new("su")
                .args([&self.name, "-s", "/bin/sh", "-c", &line])
                .current_dir("/"),
            Duration::from_secs(30),
        )
    }

    /// The same without a PAM session (setpriv): no cgroup is delegated.
    fn plain(&self, cmd: &str, args: &[&str]) -> std::process::Output {
        run(
            std::process::Command::new("setpriv")
                .args([
                    &format!("--reuid={}", self.name),
                    &format!("--regid={}", self.name),
                    "--init-groups",
                ])
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .env("HOME", &self.home)
                .env("XDG_RUNTIME_DIR", &self.runtime)
                .arg(bin(&format!("lxc-{cmd}")))
                .args(args)
                .current_dir("/"),
            Duration::from_secs(30),
        )
    }

    /// Its run root (that of its default lxcpath).
    fn run_root(&self) -> std::path::PathBuf {
        self.runtime.join("lxc")
    }

    /// The maps of its ranges.
    fn maps(&self) -> String {
        let (start, count) = self.sub;
        format!("lxc.idmap = u 0 {start} {count}\nlxc.idmap = g 0 {start} {count}\n")
    }
}

fn chown(path: &std::path::Path, owner: &str) {
    let out = run(
        std::process::Command::new("chown")
            .args(["-R", owner])
            .arg(path),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "chown: {}", stderr(&out));
}

impl Drop for TestUser {
    fn drop(&mut self) {
        if let Ok(rd) = std::fs::read_dir(self.run_root()) {
            for e in rd.flatten() {
                let rec = e.path().join("state.json");
                let Ok(text) = std::fs::read(&rec) else {
                    continue;
                };
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
                    continue;
                };
                if let Some(pid) = v.get("shim_pid").and_then(|p| p.as_i64()) {
                    kill_if_ours(pid as i32, &e.path());
                }
            }
        }
        // Its shims' containers die with them (parent-death signal); give them a moment.
        std::thread::sleep(Duration::from_millis(200));
        let _ = std::fs::remove_dir_all(&self.runtime);
        let _ = run(
            std::process::Command::new("userdel").args(["-r", "-f", &self.name]),
            Duration::from_secs(20),
        );
        for file in ["/etc/subuid", "/etc/subgid"] {
            if let Ok(text) = std::fs::read_to_string(file) {
                let prefix = format!("{}:", self.name);
                if text.lines().any(|l| l.starts_with(&prefix)) {
                    let kept: String = text
                        .lines()
                        .filter(|l| !l.starts_with(&prefix))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    let _ = std::fs::write(file, kept);
                }
            }
        }
        // pam_cgfs's user/NAME groups, deepest first (our containers' groups are below them).
        if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
            for h in rd.flatten() {
                remove_cgroup_tree(&h.path().join("user").join(&self.name));
            }
        }
    }
}

fn remove_cgroup_tree(dir: &std::path::Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_cgroup_tree(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

#[test]
fn a_regular_user_creates_starts_and_stops_its_own_unprivileged_containers() {
    let user = TestUser::new("a");
    let (start, _) = user.sub;
    // Its rootfs belongs to its container's root (host uid START).
    let root = std::env::temp_dir().join(format!("{}.rootfs", user.name));
    make_rootfs(&root);
    chown(&root, &format!("{start}:{start}"));
    struct RemoveDir(std::path::PathBuf);
    impl Drop for RemoveDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _root_guard = RemoveDir(root.clone());
    let conf = user.home.join("ct.conf");
    std::fs::write(
        &conf,
        format!(
            "{}lxc.rootfs.path = {}\nlxc.mount.auto = proc sys cgroup:rw\nlxc.signal.halt = SIGUSR1\nlxc.net.0.type = empty\n",
            user.maps(),
            root.display()
        ),
    )
    .unwrap();
    chown(&conf, &format!("{0}:{0}", user.name));
    let name = "box";
    // A PAM session of the user's has cgroups of its own (pam_cgfs).
    let session = run(
        std::process::Command::new("su").args([
            &user.name,
            "-s",
            "/bin/sh",
            "-c",
            "cat /proc/self/cgroup",
        ]),
        Duration::from_secs(10),
    );
    assert!(
        stdout(&session).contains(&format!(":memory:/user/{}/", user.name)),
        "su gave no delegated cgroup (pam_cgfs of package libpam-cgfs, enabled in /etc/pam.d/common-session): {}",
        stdout(&session)
    );
    // lxc-create stores it in ~/.local/share/lxc, the user's.
    let out = user.su("create", &["-n", name, "-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stored = user.home.join(".local/share/lxc/box/config");
    let meta = std::fs::metadata(&stored).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), user.uid);

    // lxc-execute: root inside, the user's subordinate uid outside, lo up in its own network,
    // the cgroups pam_cgfs delegated to the session.
    // After it, in the same session (pam_cgfs removes the session's groups when it ends):
    // what is left of the container's groups, the one its root made included.
    let lxc_groups = format!("/sys/fs/cgroup/memory/user/{}/0/lxc", user.name);
    let left = format!(
        "for i in $(seq 50); do [ -z \"$(find {lxc_groups} -mindepth 1 -type d)\" ] && break; sleep 0.1; done; \
         find {lxc_groups} -mindepth 1 -type d | sed 's/^/LEFT /'"
    );
    let out = user.su_then(
        "execute",
        &["-n", name, "--", "sh", "-c",
          "id -u; cat /proc/self/uid_map; ip -o link show lo | grep -c UP; ls /sys/fs/cgroup | tr '\\n' ' '; echo; \
           touch /made && echo rootfs-writable; \
           mkdir /sys/fs/cgroup/memory/child && echo $$ > /sys/fs/cgroup/memory/child/cgroup.procs && echo delegated"],
        &left,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0", "{text}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["0", &start.to_string(), "65536"],
        "{text}"
    );
    assert_eq!(lines[2], "1", "lo is up: {text}");
    assert!(
        lines[3].contains("memory") && lines[3].contains("freezer"),
        "{text}"
    );
    assert_eq!(lines[4], "rootfs-writable");
    assert_eq!(
        lines.get(5),
        Some(&"delegated"),
        "the container manages its own groups: {text}"
    );
    // Gone with it, the group its root made too (removed through a user namespace).
    assert!(!text.contains("LEFT "), "groups left: {text}");

    // lxc-start with busybox init; its run directory and socket are the user's alone.
    let out = user.su("start", &["-n", name]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&user.su("state", &["-n", name])).trim(), "RUNNING");
    let out = user.su("info", &["-n", name, "-p", "-H"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pid = stdout(&out).trim().to_string();
    let (uids, _) = host_ids(&pid);
    assert_eq!(uids, format!("{start} {start} {start} {start}"));
    let run_dir = user.run_root().join(name);
    for (path, mode) in [
        (run_dir.clone(), 0o700),
        (run_dir.join("control.sock"), 0o600),
    ] {
        let m = std::fs::symlink_metadata(&path).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            (m.uid(), m.mode() & 0o777),
            (user.uid, mode),
            "{}",
            path.display()
        );
    }
    // Its container's groups are below its session's delegated group, given to its root.
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let line = cg.lines().find(|l| l.contains(":memory:")).unwrap();
    let group = line.splitn(3, ':').nth(2).unwrap();
    assert!(
        group.starts_with(&format!("/user/{}/0/lxc/box", user.name)),
        "{cg}"
    );
    let dir = std::fs::metadata(format!("/sys/fs/cgroup/memory{group}")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&dir), start, "{group}");
    let out = user.su("ls", &["-f"]);
    assert!(
        stdout(&out).contains("box") && stdout(&out).contains("RUNNING"),
        "{}",
        stdout(&out)
    );
    // Freeze works through the delegated freezer.
    assert_eq!(code(&user.su("freeze", &["-n", name])), 0);
    assert_eq!(stdout(&user.su("state", &["-n", name])).trim(), "FROZEN");
    assert_eq!(code(&user.su("unfreeze", &["-n", name])), 0);
    // Root's commands do not see the user's container (root's places are its own).
    let sysconf = std::env::temp_dir().join(format!("{}.sysconf", user.name));
    std::fs::create_dir_all(&sysconf).unwrap();
    let _sysconf_guard = RemoveDir(sysconf.clone());
    let out = run(
        std::process::Command::new(bin("lxc-info"))
            .env(SYSCONF_ENV, &sysconf)
            .args(["-n", name, "-s"]),
        Duration::from_secs(10),
    );
    assert_ne!(
        stdout(&out).trim(),
        "State:          RUNNING",
        "{}",
        stdout(&out)
    );
    let out = user.su("stop", &["-n", name, "-t", "20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&user.su("state", &["-n", name])).trim(), "STOPPED");
    assert!(!run_dir.exists(), "run dir left");
    // A killed shim: the user's next command cleans up after it, the group the container's
    // root made included. The root makes it a second after the start: when the `su` session
    // that ran lxc-start ends, pam_cgfs removes the empty groups below the session's, and a
    // group made in that instant would go before the shell moved into it.
    let out = user.su(
        "start",
        &["-n", name, "--", "sh", "-c",
          "sleep 1; mkdir /sys/fs/cgroup/memory/c && echo $$ > /sys/fs/cgroup/memory/c/cgroup.procs && exec sleep 1000"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rec = std::fs::read(run_dir.join("state.json")).unwrap();
    let shim = serde_json::from_slice::<serde_json::Value>(&rec).unwrap()["shim_pid"]
        .as_i64()
        .unwrap();
    // Its memory group, from the shim's record: each PAM session of the user's has a group
    // of its own (pam_cgfs numbers them), so this start's may be another than the first's.
    let record: serde_json::Value = serde_json::from_slice(&rec).unwrap();
    let group = record["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g.as_str())
        .find(|g| g.starts_with("/sys/fs/cgroup/memory/"))
        .map(std::path::PathBuf::from)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let made = || group.join("c").is_dir();
    while !made() {
        assert!(Instant::now() < deadline, "the container made no group");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_if_ours(shim as i32, &run_dir);
    let out = user.su("state", &["-n", name]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().next(), Some("STOPPED"), "{text}");
    assert!(
        !group.exists(),
        "groups left after a dead shim: {}",
        group.display()
    );
    let out = user.su("destroy", &["-n", name]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stored.exists());
}

#[test]
fn without_a_delegated_cgroup_a_users_container_stays_in_the_starters_groups() {
    let user = TestUser::new("b");
    let maps = user.maps();
    let lines: Vec<String> = maps.lines().map(|l| l.to_string()).collect();
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    // No PAM session: nothing delegated, so no group of the container's anywhere.
    let out = user.plain(
        "execute",
        &[
            "-n", "nodeleg", "-s", &lines[0], "-s", &lines[1], "-d", "--", "sleep", "60",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let info = user.plain("info", &["-n", "nodeleg", "-p", "-H"]);
    let pid = stdout(&info).trim().to_string();
    assert!(!pid.is_empty(), "{}", stderr(&info));
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert!(!cg.contains("/lxc/"), "{cg}");
    // The test's own groups (where the user's command started): the container is in them.
    let own_memory = own.lines().find(|l| l.contains(":memory:")).unwrap();
    assert!(cg.lines().any(|l| l == own_memory), "{cg} vs {own}");
    // What needs a cgroup says so.
    let out = user.plain("freeze", &["-n", "nodeleg"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("no freezer cgroup"),
        "{}",
        stderr(&out)
    );
    // veth needs the host: refused, with what an unprivileged container can have.
    let out = user.plain(
        "execute",
        &[
            "-n",
            "veth",
            "-s",
            &lines[0],
            "-s",
            &lines[1],
            "-s",
            "lxc.net.0.type=veth",
            "--",
            "true",
        ],
    );
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("only `empty` or `none`"),
        "{}",
        stderr(&out)
    );
    // A rootfs of host root's cannot be idmapped by a user: refused, with the fix.
    let (start, count) = user.sub;
    let out = user.plain(
        "execute",
        &[
            "-n",
            "rootowned",
            "-s",
            &lines[0],
            "-s",
            &lines[1],
            "-s",
            "lxc.rootfs.path = /",
            "--",
            "true",
        ],
    );
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains(&format!("chown -R {start}:{start} /")),
        "{}",
        stderr(&out)
    );
    // No lxc.idmap: refused, with the maps the user's ranges allow.
    let out = user.plain("execute", &["-n", "nomap", "--", "true"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains(&format!("lxc.idmap = u 0 {start} {count}")),
        "{}",
        stderr(&out)
    );
    // Maps beyond its ranges: newuidmap refuses them.
    let out = user.plain(
        "execute",
        &[
            "-n",
            "badmap",
            "-s",
            "lxc.idmap = u 0 1 65536",
            "-s",
            "lxc.idmap = g 0 1 65536",
            "--",
            "true",
        ],
    );
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("newuidmap"), "{}", stderr(&out));
    assert_eq!(code(&user.plain("stop", &["-n", "nodeleg", "-k"])), 0);
}

#[test]
fn lxc_usernsexec_runs_as_root_of_the_users_ranges() {
    let user = TestUser::new("c");
    let (start, count) = user.sub;
    // Default maps: the user's ranges from 0.
    let out = user.plain(
        "usernsexec",
        &["--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..2], ["0", "0"], "{text}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["0", &start.to_string(), &count.to_string()]
    );
    // -s maps the user itself too: root there may give the user's file to an id of its
    // ranges (host uid START+1), which the user could not do on the host.
    let file = user.home.join("given");
    let script = format!(
        "touch {f} && chown 1:1 {f} && echo given",
        f = file.display()
    );
    let out = user.plain("usernsexec", &["-s", "--", "sh", "-c", &script]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "given");
    let m = std::fs::metadata(&file).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((m.uid(), m.gid()), (start + 1, start + 1));
    // COMMAND's status comes back; maps beyond the ranges are refused by newuidmap.
    assert_eq!(
        code(&user.plain("usernsexec", &["--", "sh", "-c", "exit 7"])),
        7
    );
    let out = user.plain("usernsexec", &["-m", "b:0:1:1", "--", "true"]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("newuidmap"), "{}", stderr(&out));
}

#[test]
fn a_system_container_in_a_user_namespace_boots_reboots_and_stops() {
    let ct = Ct::new("usernsboot");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let conf = ct.lxcpath.join("boot.conf");
    std::fs::write(
        &conf,
        format!(
            "lxc.rootfs.path = {}\nlxc.signal.halt = SIGUSR1\nlxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n",
            root.display()
        ),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pid = || stdout(&ct.lxc("info", &["-p", "-H"])).trim().to_string();
    let first = pid();
    assert_eq!(host_ids(&first).0, "100000 100000 100000 100000");
    // A reboot clones a new init, which gets its maps again.
    let out = ct.lxc("stop", &["-r"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let deadline = Instant::now() + Duration::from_secs(15);
    while (pid() == first || pid().is_empty() || ct.state() != "RUNNING")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = pid();
    assert_ne!(second, first, "no new init");
    assert_eq!(host_ids(&second).0, "100000 100000 100000 100000");
    let out = ct.lxc("stop", &["-t", "20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "STOPPED");
    ct.assert_clean();
}
