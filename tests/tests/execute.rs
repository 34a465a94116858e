//! lxc-execute end to end: exit codes, stdio relay, namespaces, hostname, cgroups, the shim's
//! detachment and death, double starts, signals, logging.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn exit_codes() {
    let ct = Ct::new("exit");
    for (script, want) in [
        ("true", 0),
        ("exit 7", 7),
        ("kill -9 $$", 137),
        ("kill -TERM $$", 143),
    ] {
        let out = ct.execute(&["--", "sh", "-c", script]);
        assert_eq!(code(&out), want, "{script}: {}", stderr(&out));
    }
    let out = ct.execute(&["--", "/nonexistent/cmd"]);
    assert_eq!(code(&out), 127);
    assert!(
        stderr(&out).contains("/nonexistent/cmd"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let plain = ct.lxcpath.join("not-executable");
    std::fs::write(&plain, "data\n").unwrap();
    let out = ct.execute(&["--", plain.to_str().unwrap()]);
    assert_eq!(code(&out), 126, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn stdio_is_relayed() {
    let ct = Ct::new("stdio");
    let mut child = ct
        .command("execute", &["--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a\nb\n").unwrap();
    let out = wait_output(child, Duration::from_secs(30));
    assert_eq!(stdout(&out), "a\nb\n");
    assert_eq!(code(&out), 0);

    let out = ct.execute(&["--", "sh", "-c", "echo out; echo err >&2"]);
    assert_eq!(stdout(&out), "out\n");
    assert_eq!(stderr(&out), "err\n");
}

#[test]
fn namespaces_hostname_and_proc() {
    let ct = Ct::new("ns");
    let out = ct.execute(&[
        "--",
        "sh",
        "-c",
        "for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done; hostname; echo $$; ls -d /proc/[0-9]* | wc -l",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    for (i, ns) in ["pid", "mnt", "uts", "ipc"].iter().enumerate() {
        let host = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        assert_ne!(
            lines[i],
            host.to_str().unwrap(),
            "{ns} namespace is the host's"
        );
    }
    // The default config makes no network namespace (the spec: only with network keys).
    let host_net = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_eq!(lines[4], host_net.to_str().unwrap());
    assert_eq!(lines[5], ct.name, "hostname");
    assert_eq!(lines[6], "2", "COMMAND is pid 2 under our init");
    // init, sh, ls: the container's /proc shows its own processes only.
    let n: usize = lines[7].trim().parse().unwrap();
    assert!(n <= 4, "container /proc shows {n} processes: {text}");

    let out = ct.execute(&["-s", "lxc.uts.name=virtnode", "--", "hostname"]);
    assert_eq!(stdout(&out).trim(), "virtnode");
}

#[test]
fn cgroup_holds_every_process_and_goes_away() {
    let ct = Ct::new("cg");
    // Inside, the container's own cgroup is the root of its cgroup namespace.
    let out = ct.execute(&[
        "--",
        "sh",
        "-c",
        "sleep 0 & cat /proc/self/cgroup; cat /proc/1/cgroup",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2 * own.lines().count());
    for line in text.lines() {
        assert!(line.ends_with(":/"), "not its namespace's root: {line}");
    }
    // Seen from the host, every process is in <own>/lxc/NAME in every hierarchy.
    ct.start_detached("sleep 1000 & sleep 1000");
    // RUNNING is COMMAND's exec: sh forks its sleeps a moment later.
    let deadline = Instant::now() + Duration::from_secs(5);
    let pids = loop {
        let ps = ct.lxc("ps", &["--json"]);
        let v: serde_json::Value = serde_json::from_slice(&ps.stdout).unwrap();
        let pids: Vec<i64> = v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pid"].as_i64().unwrap())
            .collect();
        if pids.len() == 4 || Instant::now() > deadline {
            assert_eq!(pids.len(), 4, "init, sh and two sleeps: {v}");
            break pids;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    for pid in pids {
        let theirs = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        for (line, host) in theirs.lines().zip(own.lines()) {
            let (hier, path) = line.rsplit_once(':').unwrap();
            let (_, host_path) = host.rsplit_once(':').unwrap();
            let want = format!(
                "{}/lxc/{}",
                host_path.trim_end_matches('/'),
                ct.cgroup_name()
            );
            assert_eq!(path, want, "{hier}: {line}");
        }
    }
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn create_then_two_runs_then_destroy() {
    let ct = Ct::new("create");
    let conf = ct.lxcpath.join("in.conf");
    std::fs::write(&conf, "# test\nlxc.utsname = fromconf\n").unwrap();
    let out = ct.lxc("create", &["-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stored = ct.lxcpath.join(&ct.name).join("config");
    // Stored in modern keys (as LXC 5 reads them), comments kept.
    assert_eq!(
        std::fs::read_to_string(&stored).unwrap(),
        "# test\nlxc.uts.name = fromconf\n"
    );
    assert_eq!(ct.state(), "STOPPED");
    for _ in 0..2 {
        let out = ct.execute(&["--", "hostname"]);
        assert_eq!(stdout(&out).trim(), "fromconf");
    }
    let out = ct.lxc("create", &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!ct.lxcpath.join(&ct.name).exists());
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("{} doesn't exist", ct.name)),
        "{}",
        stderr(&out)
    );
    let out = ct.lxc("state", &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("doesn't exist"));
}

#[test]
fn destroy_refuses_a_running_container_unless_forced() {
    let ct = Ct::new("destroy");
    assert_eq!(code(&ct.lxc("create", &[])), 0);
    ct.start_detached("sleep 60");
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("running"), "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let out = ct.lxc("destroy", &["-f"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!ct.lxcpath.join(&ct.name).exists());
    ct.assert_clean();
}

#[test]
fn detached_state_info_and_runtime_dir() {
    use std::os::unix::fs::PermissionsExt;
    let ct = Ct::new("info");
    assert_eq!(code(&ct.lxc("state", &[])), 1);
    ct.start_detached("sleep 60");
    assert_eq!(ct.state(), "RUNNING");
    let out = ct.lxc("info", &[]);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "Name:           {}\nState:          RUNNING\nPID:",
            ct.name
        )),
        "{text}"
    );
    let info = ct.info().unwrap();
    let pid = info["pid"].as_i64().unwrap();
    assert_eq!(
        stdout(&ct.lxc("info", &["-p"])).trim(),
        format!("PID:            {pid}")
    );
    assert_eq!(
        stdout(&ct.lxc("info", &["-s"])).trim(),
        "State:          RUNNING"
    );
    assert_eq!(info["command"], serde_json::json!(["sh", "-c", "sleep 60"]));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&ct.run_dir()), 0o700);
    assert_eq!(mode(&ct.run_dir().join("control.sock")), 0o600);
    // The shim is detached: own session, no terminal, not our child.
    let shim = info["shim_pid"].as_i64().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{shim}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // stat fields after the name: state ppid pgrp session tty_nr ...
    let own = std::fs::read_to_string("/proc/self/stat").unwrap();
    let own_sid = own
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(3)
        .unwrap()
        .to_string();
    assert_ne!(fields[3], own_sid, "the shim has a session of its own");
    assert_ne!(
        fields[3],
        shim.to_string(),
        "not a session leader: it can never get a terminal"
    );
    assert_eq!(fields[4], "0", "no controlling terminal");
    assert_ne!(fields[1], std::process::id().to_string());
    // Issue 10: -f stops a running container that was never stored (nothing else to remove).
    let out = ct.lxc("destroy", &["-f"]);
    assert_eq!(
        code(&out),
        0,
        "destroy -f of a never-created container: {}",
        stderr(&out)
    );
    assert!(!ct.run_dir().exists(), "stopped and cleaned up");
    let out = ct.lxc("destroy", &["-f"]);
    assert_eq!(code(&out), 1, "now it doesn't exist: {}", stderr(&out));
    assert!(stderr(&out).contains("doesn't exist"), "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn container_survives_sigkill_of_lxc_execute() {
    let ct = Ct::new("clikill");
    let mut child = ct
        .command("execute", &["--", "sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    ct.wait_running();
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ct.state(), "RUNNING");
}

#[test]
fn shim_sigkill_leaves_no_survivors_and_allows_restart() {
    let ct = Ct::new("shimkill");
    ct.start_detached("sleep 60 & sleep 60 & wait");
    let info = ct.info().unwrap();
    let shim = info["shim_pid"].as_i64().unwrap() as i32;
    let init = info["pid"].as_i64().unwrap() as i32;
    let members: Vec<i32> = ct
        .cgroup_dirs()
        .iter()
        .flat_map(|d| {
            std::fs::read_to_string(d.join("cgroup.procs"))
                .unwrap_or_default()
                .lines()
                .map(|l| l.parse().unwrap())
                .collect::<Vec<i32>>()
        })
        .collect();
    assert!(
        members.len() >= 4,
        "init, sh and two sleeps in the cgroup: {members:?}"
    );
    kill_if_ours(shim, &ct.run_dir());
    let deadline = Instant::now() + Duration::from_secs(10);
    for pid in members.iter().chain([&init]) {
        while std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z")
        {
            assert!(Instant::now() < deadline, "pid {pid} survived its shim");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert_eq!(
        ct.state(),
        "",
        "an uncreated container is unknown once stopped"
    );
    ct.assert_clean();
    let out = ct.execute(&["--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn double_start_has_exactly_one_winner() {
    let ct = Ct::new("double");
    for round in 0..5 {
        let a = ct
            .command("execute", &["-d", "--", "sleep", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = ct
            .command("execute", &["-d", "--", "sleep", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (oa, ob) = (
            wait_output(a, Duration::from_secs(30)),
            wait_output(b, Duration::from_secs(30)),
        );
        let mut codes = [code(&oa), code(&ob)];
        codes.sort();
        assert_eq!(
            codes,
            [0, 125],
            "round {round}: {} / {}",
            stderr(&oa),
            stderr(&ob)
        );
        let loser = if code(&oa) == 0 { &ob } else { &oa };
        assert!(
            stderr(loser).contains(&format!("{} is already running", ct.name)),
            "{}",
            stderr(loser)
        );
        let out = ct.execute(&["--", "true"]);
        assert_eq!(code(&out), 125);
        // Not created: destroy -f stops it all the same.
        let out = ct.lxc("destroy", &["-f"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        ct.wait_stopped_or_clean();
    }
}

#[test]
fn signals_to_lxc_execute_reach_command() {
    let ct = Ct::new("sig");
    let script = "got=0; for s in INT TERM HUP QUIT USR1 USR2; do trap \"echo got $s; got=\\$((got+1))\" $s; done; \
                  echo ready; while [ $got -lt 6 ]; do sleep 0.02; done; exit 5";
    let mut child = ct.spawn_execute(&["--", "sh", "-c", script]);
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut buf = [0u8; 6];
    stdout_pipe.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    for sig in ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2"] {
        let st = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(60));
    }
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stdout_pipe.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(5), "{rest}");
    for sig in ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2"] {
        assert!(
            rest.contains(&format!("got {sig}")),
            "{sig} not forwarded: {rest}"
        );
    }
}

#[test]
fn log_file_records_shim_and_command() {
    let ct = Ct::new("log");
    let log = ct.lxcpath.join("ct.log");
    let out = ct.execute(&["-o", log.to_str().unwrap(), "-l", "DEBUG", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(&format!("name={}", ct.name)), "{text}");
    assert!(
        text.contains("state RUNNING -> STOPPING") || text.contains("STOPPING"),
        "{text}"
    );
    let out = ct.execute(&["-l", "LOUD", "--", "true"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn detached_then_wait_over_the_socket_gives_the_status() {
    let ct = Ct::new("wait");
    ct.start_detached("sleep 0.3; exit 9");
    let sock = ct.run_dir().join("control.sock");
    let answer = socket_roundtrip(
        &sock,
        b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"wait\"}\n",
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["id"], 7);
    assert_eq!(v["result"]["state"], "STOPPED");
    assert_eq!(v["result"]["exit"]["code"], 9);
    ct.wait_stopped(Duration::from_secs(5));
    ct.assert_clean();
}

#[test]
fn sigint_interrupts_commands_group_like_ctrl_c() {
    let ct = Ct::new("ctrlc");
    let child = ct.spawn_execute(&["--", "sh", "-c", "echo ready; sleep 30; echo not-reached"]);
    ct.wait_running();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let st = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    assert!(st.unwrap().success());
    let out = wait_output(child, Duration::from_secs(10));
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "sleep was not interrupted"
    );
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert_eq!(stdout(&out), "ready\n");
}

#[test]
fn only_root_reaches_the_control_socket() {
    let ct = Ct::new("perm");
    ct.start_detached("sleep 60");
    // A process of another uid cannot even reach the socket (directory 0700, socket 0600); the
    // shim also checks SO_PEERCRED of every connection. (The lxc-* commands refuse such a user
    // before they try: options.rs.)
    let sock = ct.run_dir().join("control.sock");
    let out = run(
        std::process::Command::new("setpriv")
            .env(lxc_tests::SYSCONF_ENV, &ct.sysconf)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            // Debian's own python: one under /root is not another user's to run.
            .args(["/usr/bin/python3", "-c"])
            .arg("import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])")
            .arg(&sock),
        Duration::from_secs(10),
    );
    assert_ne!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("PermissionError"), "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
}

/// Once COMMAND runs, the container's pid 1 is lxc-init, executed from its execute-only file in
/// the run directories' base (a few pages of its own, not a copy of the shim): non-dumpable (a
/// root COMMAND without CAP_SYS_PTRACE cannot attach to it), it still reaps orphans,
/// and nothing in the log says it could not be executed.
#[test]
fn pid1_is_the_small_lxc_init_and_reaps_orphans() {
    let ct = Ct::new("init1");
    let log = ct.lxcpath.join("ct.log");
    let script = "cat /proc/1/comm; readlink /proc/1/exe; \
                  awk '/^VmRSS:/ {print $2}' /proc/1/status; \
                  setpriv --bounding-set=-sys_ptrace python3 -c 'import ctypes; \
                  l = ctypes.CDLL(None, use_errno=True); \
                  print(\"attached\" if l.ptrace(16, 1, 0, 0) == 0 else ctypes.get_errno())'; \
                  (sleep 0.1 &); sleep 0.4; \
                  for p in /proc/[0-9]*; do sed -n 's/^State: *Z.*/zombie/p' $p/status; done; echo end";
    let out = ct.execute(&[
        "-o",
        log.to_str().unwrap(),
        "-l",
        "INFO",
        "--",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"lxc-init"), "{text}");
    let exe = lines.get(1).copied().unwrap_or_default();
    assert!(exe.contains("/.lxc-init-"), "{text}");
    let meta = std::fs::metadata(exe).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
        0o111
    );
    // A copy of the shim is well over a megabyte resident; lxc-init is a few pages.
    let rss: u64 = lines.get(2).and_then(|l| l.parse().ok()).unwrap();
    assert!(rss < 256, "pid 1 has {rss} kB resident: {text}");
    assert_eq!(
        lines.get(3),
        Some(&"1"),
        "ptrace of pid 1 not refused with EPERM: {text}"
    );
    assert!(!text.contains("zombie"), "an orphan was not reaped: {text}");
    assert_eq!(lines.last(), Some(&"end"), "{text}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains("lxc-init"), "{logged}");
}
