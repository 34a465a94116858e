//! Hostile containers and hostile clients (issue 9): one regression test (or a few) per defect
//! the adversarial review found. Each names its item. They drive the built commands as a user
//! or an attacker would and look from outside (`/proc`, the cgroup tree, the files left).
//!
//! Tests that disturb every container on the host (a stopped shim or monitor, `lxc-ps` of all
//! containers) or that time something take [`exclusive`]; the others take [`shared`], so they
//! still run in parallel with each other.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

static GATE: RwLock<()> = RwLock::new(());

/// For a test that only minds its own containers.
fn shared() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|e| e.into_inner())
}

/// For a test that disturbs or measures the whole host: no other test of this file runs
/// meanwhile.
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    GATE.write().unwrap_or_else(|e| e.into_inner())
}

/// Runs a command with stdin closed and a deadline, reading its output as it comes (a command
/// that prints megabytes must not block on a full pipe); `Err` (with the start of what it
/// printed) when it had to be killed, so that a hang is a reported failure.
fn run_within(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let mut hung = false;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            hung = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A process the command left behind may hold its pipes open: wait 2 s at most for them.
    let drained = Instant::now() + Duration::from_secs(2);
    while !(out.is_finished() && err.is_finished()) && Instant::now() < drained {
        std::thread::sleep(Duration::from_millis(5));
    }
    let take = |h: std::thread::JoinHandle<Vec<u8>>| {
        if h.is_finished() {
            h.join().unwrap()
        } else {
            b"(output still open)".to_vec()
        }
    };
    let output = Output {
        status,
        stdout: take(out),
        stderr: take(err),
    };
    if hung {
        return Err(format!(
            "hung: killed after {timeout:?}; stdout {:?} stderr {:?}",
            clip(&stdout(&output)),
            clip(&stderr(&output))
        ));
    }
    Ok(output)
}

/// The start of a long text, for a failure message.
fn clip(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_string()
    } else {
        format!(
            "{}... ({} bytes)",
            s.chars().take(300).collect::<String>(),
            s.len()
        )
    }
}

/// `kill -SIG pid`, asserting it was delivered.
fn signal(pid: i32, sig: &str) {
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success(), "kill -{sig} {pid}");
}

/// A child of the test, ended and reaped when dropped (also when stopped).
struct Kid(Child);

impl Kid {
    fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Kid {
    /// SIGTERM first (lxc-monitor and lxc-wait then remove their monitor sockets), SIGKILL
    /// after a second.
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let pid = self.pid().to_string();
            let _ = Command::new("kill").args(["-CONT", &pid]).status();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline && self.0.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends SIGCONT to a process we stopped, when dropped.
struct ContGuard(i32);

impl Drop for ContGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-CONT")
            .arg(self.0.to_string())
            .status();
    }
}

/// Removes a file or symlink when dropped.
struct RemoveGuard(PathBuf);

impl Drop for RemoveGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The pid of the container's shim, checked to be one (comm `lxc-shim`).
fn shim_pid(ct: &Ct) -> i32 {
    let info = ct
        .info()
        .unwrap_or_else(|| panic!("{} is not running", ct.name));
    let pid = info["shim_pid"].as_i64().unwrap() as i32;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm.trim(), "lxc-shim", "pid {pid} is not a shim");
    pid
}

fn fd_count(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// VmRSS in KiB.
fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Polls `f` every 20 ms until it is true or `timeout` has passed; returns its last value.
fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The container's cgroup directory in the hierarchy whose path contains `part`
/// (`/unified/`, `/freezer/`).
fn cgroup_of(ct: &Ct, part: &str) -> PathBuf {
    let info = ct.info().unwrap();
    let dir = info["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .find(|c| c.contains(part))
        .unwrap_or_else(|| panic!("no {part} cgroup in {info}"));
    PathBuf::from(dir)
}

/// Host pids in a cgroup directory.
fn members(dir: &Path) -> Vec<i32> {
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Field 22 of /proc/PID/stat (start time), telling a process from a later one with its pid.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// A file in the container's lxcpath (the test's own temp dir).
fn tmp(ct: &Ct, name: &str) -> PathBuf {
    ct.lxcpath.join(name)
}

fn wait_for_file(path: &Path, what: &str) {
    assert!(
        eventually(Duration::from_secs(15), || path.exists()),
        "{what}: {} never appeared",
        path.display()
    );
}

/// A container with its own busybox rootfs in its lxcpath.
fn with_rootfs(tag: &str) -> (Ct, PathBuf) {
    let ct = Ct::new(tag);
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    (ct, root)
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 1: no descriptor of ours reaches the container.

/// Parses `ls -l /proc/self/fd`: fd number -> link target.
fn fd_listing(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let (left, target) = l.split_once(" -> ")?;
            let fd = left.split_whitespace().last()?.parse().ok()?;
            Some((fd, target.to_string()))
        })
        .collect()
}

/// Item 1: COMMAND sees stdio and nothing else of ours: `ls` lists 0, 1, 2 and the directory
/// it opened itself (3, on `/proc/<ls>/fd`).
#[test]
fn item01_command_inherits_only_stdio() {
    let _gate = shared();
    let ct = Ct::new("fds");
    let out = ct.execute(&["--", "sh", "-c", "ls -l /proc/self/fd"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let fds = fd_listing(&text);
    let numbers: BTreeSet<u32> = fds.iter().map(|f| f.0).collect();
    assert_eq!(
        numbers,
        BTreeSet::from([0, 1, 2, 3]),
        "COMMAND inherited more than stdio:\n{text}"
    );
    let three = &fds.iter().find(|f| f.0 == 3).unwrap().1;
    assert!(
        three.starts_with("/proc/") && three.ends_with("/fd"),
        "fd 3 is not ls's own directory but {three}:\n{text}"
    );
    ct.assert_clean();
}

/// Item 1: what COMMAND writes to fd 3 is not taken for the init's word.
#[test]
fn item01_forged_init_messages_are_not_believed() {
    let _gate = shared();
    let ct = Ct::new("forge");
    let mut failures = Vec::new();
    for forged in ["exec-failed 2", "setup-failed 2 x"] {
        let out = ct.execute(&[
            "--",
            "/bin/sh",
            "-c",
            &format!("printf '{forged}' >&3; exit 0"),
        ]);
        if code(&out) != 0 {
            failures.push(format!(
                "COMMAND wrote {forged:?} to fd 3 and exited 0: lxc-execute exit {}: {}",
                code(&out),
                stderr(&out).trim()
            ));
        }
    }
    ct.wait_stopped(Duration::from_secs(5));

    // "exited code 0" from a COMMAND that keeps running.
    let mark = tmp(&ct, "wrote");
    ct.start_detached(&format!(
        "printf 'exited code 0' >&3; touch {}; exec sleep 1000",
        mark.display()
    ));
    wait_for_file(&mark, "the forging COMMAND");
    std::thread::sleep(Duration::from_millis(500));
    let state = ct.state();
    if state != "RUNNING" {
        failures.push(format!(
            "a COMMAND that wrote \"exited code 0\" to fd 3 and runs on is {state:?}"
        ));
    }
    let _ = ct.lxc("stop", &["-k"]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Item 1: what COMMAND writes to fd 3 does not reach the host's log file.
#[test]
fn item01_forged_warnings_do_not_reach_the_log() {
    let _gate = shared();
    let ct = Ct::new("forgelog");
    let log = tmp(&ct, "ct.log");
    let mark = tmp(&ct, "wrote");
    let script = format!(
        "i=0; while [ $i -lt 1000 ]; do printf 'warning FORGED' >&3; i=$((i+1)); done; \
         touch {}; exec sleep 1000",
        mark.display()
    );
    let out = ct.execute(&[
        "-d",
        "-o",
        log.to_str().unwrap(),
        "-l",
        "DEBUG",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    wait_for_file(&mark, "the forging COMMAND");
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.is_empty(), "the shim logged nothing at DEBUG");
    let forged = text.lines().filter(|l| l.contains("FORGED")).count();
    assert_eq!(
        forged,
        0,
        "{forged} forged lines in the host's log, e.g. {:?}",
        text.lines().find(|l| l.contains("FORGED"))
    );
}

/// Item 1: a system container's pid 1 (busybox init, no init of ours) holds 0, 1, 2 only.
#[test]
fn item01_system_container_init_holds_only_stdio() {
    let _gate = shared();
    let (ct, root) = with_rootfs("sysfds");
    let out = ct.lxc(
        "start",
        &["-s", &format!("lxc.rootfs.path = {}", root.display())],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Once the service runs, init has settled in its main loop.
    wait_for_file(&root.join("run/heartbeat"), "the busybox service");
    let pid = ct.info().unwrap()["pid"].as_i64().unwrap();
    let fds: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = ["0", "1", "2"].iter().map(|s| s.to_string()).collect();
    assert_eq!(fds, want, "pid 1 (host pid {pid}) holds more than stdio");
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 2: a container cannot reach another's cgroups.

/// Item 2: A mounts cgroup2 and the v1 freezer hierarchy and looks for B: it sees only its own
/// cgroup namespace, and B runs on.
#[test]
fn item02_a_container_cannot_see_or_kill_another_through_cgroupfs() {
    let _gate = shared();
    let b = Ct::new("cgvictim");
    b.start_detached("sleep 1000");
    let (a, root) = with_rootfs("cgattack");
    let script = format!(
        "echo '--- cgroup'; cat /proc/self/cgroup; echo '---'; mkdir -p /tmp/u /tmp/f; \
         mount -t cgroup2 none /tmp/u && echo mounted cgroup2; \
         mount -t cgroup -o freezer none /tmp/f && echo mounted freezer; \
         for d in $(find /tmp/u /tmp/f -name '*{b}*'); do echo \"found $d\"; \
           echo 1 > \"$d/cgroup.kill\"; done; \
         echo \"entries $(find /tmp/u /tmp/f | wc -l)\"",
        b = b.name
    );
    let out = a.execute(&[
        "-s",
        &format!("lxc.rootfs.path = {}", root.display()),
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    let text = stdout(&out);
    let report = format!("stdout:\n{text}stderr:\n{}", stderr(&out));
    assert_eq!(code(&out), 0, "{report}");
    let mut failures = Vec::new();
    if !text.lines().any(|l| l == "0::/") {
        failures.push("A's /proc/self/cgroup is not its own cgroup namespace's root (0::/)");
    }
    if text.contains(&b.name) {
        failures.push("A found B's cgroups");
    }
    if b.state() != "RUNNING" {
        failures.push("B does not run any more");
    }
    assert!(failures.is_empty(), "{}:\n{report}", failures.join("; "));
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 3: lxc-ps cannot be hidden from, and prints no raw control characters.

fn has_raw_control(bytes: &[u8]) -> Option<(usize, u8)> {
    bytes
        .iter()
        .enumerate()
        .find(|(_, b)| (**b < 0x20 && **b != b'\n') || **b == 0x7f)
        .map(|(i, b)| (i, *b))
}

/// Item 3: one process with a 1.2 MB command line and one with an ESC sequence in its argv.
#[test]
fn item03_lxc_ps_shows_a_container_with_huge_or_hostile_command_lines() {
    let _gate = exclusive();
    let ct = Ct::new("psbig");
    // Twelve arguments of 100 000 bytes (one argument may not exceed 128 KiB).
    ct.start_detached(
        "big=$(head -c 100000 /dev/zero | tr '\\0' a); \
         sh -c 'sleep 1000; exit 0' x $big $big $big $big $big $big $big $big $big $big $big $big & \
         sh -c 'sleep 1000; exit 0' \"$(printf '\\033[31mred')\" & \
         exec sleep 1000",
    );
    let unified = cgroup_of(&ct, "/unified/");
    let (mut long, mut esc) = (false, false);
    let found = eventually(Duration::from_secs(10), || {
        for pid in members(&unified) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            long |= cmdline.len() > 1_200_000;
            esc |= cmdline.windows(8).any(|w| w == b"\x1b[31mred");
        }
        long && esc
    });
    assert!(
        found,
        "the container's processes never started: long {long}, esc {esc}"
    );

    let ps = |args: &[&str]| {
        run_within(&mut ct.command("ps", args), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("lxc-ps -n {args:?}: {e}"))
    };
    let all = run_within(
        ct.bare("ps").arg("-P").arg(&ct.lxcpath),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("lxc-ps: {e}"));
    let table = stdout(&all);
    assert_eq!(code(&all), 0, "lxc-ps: {}", stderr(&all));
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().next() == Some(ct.name.as_str())),
        "lxc-ps does not list {} (stderr {:?}); it printed {} bytes",
        ct.name,
        stderr(&all),
        table.len()
    );
    let one = ps(&[]);
    assert_eq!(code(&one), 0, "lxc-ps -n: {}", stderr(&one));
    for (what, out) in [("lxc-ps", &all), ("lxc-ps -n", &one)] {
        if let Some((at, b)) = has_raw_control(&out.stdout) {
            panic!(
                "{what} printed the raw byte {b:#04x} at offset {at}: {:?}",
                String::from_utf8_lossy(
                    &out.stdout[at.saturating_sub(40)..(at + 10).min(out.stdout.len())]
                )
            );
        }
        let text = stdout(out);
        let row = text
            .lines()
            .find(|l| l.contains("aaaa"))
            .unwrap_or_else(|| panic!("{what}: no row for the long command line"));
        let cmd = &row[row.find("sh -c").unwrap()..];
        assert!(
            cmd.chars().count() <= 4096,
            "{what}: the long command line takes {} characters",
            cmd.chars().count()
        );
        assert!(
            text.lines()
                .any(|l| l.contains(&ct.name) && l.contains("[31mred")),
            "{what}: no row for the ESC process"
        );
    }
    let json = ps(&["--json"]);
    assert_eq!(code(&json), 0, "lxc-ps --json: {}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let cmds: Vec<&str> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cmd"].as_str().unwrap())
        .collect();
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("sh -c") && c.contains("aaaa")),
        "--json lacks the long command line"
    );
    for c in &cmds {
        assert!(
            c.chars().count() <= 4096,
            "--json: a command line of {} characters",
            c.chars().count()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 4: nothing is created outside the rootfs.

/// Item 4: symlinks in the rootfs pointing at host paths: create=dir, create=file and
/// `lxc.mount.auto = cgroup` must create nothing on the host, whether the start succeeds
/// (the links resolved as if the rootfs were `/`) or fails. Each plant alone, then all at once,
/// so that an early refusal cannot hide a later creation.
#[test]
fn item04_mounts_create_nothing_outside_the_rootfs() {
    let _gate = shared();
    let (ct, root) = with_rootfs("plant");
    let host = tmp(&ct, "host");
    let missing_dir = host.join("planted-dir");
    let missing_file = host.join("planted-file");
    let existing = host.join("existing-dir");
    let sys_target = host.join("sys-target");
    std::fs::create_dir_all(&existing).unwrap();
    std::fs::create_dir_all(&sys_target).unwrap();
    let link = |name: &str, to: &Path| std::os::unix::fs::symlink(to, root.join(name)).unwrap();
    link("planted", &missing_dir);
    link("plantedfile", &missing_file);
    link("plantedexisting", &existing);
    std::fs::remove_dir(root.join("sys")).unwrap();
    link("sys", &sys_target);

    let rootfs = format!("lxc.rootfs.path = {}\n", root.display());
    let dir_entry = "lxc.mount.entry = tmpfs planted/a/b/c tmpfs create=dir 0 0\n";
    let file_entry = "lxc.mount.entry = /dev/null plantedfile none bind,create=file 0 0\n";
    let existing_entry = "lxc.mount.entry = tmpfs plantedexisting/a/b/c tmpfs create=dir 0 0\n";
    let auto = "lxc.mount.auto = proc cgroup\n";
    let cases = [
        ("create=dir through a dangling link", dir_entry.to_string()),
        (
            "create=file through a dangling link",
            file_entry.to_string(),
        ),
        (
            "create=dir through a link to a host dir",
            existing_entry.to_string(),
        ),
        ("mount.auto cgroup through /sys", auto.to_string()),
        (
            "all at once",
            format!("{dir_entry}{file_entry}{existing_entry}{auto}"),
        ),
    ];
    let mut failures = Vec::new();
    for (what, keys) in cases {
        let conf = tmp(&ct, "plant.conf");
        std::fs::write(&conf, format!("{rootfs}{keys}")).unwrap();
        let out = ct.execute(&["-f", conf.to_str().unwrap(), "--", "/bin/true"]);
        let mut made = Vec::new();
        for p in [&missing_dir, &missing_file] {
            if p.symlink_metadata().is_ok() {
                made.push(p.display().to_string());
            }
        }
        for d in [&existing, &sys_target] {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                made.push(e.path().display().to_string());
            }
        }
        if !made.is_empty() {
            failures.push(format!(
                "{what} (exit {}, {}): created {made:?}",
                code(&out),
                stderr(&out).trim()
            ));
        }
        for p in [&missing_dir, &missing_file] {
            let _ = std::fs::remove_dir_all(p);
            let _ = std::fs::remove_file(p);
        }
        for d in [&existing, &sys_target] {
            let _ = std::fs::remove_dir_all(d);
            std::fs::create_dir_all(d).unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "host paths created:\n{}",
        failures.join("\n")
    );
    ct.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 5: a stopped listener slows nobody.

/// Reads a child's pipe line by line into a channel.
fn lines_of(pipe: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Item 5: an idle `lxc-wait` and a stopped `lxc-monitor` do not slow other containers'
/// starts; after SIGCONT the monitor can tell what it lost.
#[test]
fn item05_a_stopped_monitor_and_an_idle_wait_slow_no_start() {
    let _gate = exclusive();
    let a = Ct::new("slowa");
    // In A's lxcpath: its changes fill the queue of A's monitor.
    let b = Ct::beside("slowb", &a);
    let mut mon = Kid(a
        .bare("monitor")
        .args(["--json", "-n", &format!("{}|{}", a.name, b.name), "-P"])
        .arg(&a.lxcpath)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap());
    let mon_out = lines_of(mon.0.stdout.take().unwrap());
    let mon_err = lines_of(mon.0.stderr.take().unwrap());
    a.wait_monitor_bound(mon.pid() as u32);
    let mut seen: Vec<serde_json::Value> = Vec::new();
    let read_until = |want: &str, timeout: Duration, seen: &mut Vec<serde_json::Value>| {
        let deadline = Instant::now() + timeout;
        while let Ok(l) = mon_out.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            let hit = v["name"] == a.name.as_str() && v["state"] == want;
            seen.push(v);
            if hit {
                return true;
            }
        }
        false
    };
    a.start_detached("sleep 1000");
    assert!(
        read_until("RUNNING", Duration::from_secs(5), &mut seen),
        "the monitor never showed A RUNNING: {seen:?}"
    );
    // The idle lxc-wait: it follows A's subscribe stream (one more connection to A's shim).
    let a_shim = shim_pid(&a);
    let a_fds = fd_count(a_shim);
    let _waiter = Kid(a
        .command("wait", &["-s", "FROZEN"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    assert!(
        eventually(Duration::from_secs(5), || fd_count(a_shim) > a_fds),
        "lxc-wait never connected to A's shim"
    );
    std::thread::sleep(Duration::from_millis(200)); // and has subscribed
    let _cont = ContGuard(mon.pid());
    signal(mon.pid(), "STOP");

    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let out = b.execute(&["--", "/bin/true"]);
        times.push(t.elapsed());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    // A's changes while the monitor is stopped (its queue full of B's): a shim holds them for
    // at most 100 ms (docs/protocol.md), then they are lost to it.
    assert_eq!(code(&a.lxc("freeze", &[])), 0);
    assert_eq!(code(&a.lxc("unfreeze", &[])), 0);
    std::thread::sleep(Duration::from_millis(500));
    signal(mon.pid(), "CONT");
    // Its queue drains before A's last changes come (on a loaded machine the monitor may take
    // longer than a shim holds a change for it).
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(code(&a.lxc("stop", &["-k"])), 0);
    let stopped = read_until("STOPPED", Duration::from_secs(5), &mut seen);
    std::thread::sleep(Duration::from_millis(200));
    let errs: Vec<String> = mon_err.try_iter().collect();

    let mut sorted = times.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    eprintln!("lxc-execute -- /bin/true with a stopped monitor and an idle lxc-wait: median {median:?}, all {times:?}");
    assert!(
        median < Duration::from_millis(100),
        "median start {median:?} (all {times:?})"
    );
    assert!(stopped, "the monitor never showed A STOPPED: {seen:?}");
    let a_seqs: Vec<u64> = seen
        .iter()
        .filter(|v| v["name"] == a.name.as_str())
        .map(|v| v["seq"].as_u64().unwrap())
        .collect();
    let gap = a_seqs.windows(2).any(|w| w[1] != w[0] + 1);
    let told = errs.iter().any(|l| l.contains("state change(s) lost"));
    assert!(
        gap || told,
        "the monitor cannot tell it lost A's changes: A's seqs {a_seqs:?}, stderr {errs:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 6: the shim's fds and memory stay bounded.

/// Polls until the shim's fd count is at most `limit` (2 s); returns the last count.
fn fds_settle(pid: i32, limit: usize) -> usize {
    let mut now = fd_count(pid);
    eventually(Duration::from_secs(2), || {
        now = fd_count(pid);
        now <= limit
    });
    now
}

/// Item 6, the part a fix can miss: a `wait` or `freeze` parked by a client that then closes
/// must not stay parked, or ids (up to 1 KiB each) pile up for as long as the container runs.
#[test]
fn item06f_what_gone_clients_parked_is_forgotten() {
    let ct = Ct::new("parked");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let sock = ct.run_dir().join("control.sock");
    let script = r#"
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
idv = "x" * 1000
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(('{"jsonrpc":"2.0","id":"%s%d","method":"wait"}\n' % (idv, i)).encode())
    s.close()
"#;
    let rss0 = rss_kib(shim);
    let out = run_within(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&sock)
            .arg("30000"),
        Duration::from_secs(120),
    )
    .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let rss1 = rss_kib(shim);
    eprintln!("30000 closed clients with parked waits: VmRSS {rss0} -> {rss1} KiB");
    // 30000 kept ids would be over 30 MiB.
    assert!(rss1 < rss0 + 8 * 1024, "VmRSS {rss0} -> {rss1} KiB");
}

/// Item 6a: clients that send `wait` or `subscribe` and close are dropped.
#[test]
fn item06a_closed_wait_and_subscribe_clients_are_dropped() {
    let _gate = shared();
    let ct = Ct::new("fdleak");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let sock = ct.run_dir().join("control.sock");
    let (fds0, rss0) = (fd_count(shim), rss_kib(shim));
    for method in ["wait", "subscribe"] {
        for _ in 0..300 {
            let mut s = UnixStream::connect(&sock).unwrap();
            s.write_all(
                format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"{method}\"}}\n").as_bytes(),
            )
            .unwrap();
        }
    }
    let fds1 = fds_settle(shim, fds0 + 2);
    eprintln!(
        "600 closed wait/subscribe clients: shim fds {fds0} -> {fds1}, VmRSS {rss0} -> {} KiB",
        rss_kib(shim)
    );
    assert!(
        fds1 <= fds0 + 2,
        "the shim keeps closed clients: fds {fds0} -> {fds1}"
    );
    assert_eq!(ct.state(), "RUNNING");
}

/// Item 6b: `lxc-wait -t 0` and an interrupted `lxc-wait` cost the shim nothing.
#[test]
fn item06b_timed_out_and_interrupted_waits_cost_no_fd() {
    let _gate = shared();
    let ct = Ct::new("waitleak");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let (fds0, rss0) = (fd_count(shim), rss_kib(shim));
    for _ in 0..100 {
        let out = ct.lxc("wait", &["-s", "FROZEN", "-t", "0"]);
        assert_ne!(code(&out), 0, "lxc-wait -t 0 found FROZEN");
    }
    for _ in 0..20 {
        let waiter = Kid(ct
            .command("wait", &["-s", "FROZEN"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap());
        std::thread::sleep(Duration::from_millis(100));
        signal(waiter.pid(), "INT");
        let mut w = waiter;
        let ended = eventually(Duration::from_secs(5), || w.0.try_wait().unwrap().is_some());
        assert!(ended, "lxc-wait ignored SIGINT");
    }
    let fds1 = fds_settle(shim, fds0 + 2);
    eprintln!(
        "100 lxc-wait -t 0 and 20 interrupted: shim fds {fds0} -> {fds1}, VmRSS {rss0} -> {} KiB",
        rss_kib(shim)
    );
    assert!(
        fds1 <= fds0 + 2,
        "finished lxc-waits left fds: {fds0} -> {fds1}"
    );
}

/// Item 6c: a shim limited to 64 fds survives 80 timed-out waits.
#[test]
fn item06c_a_shim_with_64_fds_survives_80_timed_out_waits() {
    let _gate = shared();
    let ct = Ct::new("fd64");
    let out = run(
        Command::new("sh")
            .env(lxc_tests::SYSCONF_ENV, &ct.sysconf)
            .arg("-c")
            .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
            .arg(bin("lxc-execute"))
            .arg("-n")
            .arg(&ct.name)
            .arg("-P")
            .arg(&ct.lxcpath)
            .args(["-d", "--", "sleep", "1000"]),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shim = shim_pid(&ct);
    let limits = std::fs::read_to_string(format!("/proc/{shim}/limits")).unwrap();
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.split_whitespace().nth(3) == Some("64")),
        "the shim's fd limit is not 64:\n{limits}"
    );
    let fds0 = fd_count(shim);
    let mut slow = None;
    for i in 0..80 {
        let t = Instant::now();
        let r = run_within(
            &mut ct.command("wait", &["-s", "FROZEN", "-t", "0"]),
            Duration::from_secs(8),
        );
        if r.is_err() || t.elapsed() > Duration::from_secs(4) {
            slow = Some(format!("lxc-wait number {i} took {:?}: {r:?}", t.elapsed()));
            break;
        }
    }
    eprintln!(
        "80 lxc-wait -t 0 with ulimit -n 64: shim fds {fds0} -> {}",
        fd_count(shim)
    );
    let state = run_within(&mut ct.command("state", &[]), Duration::from_secs(8));
    let state_ok = matches!(&state, Ok(o) if stdout(o).trim() == "RUNNING");
    let t = Instant::now();
    let stop = run_within(&mut ct.command("stop", &["-k"]), Duration::from_secs(10));
    let stop_ok = matches!(&stop, Ok(o) if code(o) == 0);
    assert!(
        state_ok && stop_ok,
        "after 80 timed-out waits: lxc-state {state:?}; lxc-stop -k after {:?}: {stop:?}; {}",
        t.elapsed(),
        slow.unwrap_or_default()
    );
}

/// Item 6d: `wait` requests with 1 MB ids are refused (`id` null) and their memory returns.
#[test]
fn item06d_megabyte_ids_are_refused_and_memory_returns() {
    let _gate = shared();
    let ct = Ct::new("bigid");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let sock = ct.run_dir().join("control.sock");
    let (fds0, rss0) = (fd_count(shim), rss_kib(shim));
    let line = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":\"{}\",\"method\":\"wait\"}}\n",
        "i".repeat(1_000_000)
    );
    let mut conns = Vec::new();
    for _ in 0..200 {
        let mut s = UnixStream::connect(&sock).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        // A shim that closes the connection after its answer may do so before all is sent.
        let _ = s.write_all(line.as_bytes());
        conns.push(s);
    }
    let rss_full = rss_kib(shim);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut bad = Vec::new();
    for (i, s) in conns.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut answer = String::new();
        let _ = BufReader::new(s).read_line(&mut answer);
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        if !(v["id"].is_null() && v["error"]["code"] == -32600) {
            bad.push(format!(
                "client {i}: {:?}",
                answer.chars().take(200).collect::<String>()
            ));
            if bad.len() > 3 {
                break;
            }
        }
    }
    drop(conns);
    let mut rss1 = rss_kib(shim);
    eventually(Duration::from_secs(2), || {
        rss1 = rss_kib(shim);
        rss1 < rss0 + 32 * 1024
    });
    eprintln!(
        "200 waits with 1 MB ids: shim VmRSS {rss0} -> {rss_full} (connected) -> {rss1} KiB (closed), fds {fds0} -> {}",
        fd_count(shim)
    );
    assert!(
        bad.is_empty(),
        "1 MB ids not answered with an error of id null:\n{}",
        bad.join("\n")
    );
    assert!(
        rss1 < rss0 + 32 * 1024,
        "VmRSS {rss0} -> {rss1} KiB after the clients closed"
    );
    assert_eq!(ct.state(), "RUNNING");
}

/// Item 6e: 200 clients each sending 1 MiB without a newline: the shim's input buffering has
/// a ceiling and it still answers.
#[test]
fn item06e_unterminated_megabyte_lines_have_a_ceiling() {
    let _gate = shared();
    let ct = Ct::new("noeol");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let sock = ct.run_dir().join("control.sock");
    let (fds0, rss0) = (fd_count(shim), rss_kib(shim));
    let chunk = vec![b'x'; 1 << 20];
    let mut conns: Vec<(UnixStream, usize)> = (0..200)
        .map(|_| {
            let s = UnixStream::connect(&sock).unwrap();
            s.set_nonblocking(true).unwrap();
            (s, 0)
        })
        .collect();
    let mut peak = rss0;
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        let mut pending = false;
        for (s, sent) in conns.iter_mut() {
            while *sent < chunk.len() {
                match s.write(&chunk[*sent..]) {
                    Ok(n) => *sent += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        pending = true;
                        break;
                    }
                    Err(_) => {
                        *sent = chunk.len(); // dropped by the shim: fine
                    }
                }
            }
        }
        peak = peak.max(rss_kib(shim));
        if !pending {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..10 {
        peak = peak.max(rss_kib(shim));
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent: usize = conns.iter().map(|c| c.1).sum();
    let t = Instant::now();
    let state = run_within(&mut ct.command("state", &[]), Duration::from_secs(8));
    let took = t.elapsed();
    eprintln!(
        "200 clients x 1 MiB without newline ({sent} bytes taken): shim VmRSS {rss0} -> peak {peak} KiB, fds {fds0} -> {}; lxc-state in {took:?}",
        fd_count(shim)
    );
    drop(conns);
    assert!(
        peak < rss0 + 48 * 1024,
        "VmRSS {rss0} -> {peak} KiB during the flood"
    );
    assert!(
        matches!(&state, Ok(o) if stdout(o).trim() == "RUNNING") && took < Duration::from_secs(5),
        "lxc-state during the flood, after {took:?}: {state:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 7: a CLI never hangs.

/// Holds connections until its stdin closes: non-blocking connects to argv[1] until EAGAIN
/// (at most argv[2]), then prints how many succeeded and why it stopped.
const FILL_BACKLOG: &str = r#"
import errno, resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
path, cap = sys.argv[1], int(sys.argv[2])
held, why = [], "cap"
for _ in range(cap):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        why = errno.errorcode.get(e.errno, str(e.errno))
        break
    held.append(s)
print(len(held), why, flush=True)
sys.stdin.read()
"#;

/// Item 7: a stopped shim with a full listen backlog: `lxc-state` gives up after its
/// deadline instead of hanging in connect().
#[test]
fn item07_a_full_backlog_gives_a_deadline_error_not_a_hang() {
    let _gate = exclusive();
    let ct = Ct::new("backlog");
    ct.start_detached("sleep 1000");
    let shim = shim_pid(&ct);
    let sock = ct.run_dir().join("control.sock");
    let _cont = ContGuard(shim);
    signal(shim, "STOP");
    let mut filler = Kid(Command::new("python3")
        .arg("-c")
        .arg(FILL_BACKLOG)
        .arg(&sock)
        .arg("5000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap());
    let report = lines_of(filler.0.stdout.take().unwrap())
        .recv_timeout(Duration::from_secs(20))
        .expect("the backlog filler said nothing");
    eprintln!("backlog filler: {report} (connections held, reason it stopped)");
    assert!(
        report.ends_with("EAGAIN"),
        "the backlog never filled: {report}"
    );
    let t = Instant::now();
    let out = run_within(&mut ct.command("state", &[]), Duration::from_secs(8));
    let took = t.elapsed();
    let out = out.unwrap_or_else(|e| panic!("lxc-state with a full backlog: {e}"));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer from its shim in 5 s"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    drop(filler);
    signal(shim, "CONT");
    assert!(
        eventually(Duration::from_secs(10), || ct.state() == "RUNNING"),
        "the container did not come back"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 8: a killed shim of a frozen v1 container leaves nothing.

/// On drop: thaws the v1 freezer cgroup and SIGKILLs the recorded processes (by pid and start
/// time), so a failing test leaves no frozen process on the host.
struct ThawGuard {
    freezer: PathBuf,
    procs: Vec<(i32, u64)>,
}

impl Drop for ThawGuard {
    fn drop(&mut self) {
        for (pid, start) in &self.procs {
            if start_time(*pid) == Some(*start) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
        let _ = std::fs::write(self.freezer.join("freezer.state"), "THAWED");
        let gone = || self.procs.iter().all(|(p, s)| start_time(*p) != Some(*s));
        eventually(Duration::from_secs(5), gone);
    }
}

/// Item 8: SIGKILL the shim of a container frozen through the v1 freezer: the next look
/// finds it stopped, its processes gone, its cgroups and run dir removed, and it starts again.
#[test]
fn item08_a_killed_shim_of_a_frozen_v1_container_leaves_nothing() {
    let _gate = shared();
    let ct = Ct::new("frozenkill");
    let out = run(
        ct.command(
            "execute",
            &["-d", "--", "sh", "-c", "sleep 1000 & sleep 1000"],
        )
        .env("LXC_CGROUP_PREFER", "v1"),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut pids: Vec<i32> = Vec::new();
    let two_sleeps = eventually(Duration::from_secs(5), || {
        let out = ct.lxc("ps", &["--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let procs = v["processes"].as_array().cloned().unwrap_or_default();
        pids = procs
            .iter()
            .map(|p| p["pid"].as_i64().unwrap() as i32)
            .collect();
        procs.iter().filter(|p| p["cmd"] == "sleep 1000").count() == 2
    });
    assert!(two_sleeps, "never saw both sleeps: {pids:?}");
    let procs: Vec<(i32, u64)> = pids
        .iter()
        .filter_map(|p| Some((*p, start_time(*p)?)))
        .collect();
    let _thaw = ThawGuard {
        freezer: cgroup_of(&ct, "/freezer/"),
        procs: procs.clone(),
    };
    let out = ct.lxc("freeze", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "FROZEN");
    let shim = shim_pid(&ct);
    signal(shim, "KILL");

    let mut last = String::new();
    let stopped = eventually(Duration::from_secs(10), || {
        let out = ct.lxc("state", &[]);
        last = format!(
            "exit {} stdout {:?} stderr {:?}",
            code(&out),
            stdout(&out),
            stderr(&out)
        );
        (code(&out) == 0 && stdout(&out).trim() == "STOPPED")
            || (code(&out) == 1 && stderr(&out).contains("doesn't exist"))
    });
    assert!(stopped, "lxc-state after the shim was killed: {last}");
    let mut alive = Vec::new();
    eventually(Duration::from_secs(5), || {
        alive = procs
            .iter()
            .filter(|(p, s)| start_time(*p) == Some(*s))
            .map(|(p, _)| {
                let st = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
                format!("{p}: {}", st.split_whitespace().nth(2).unwrap_or("?"))
            })
            .collect();
        alive.is_empty()
    });
    assert!(
        alive.is_empty(),
        "the container's processes outlived its shim (pid: state): {alive:?}"
    );
    assert_eq!(ct.cgroup_dirs(), Vec::<PathBuf>::new(), "cgroups left");
    assert!(!ct.run_dir().exists(), "run dir left");
    ct.start_detached("sleep 1000");
    assert_eq!(ct.state(), "RUNNING");
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 9: a CLI whose shim died exits 137.

/// Item 9: a foreground lxc-execute whose shim is SIGKILLed exits 137 and says why.
#[test]
fn item09_an_execute_whose_shim_died_exits_137() {
    let _gate = shared();
    let ct = Ct::new("shimdied");
    let child = ct.spawn_execute(&["--", "sleep", "1000"]);
    ct.wait_running();
    let shim = shim_pid(&ct);
    signal(shim, "KILL");
    let out = wait_output(child, Duration::from_secs(10));
    assert_eq!(code(&out), 137, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("its shim died"),
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 10: a stop that finds the container stopped succeeds.

/// Item 10: `lxc-execute -d -- sleep 0.2` (v1 path), then twenty concurrent `lxc-stop -t 5`,
/// forty times. A stop that reached the shim and then found the container stopped (the shim
/// gone with its answer, today "its shim closed the connection") must exit 0. A stop that
/// starts only after the container was gone finds it not running and exits 2, as LXC's
/// lxc-stop does (control.rs `unknown_names_and_stopped_containers`): those are counted and
/// shown, not failed.
#[test]
fn item10_stops_racing_the_end_of_a_container_all_succeed() {
    let _gate = shared();
    let ct = Ct::new("stoprace");
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    for round in 0..40 {
        let out = run(
            ct.command("execute", &["-d", "--", "sleep", "0.2"])
                .env("LXC_CGROUP_PREFER", "v1"),
            Duration::from_secs(30),
        );
        assert_eq!(code(&out), 0, "round {round}: {}", stderr(&out));
        let stops: Vec<Child> = (0..20)
            .map(|_| {
                ct.command("stop", &["-t", "5"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for s in stops {
            let out = wait_output(s, Duration::from_secs(20));
            let msg = stderr(&out).trim().replace(&ct.name, "NAME");
            *outcomes
                .entry(format!("exit {}: {msg}", code(&out)))
                .or_default() += 1;
        }
        ct.wait_stopped(Duration::from_secs(10));
    }
    eprintln!("800 racing stops: {outcomes:#?}");
    let failed: Vec<(&String, &usize)> = outcomes
        .iter()
        .filter(|(k, _)| !k.starts_with("exit 0") && *k != "exit 2: lxc-stop: NAME is not running")
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 800 stops failed: {failed:#?}",
        failed.iter().map(|f| *f.1).sum::<usize>()
    );
    ct.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 11: configs and fstabs are regular files of bounded size.

/// Does `s` state a size (a number with a unit)?
fn names_a_size(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && ["KiB", "MiB", "kB", "KB", "MB", "byte"]
            .iter()
            .any(|u| s.contains(u))
}

/// Item 11: a FIFO, /dev/zero or a directory as config or fstab: an error naming the file
/// within 5 s; a 20 MB config: refused, naming the limit.
#[test]
fn item11_configs_and_fstabs_must_be_bounded_regular_files() {
    let _gate = shared();
    let ct = Ct::new("fifo");
    let fifo = tmp(&ct, "fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success(), "mkfifo");
    let fstab_conf = tmp(&ct, "fstab.conf");
    std::fs::write(
        &fstab_conf,
        format!("lxc.mount.fstab = {}\n", fifo.display()),
    )
    .unwrap();
    let dir = tmp(&ct, "a-dir");
    std::fs::create_dir(&dir).unwrap();
    let big = tmp(&ct, "big.conf");
    let line = format!("# {}\n", "x".repeat(97));
    std::fs::write(&big, line.repeat(200_000)).unwrap(); // 20 MB of comments
    let (fifo_s, fstab_s, dir_s, big_s) = (
        fifo.to_str().unwrap(),
        fstab_conf.to_str().unwrap(),
        dir.to_str().unwrap(),
        big.to_str().unwrap(),
    );
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("create", vec!["-f", fifo_s], fifo_s),
        ("execute", vec!["-f", fifo_s, "--", "true"], fifo_s),
        ("execute", vec!["-f", fstab_s, "--", "true"], fifo_s),
        ("create", vec!["-f", fstab_s], fifo_s),
        (
            "execute",
            vec!["-f", "/dev/zero", "--", "true"],
            "/dev/zero",
        ),
        ("create", vec!["-f", "/dev/zero"], "/dev/zero"),
        ("execute", vec!["-f", dir_s, "--", "true"], dir_s),
        ("create", vec!["-f", dir_s], dir_s),
        ("execute", vec!["-f", big_s, "--", "true"], big_s),
        ("create", vec!["-f", big_s], big_s),
    ];
    let mut failures = Vec::new();
    for (cmd, args, file) in &cases {
        let what = format!("lxc-{cmd} {}", args.join(" "));
        let t = Instant::now();
        match run_within(&mut ct.command(cmd, args), Duration::from_secs(5)) {
            Err(e) => failures.push(format!("{what}: {e}")),
            Ok(out) => {
                let err = stderr(&out);
                let short = err.chars().take(300).collect::<String>();
                if code(&out) == 0 {
                    failures.push(format!("{what}: exit 0 after {:?}", t.elapsed()));
                } else if !err.contains(file) {
                    failures.push(format!("{what}: does not name {file}: {short}"));
                } else if *file == big_s && !names_a_size(&err) {
                    failures.push(format!("{what}: does not name the size limit: {short}"));
                }
            }
        }
        // A create that wrongly succeeded must not make the next one fail for another reason.
        let _ = std::fs::remove_dir_all(ct.lxcpath.join(&ct.name));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 12: no panics, strict state lists.

/// Item 12: huge `-t` values mean "forever" (or a usage error), never a panic; `-s` lists are
/// strict and case-insensitive.
#[test]
fn item12_huge_timeouts_do_not_panic_and_state_lists_are_strict() {
    let _gate = shared();
    let ct = Ct::new("huget");
    ct.start_detached("trap 'exit 0' TERM; while :; do sleep 0.05; done");
    let mut failures = Vec::new();
    let out = ct.lxc("wait", &["-s", "RUNNING", "-t", "9223372036854775807"]);
    if code(&out) != 0 {
        failures.push(format!(
            "lxc-wait -s RUNNING -t 9223372036854775807: exit {}: {}",
            code(&out),
            stderr(&out).lines().take(3).collect::<Vec<_>>().join(" | ")
        ));
    }
    for bad in ["BOGUS", "", "RUNNING|", "|"] {
        let out = ct.lxc("wait", &["-s", bad, "-t", "1"]);
        if code(&out) != 2 {
            failures.push(format!("lxc-wait -s {bad:?}: exit {}", code(&out)));
        }
    }
    let out = ct.lxc("wait", &["-s", "running", "-t", "5"]);
    if code(&out) != 0 {
        failures.push(format!(
            "lxc-wait -s running: exit {}: {}",
            code(&out),
            stderr(&out)
        ));
    }
    let out = ct.lxc("stop", &["-t", "18446744073709551615"]);
    if code(&out) != 0 {
        failures.push(format!(
            "lxc-stop -t 18446744073709551615: exit {}: {}",
            code(&out),
            stderr(&out).lines().take(3).collect::<Vec<_>>().join(" | ")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 13: short error messages.

/// Item 13: a 500 000-character hostname is refused in well under 1000 bytes of stderr.
#[test]
fn item13_a_huge_config_value_is_not_echoed() {
    let _gate = shared();
    let ct = Ct::new("hugeval");
    let conf = tmp(&ct, "huge.conf");
    std::fs::write(&conf, format!("lxc.uts.name = {}\n", "a".repeat(500_000))).unwrap();
    let out = run_within(
        &mut ct.command("execute", &["-f", conf.to_str().unwrap(), "--", "true"]),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|e| panic!("lxc-execute with a 500 000-character hostname: {e}"));
    assert_ne!(code(&out), 0, "a 500 000-character hostname was accepted");
    assert!(
        out.stderr.len() < 1000,
        "stderr of {} bytes: {}",
        out.stderr.len(),
        clip(&stderr(&out))
    );
    ct.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// Issue 9, item 14: log files and run directories cannot be planted.

/// Item 14: `-o LOG` where LOG is a symlink planted in a sticky directory: refused, naming the
/// log file, the target untouched; a fresh log file is 0600.
#[test]
fn item14_a_planted_log_symlink_is_not_followed_and_logs_are_private() {
    let _gate = shared();
    let ct = Ct::new("logplant");
    ct.start_detached("sleep 1000");
    let sticky = tmp(&ct, "sticky");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let target = sticky.join("target");
    let content = "known content: not a log\n";
    std::fs::write(&target, content).unwrap();
    let log = sticky.join("log");
    std::os::unix::fs::symlink(&target, &log).unwrap();
    let log_s = log.to_str().unwrap();
    let mut failures = Vec::new();
    for extra in [vec![], vec!["-l", "DEBUG"]] {
        let mut args = vec!["-o", log_s];
        args.extend(extra);
        let out = ct.lxc("state", &args);
        let what = format!("lxc-state {}", args.join(" "));
        if code(&out) == 0 {
            failures.push(format!("{what}: exit 0"));
        } else if !stderr(&out).contains(log_s) {
            failures.push(format!("{what}: does not name {log_s}: {}", stderr(&out)));
        }
        let now = std::fs::read_to_string(&target).unwrap();
        if now != content {
            failures.push(format!("{what}: the target now reads {now:?}"));
        }
    }
    let fresh = sticky.join("fresh.log");
    let _ = ct.lxc("state", &["-o", fresh.to_str().unwrap(), "-l", "DEBUG"]);
    match std::fs::metadata(&fresh) {
        Ok(m) if m.permissions().mode() & 0o7777 == 0o600 => {}
        Ok(m) => failures.push(format!(
            "a fresh log file has mode {:o}",
            m.permissions().mode() & 0o7777
        )),
        Err(e) => failures.push(format!("no fresh log file: {e}")),
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ct.state(), "RUNNING");
}

/// Item 14: a run directory `/var/run/lxc/NAME` that is a symlink is refused and nothing is
/// created where it points.
#[test]
fn item14_a_symlinked_run_directory_is_refused() {
    let _gate = shared();
    let ct = Ct::new("runplant");
    let target = tmp(&ct, "planted-run");
    std::fs::create_dir(&target).unwrap();
    let rundir = ct.run_dir();
    std::fs::create_dir_all(rundir.parent().unwrap()).unwrap();
    assert!(
        rundir.symlink_metadata().is_err(),
        "{} exists already",
        rundir.display()
    );
    std::os::unix::fs::symlink(&target, &rundir).unwrap();
    let _unlink = RemoveGuard(rundir.clone());
    let out = ct.execute(&["--", "true"]);
    let made: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_ne!(
        code(&out),
        0,
        "lxc-execute used the symlinked run dir {} -> {}",
        rundir.display(),
        target.display()
    );
    assert!(made.is_empty(), "created in the link's target: {made:?}");
}
