//! Controlling running containers through their shims: lxc-stop, lxc-kill, lxc-freeze,
//! lxc-unfreeze, lxc-monitor, lxc-wait, lxc-ps, lxc-ls, and the socket's subscribe.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn counter(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Freeze stops a process that writes a counter, thaw resumes it; both twice is harmless.
fn freeze_and_thaw(ct: &Ct) {
    let file = ct.lxcpath.join("counter");
    ct.start_detached(&format!(
        "i=0; while :; do i=$((i+1)); echo $i > {}; sleep 0.01; done",
        file.display()
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(&file) < 3 {
        assert!(Instant::now() < deadline, "counter never moved");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(ct.state(), "FROZEN");
    let a = counter(&file);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counter(&file), a, "counter moved while frozen");
    let out = ct.lxc("freeze", &[]);
    assert_eq!(
        code(&out),
        0,
        "freezing a frozen container: {}",
        stderr(&out)
    );
    assert_eq!(ct.state(), "FROZEN");
    assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    assert_eq!(ct.state(), "RUNNING");
    let deadline = Instant::now() + Duration::from_secs(5);
    while counter(&file) <= a {
        assert!(
            Instant::now() < deadline,
            "counter did not resume after thaw"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = ct.lxc("unfreeze", &[]);
    assert_eq!(
        code(&out),
        0,
        "thawing a running container: {}",
        stderr(&out)
    );
    assert_eq!(ct.state(), "RUNNING");
}

#[test]
fn freeze_and_thaw_cgroup2() {
    let ct = Ct::new("freeze2");
    freeze_and_thaw(&ct);
    let info = ct.info().unwrap();
    let unified = info["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.as_str().unwrap().contains("/unified/"))
        .unwrap();
    let events =
        std::fs::read_to_string(format!("{}/cgroup.events", unified.as_str().unwrap())).unwrap();
    assert!(events.contains("frozen 0"), "{events}");
}

#[test]
fn freeze_and_thaw_v1_freezer() {
    let ct = Ct::new("freeze1");
    let file = ct.lxcpath.join("counter");
    let out = run(
        ct.command(
            "execute",
            &[
                "-d",
                "--",
                "sh",
                "-c",
                &format!(
                    "i=0; while :; do i=$((i+1)); echo $i > {}; sleep 0.01; done",
                    file.display()
                ),
            ],
        )
        .env("LXC_CGROUP_PREFER", "v1"),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::thread::sleep(Duration::from_millis(100));
    let out = ct.lxc("freeze", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let info = ct.info().unwrap();
    let freezer = info["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.as_str().unwrap().contains("/freezer/"))
        .unwrap();
    let state =
        std::fs::read_to_string(format!("{}/freezer.state", freezer.as_str().unwrap())).unwrap();
    assert_eq!(state.trim(), "FROZEN");
    let a = counter(&file);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counter(&file), a);
    assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    let state =
        std::fs::read_to_string(format!("{}/freezer.state", freezer.as_str().unwrap())).unwrap();
    assert_eq!(state.trim(), "THAWED");
    // The v1 kill loop: freeze, SIGKILL every member, thaw.
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

/// The v1 freezer tries each task once per request: a shell's vfork parent that was running
/// then and went to wait for its child (frozen as it was born) was never frozen, and the group
/// stayed FREEZING until the freeze timed out (about 1 freeze in 10 here with four vfork
/// loops). The shim asks again on each look, as LXC does.
#[test]
fn v1_freezes_take_with_vfork_parents() {
    let ct = Ct::new("freezevf");
    let out = run(
        ct.command(
            "execute",
            &[
                "-d",
                "--",
                "sh",
                "-c",
                "for i in 1 2 3 4; do (while :; do /bin/true; done) & done; wait",
            ],
        )
        .env("LXC_CGROUP_PREFER", "v1"),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for round in 0..60 {
        let out = ct.lxc("freeze", &["-t", "2"]);
        assert_eq!(code(&out), 0, "freeze {round}: {}", stderr(&out));
        assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    }
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

#[test]
fn kill_fans_out_to_every_process() {
    let ct = Ct::new("killall");
    let marks = ct.lxcpath.join("marks");
    ct.start_detached(&format!(
        "trap 'echo sh >> {m}' USR1; sleep 1000 & sleep 1000 & sleep 1000 & while :; do sleep 0.05; done",
        m = marks.display()
    ));
    std::thread::sleep(Duration::from_millis(200));
    let before = procs(&ct);
    assert_eq!(
        before
            .iter()
            .filter(|c| c.starts_with("sleep 1000"))
            .count(),
        3,
        "{before:?}"
    );
    let out = ct.lxc("kill", &["-s", "USR1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = procs(&ct);
        if now.iter().all(|c| !c.starts_with("sleep 1000"))
            && std::fs::read_to_string(&marks).is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "USR1 did not reach everyone: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        std::fs::read_to_string(&marks).unwrap(),
        "sh\n",
        "the shell got it exactly once"
    );
    assert_eq!(ct.state(), "RUNNING");
    for sig in ["term", "SIGTERM", "15", "TERM"] {
        let out = ct.lxc("kill", &["-s", sig, "--help"]);
        assert_eq!(code(&out), 0, "{sig} parses");
    }
    for bad in ["BOGUS", "0", "65", "-1", ""] {
        let out = ct.lxc("kill", &["-s", bad]);
        assert_eq!(code(&out), 2, "{bad:?} accepted: {}", stderr(&out));
    }
    assert_eq!(ct.state(), "RUNNING", "a bad signal sends nothing");
    assert_eq!(std::fs::read_to_string(&marks).unwrap(), "sh\n");
}

/// CMD column of lxc-ps for the container.
fn procs(ct: &Ct) -> Vec<String> {
    let out = ct.lxc("ps", &["--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cmd"].as_str().unwrap().to_string())
        .collect()
}

/// A container forking as fast as it can, stopped with -k: nothing may be left.
fn stop_a_fork_loop(tag: &str, prefer: Option<&str>) {
    let ct = Ct::new(tag);
    let mut cmd = ct.command(
        "execute",
        &["-d", "--", "sh", "-c", "while :; do sh -c 'sleep 5' & done"],
    );
    if let Some(p) = prefer {
        cmd.env("LXC_CGROUP_PREFER", p);
    }
    let out = run(&mut cmd, Duration::from_secs(30));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::thread::sleep(Duration::from_millis(300));
    let cgroups: Vec<String> = ct.info().unwrap()["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "", "stopped and, never created, unknown");
    for c in cgroups {
        assert!(!std::path::Path::new(&c).exists(), "{c} left");
    }
    ct.assert_clean();
}

#[test]
fn stop_kills_a_fork_loop_and_leaves_nothing() {
    stop_a_fork_loop("forkloop", None);
}

#[test]
fn stop_kills_a_fork_loop_through_the_v1_freezer_too() {
    stop_a_fork_loop("forkloop1", Some("v1"));
}

#[test]
fn stop_graceful_then_forced_and_execute_status() {
    // COMMAND ends by itself within the grace time: lxc-execute gets its status.
    let ct = Ct::new("grace");
    let child = ct.spawn_execute(&[
        "--",
        "sh",
        "-c",
        "trap 'exit 3' TERM; while :; do sleep 0.05; done",
    ]);
    ct.wait_running();
    let out = ct.lxc("stop", &["-t", "10"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&wait_output(child, Duration::from_secs(10))), 3);

    // COMMAND ignores SIGTERM: killed after -t, lxc-execute exits 137.
    let child = ct.spawn_execute(&[
        "--",
        "sh",
        "-c",
        "trap '' TERM; while :; do sleep 0.05; done",
    ]);
    ct.wait_running();
    let t = Instant::now();
    let out = ct.lxc("stop", &["-t", "1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "killed before the grace time"
    );
    assert_eq!(code(&wait_output(child, Duration::from_secs(10))), 137);

    // -k: at once.
    let child = ct.spawn_execute(&["--", "sleep", "60"]);
    ct.wait_running();
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert_eq!(code(&wait_output(child, Duration::from_secs(10))), 137);
    ct.assert_clean();
}

#[test]
fn stop_a_frozen_container() {
    let ct = Ct::new("stopfrozen");
    ct.start_detached("trap 'exit 0' TERM; while :; do sleep 0.05; done");
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(ct.state(), "FROZEN");
    let out = ct.lxc("stop", &["-t", "5"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
    ct.start_detached("sleep 60");
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn monitor_sees_a_one_millisecond_container_and_later_starts() {
    let ct = Ct::new("mon");
    let mut mon = Mon::start(&ct, &ct.name, &[]);
    let out = ct.execute(&["--", "true"]);
    assert_eq!(code(&out), 0);
    let want: Vec<String> = ["STARTING", "RUNNING", "STOPPING", "STOPPED"]
        .iter()
        .map(|s| format!("'{}' changed state to [{s}]", ct.name))
        .collect();
    assert_eq!(mon.lines(4, Duration::from_secs(10)), want);
    // A second run, and a non-matching name of the same lxcpath that must not show.
    let other = Ct::beside("othermon", &ct);
    let _ = other.execute(&["--", "true"]);
    let _ = ct.execute(&["--", "true"]);
    assert_eq!(mon.lines(4, Duration::from_secs(10)), want);
}

#[test]
fn monitor_json_and_quit_on_stop() {
    let ct = Ct::new("monjson");
    let mut mon = Mon::start(&ct, &ct.name, &["--json", "-Q"]);
    let _ = ct.execute(&["--", "sh", "-c", "exit 4"]);
    let lines = mon.lines(4, Duration::from_secs(10));
    assert_eq!(lines.len(), 4, "{lines:?}");
    let evs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (i, (ev, st)) in evs
        .iter()
        .zip(["STARTING", "RUNNING", "STOPPING", "STOPPED"])
        .enumerate()
    {
        assert_eq!(ev["name"], ct.name.as_str());
        assert_eq!(ev["state"], st);
        assert_eq!(ev["seq"], i as u64 + 1);
        assert!(ev["time"].as_f64().unwrap() > 1.0e9);
    }
    assert_eq!(evs[3]["exit"]["code"], 4);
    let status = mon.child.wait().unwrap();
    assert!(status.success(), "-Q exits after STOPPED");
}

#[test]
fn wait_for_states_with_timeout() {
    let ct = Ct::new("wait");
    // Not running: STOPPED is reached already; RUNNING times out.
    assert_eq!(code(&ct.lxc("wait", &["-s", "STOPPED", "-t", "5"])), 0);
    let t = Instant::now();
    let out = ct.lxc("wait", &["-s", "RUNNING|FROZEN", "-t", "1"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(t.elapsed() >= Duration::from_millis(900));
    // A wait that begins before the container starts.
    let waiter = ct
        .command("wait", &["-s", "RUNNING", "-t", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    ct.start_detached("sleep 60");
    assert_eq!(code(&wait_output(waiter, Duration::from_secs(20))), 0);
    // FROZEN through the subscription, STOPPED at the end.
    let waiter = ct
        .command("wait", &["-s", "FROZEN", "-t", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(code(&wait_output(waiter, Duration::from_secs(20))), 0);
    let waiter = ct
        .command("wait", &["-s", "STOPPED"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert_eq!(code(&wait_output(waiter, Duration::from_secs(20))), 0);
    let out = ct.lxc("wait", &["-s", "BOGUS"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn ps_and_ls_with_two_containers_and_with_none() {
    let a = Ct::new("psa");
    let b = Ct::beside("psb", &a);
    assert_eq!(code(&a.lxc("create", &[])), 0);
    let lxcpath = a.lxcpath.to_str().unwrap();
    // With none running: ls shows the created one as STOPPED, ps shows neither.
    let out = run(
        a.bare("ls").args(["-P", lxcpath, "-f"]),
        Duration::from_secs(10),
    );
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with(&a.name) && l.contains("STOPPED")),
        "{}",
        stdout(&out)
    );
    let out = run(
        a.bare("ls").args(["-P", lxcpath, "--stopped"]),
        Duration::from_secs(10),
    );
    assert_eq!(stdout(&out), format!("{}\n", a.name));
    let out = run(a.bare("ps").args(["-P", lxcpath]), Duration::from_secs(10));
    let header: Vec<String> = stdout(&out)
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(header, ["CONTAINER", "PID", "NSPID", "USER", "TIME", "CMD"]);
    assert!(!stdout(&out).contains(&a.name) && !stdout(&out).contains(&b.name));
    let out = a.lxc("ps", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("{} is not running", a.name)),
        "{}",
        stderr(&out)
    );
    let out = b.lxc("ps", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("{} doesn't exist", b.name)),
        "{}",
        stderr(&out)
    );

    a.start_detached("sleep 60");
    b.start_detached("sleep 61 & sleep 62");
    // RUNNING is reported once COMMAND runs: the shell's own children may still be between
    // fork and exec (a second `sh -c ...` line). Look until both sleeps have started.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let out = run(a.bare("ps").args(["-P", lxcpath]), Duration::from_secs(10));
        let text = stdout(&out);
        let started = text.contains("sleep 61\n")
            && text.contains("sleep 62\n")
            && text.contains("sleep 60\n");
        if started || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let mine = |n: &str| {
        rows.iter()
            .filter(|r| r[0] == n)
            .cloned()
            .collect::<Vec<_>>()
    };
    let ra = mine(&a.name);
    let rb = mine(&b.name);
    assert_eq!(ra.len(), 3, "init, sh, sleep: {text}");
    assert_eq!(rb.len(), 4, "init, sh, two sleeps: {text}");
    assert_eq!(ra[0][2], "1");
    assert_eq!(ra[0][3], "root");
    assert!(rb.iter().any(|r| r[5..].join(" ") == "sleep 62"), "{text}");
    let info = a.info().unwrap();
    assert_eq!(
        ra[0][1],
        info["pid"].as_i64().unwrap().to_string(),
        "host pid of the init"
    );

    let out = run(
        a.bare("ls").args(["-P", lxcpath, "-f"]),
        Duration::from_secs(10),
    );
    let text = stdout(&out);
    assert!(text.starts_with("NAME"), "{text}");
    for ct in [&a, &b] {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(ct.name.as_str()))
            .unwrap();
        let f: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(f[1], "RUNNING");
        assert_eq!(
            f[2],
            ct.info().unwrap()["pid"].as_i64().unwrap().to_string()
        );
    }
    let out = run(
        a.bare("ls").args(["-P", lxcpath, "--json"]),
        Duration::from_secs(10),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == a.name.as_str() && c["state"] == "RUNNING"));
    let out = run(
        a.bare("ls").args(["-P", lxcpath, "--stopped"]),
        Duration::from_secs(10),
    );
    assert!(!stdout(&out).contains(&a.name));
}

#[test]
fn unknown_names_and_stopped_containers() {
    let ct = Ct::new("unknown");
    for (cmd, args) in [
        ("kill", vec!["-s", "TERM"]),
        ("freeze", vec![]),
        ("unfreeze", vec![]),
        ("ps", vec![]),
    ] {
        let out = ct.lxc(cmd, &args);
        assert_eq!(code(&out), 1, "lxc-{cmd}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{} doesn't exist", ct.name)),
            "lxc-{cmd}: {}",
            stderr(&out)
        );
    }
    // lxc-stop, as LXC's: 2, whether the container was created or not.
    let out = ct.lxc("stop", &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is not running"), "{}", stderr(&out));
    assert_eq!(code(&ct.lxc("create", &[])), 0);
    for cmd in ["stop", "freeze", "unfreeze"] {
        let out = ct.lxc(cmd, &[]);
        assert_eq!(code(&out), if cmd == "stop" { 2 } else { 1 });
        assert!(
            stderr(&out).contains(&format!("{} is not running", ct.name)),
            "lxc-{cmd}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn subscribe_numbers_every_change_and_hundreds_of_subscribers_get_stopped() {
    let ct = Ct::new("subs");
    ct.start_detached("trap 'exit 6' TERM; while :; do sleep 0.05; done");
    let sock = ct.run_dir().join("control.sock");
    let mut subs = Vec::new();
    for _ in 0..200 {
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}\n")
            .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(s);
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["result"]["state"], "RUNNING");
        assert_eq!(v["result"]["seq"], 2);
        subs.push(r);
    }
    // One subscriber that never reads must not hold anything up.
    let _lazy = {
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}\n")
            .unwrap();
        s
    };
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(code(&ct.lxc("stop", &["-t", "5"])), 0);
    for r in subs.iter_mut() {
        let mut got = Vec::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                break;
            }
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            assert_eq!(v["method"], "state");
            got.push((
                v["params"]["seq"].as_u64().unwrap(),
                v["params"]["state"].as_str().unwrap().to_string(),
                v["params"]["exit"].clone(),
            ));
        }
        let states: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(
            states,
            ["FREEZING", "FROZEN", "RUNNING", "STOPPING", "STOPPED"]
        );
        let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
        assert_eq!(seqs, [3, 4, 5, 6, 7]);
        assert_eq!(got[4].2["code"], 6);
    }
}

#[test]
fn a_freeze_that_does_not_take_in_time_is_undone() {
    assert!(
        std::path::Path::new("/dev/fuse").exists(),
        "this test needs /dev/fuse (CONFIG_FUSE_FS)"
    );
    let ct = Ct::new("freezeto");
    let script = ct.lxcpath.join("stuckfuse.py");
    std::fs::write(&script, STUCK_FUSE).unwrap();
    let (mnt, ready) = (ct.lxcpath.join("mnt"), ct.lxcpath.join("ready"));
    ct.start_detached(&format!(
        "python3 {s} {m} {r} & while [ ! -e {r} ]; do sleep 0.01; done; ls {m} & wait",
        s = script.display(),
        m = mnt.display(),
        r = ready.display()
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the FUSE server never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let out = ct.lxc("freeze", &["-t", "1"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "gave up before its deadline"
    );
    assert!(
        stderr(&out).contains("did not complete within 1 s; the container was thawed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ct.state(), "RUNNING");
    let freeze_file = ct.info().unwrap()["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.as_str().unwrap().contains("/unified/"))
        .map(|c| format!("{}/cgroup.freeze", c.as_str().unwrap()));
    if let Some(f) = freeze_file {
        assert_eq!(std::fs::read_to_string(f).unwrap().trim(), "0", "thawed");
    }
    // Killable sleepers die: the container stops.
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn a_shim_that_does_not_answer_gives_a_deadline_error_not_a_hang() {
    let ct = Ct::new("sigstop");
    ct.start_detached("sleep 60");
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap().to_string();
    let signal = |sig: &str| {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(&shim)
            .status()
            .unwrap();
        assert!(st.success());
    };
    signal("STOP");
    let t = Instant::now();
    let out = ct.lxc("state", &[]);
    let waited = t.elapsed();
    signal("CONT");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer from its shim in 5 s"),
        "{}",
        stderr(&out)
    );
    assert!(waited < Duration::from_secs(8), "took {waited:?}");
    assert_eq!(ct.state(), "RUNNING", "the container did not notice");
}

/// Issue 10: lxc-stop's --nokill, -W and -t 0 never kill; exit 2 for a container that is not
/// running; an interrupted lxc-stop calls its kill off (the container is RUNNING again).
#[test]
fn stop_options_as_lxc_has_them() {
    let ct = Ct::new("stopopts");
    let log = ct.lxcpath.join("got");
    ct.start_detached(&format!(
        "trap 'echo got >> {}' TERM; while :; do sleep 0.05; done",
        log.display()
    ));
    let got = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let wait_got = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while got() < n {
            assert!(Instant::now() < deadline, "the halt signal never came");
            std::thread::sleep(Duration::from_millis(10));
        }
    };

    let out = ct.lxc("stop", &["--nokill", "-t", "1"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("not killed"), "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    wait_got(1);

    // (One at a time: two SIGTERMs during one sleep are one.)
    for (n, args) in [(2, &["-W"][..]), (3, &["-t", "0"])] {
        let t = Instant::now();
        let out = ct.lxc("stop", args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(ct.state(), "RUNNING");
        wait_got(n);
    }

    // An lxc-stop killed while it waits: its kill is called off.
    let mut stop = ct
        .command("stop", &["-t", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_got(4);
    assert_eq!(ct.state(), "STOPPING");
    stop.kill().unwrap();
    stop.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while ct.state() != "RUNNING" {
        assert!(Instant::now() < deadline, "still {}", ct.state());
        std::thread::sleep(Duration::from_millis(10));
    }

    for (args, why) in [
        (&["-k", "--nokill"][..], "--nokill"),
        (&["-k", "-r"], "-r"),
        (&["-k", "-t", "5"], "timeouts"),
    ] {
        let out = ct.lxc("stop", args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    let out = ct.lxc("stop", &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is not running"), "{}", stderr(&out));
    let never = Ct::new("stopnever");
    assert_eq!(code(&never.lxc("stop", &[])), 2);
    ct.assert_clean();
}

/// Issue 10: a shim killed with SIGKILL says nothing; the command that finds and cleans up
/// after it sends STOPPED on the monitor channel, so `lxc-monitor -Q` and `lxc-wait -s
/// STOPPED` end.
#[test]
fn a_dead_shims_stopped_event_ends_monitor_q_and_wait() {
    let ct = Ct::new("deadshim");
    ct.start_detached("sleep 600");
    let mut mon = Mon::start(&ct, &ct.name, &["--json", "-Q"]);
    let waiter = ct
        .command("wait", &["-s", "STOPPED", "-t", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // lxc-wait is subscribed before the shim dies.
    std::thread::sleep(Duration::from_millis(200));
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap() as i32;
    kill_if_ours(shim, &ct.run_dir());
    let out = wait_output(waiter, Duration::from_secs(20));
    assert_eq!(code(&out), 0, "lxc-wait: {}", stderr(&out));
    // Whoever cleaned up (lxc-wait itself, or this look) announced STOPPED.
    let _ = ct.lxc("state", &[]);
    let lines = mon.lines(1, Duration::from_secs(10));
    assert_eq!(lines.len(), 1, "no STOPPED on the monitor channel");
    let ev: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(ev["state"], "STOPPED", "{ev}");
    assert_eq!(ev["seq"], 0, "a dead shim's number is unknown: {ev}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = mon.child.try_wait().unwrap() {
            assert!(status.success(), "lxc-monitor -Q: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "lxc-monitor -Q did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    ct.assert_clean();
}

/// The run root of an lxcpath other than the default goes with its last container and its
/// last monitor: nothing is left under /var/run/lxc.
#[test]
fn another_lxcpaths_run_root_goes_with_its_last_user() {
    let ct = Ct::new("runroot");
    let root = ct.run_dir().parent().unwrap().to_path_buf();
    assert!(
        root.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".p-"),
        "{}",
        root.display()
    );
    let other = Ct::beside("runroot2", &ct);
    ct.start_detached("sleep 60");
    other.start_detached("sleep 60");
    let mon = Mon::start(&ct, ".*", &[]);
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert!(root.exists(), "another container still runs there");
    assert_eq!(code(&other.lxc("stop", &["-k"])), 0);
    assert!(root.exists(), "the monitor still listens there");
    drop(mon);
    // lxc-monitor killed with SIGKILL leaves its socket; the next one that goes cleans up.
    let out = ct.lxc("wait", &["-s", "STOPPED", "-t", "1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = ct.execute(&["--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!root.exists(), "{} left", root.display());
}

/// `lxc-monitor -P A -P B` watches both lxcpaths, as LXC's.
#[test]
fn monitor_watches_several_lxcpaths() {
    let a = Ct::new("monpa");
    let b = Ct::new("monpb");
    let mut child = a
        .bare("monitor")
        .args(["-n", ".*", "-P"])
        .arg(&a.lxcpath)
        .arg("-P")
        .arg(&b.lxcpath)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    a.wait_monitor_bound(child.id());
    b.wait_monitor_bound(child.id());
    assert_eq!(code(&a.execute(&["--", "true"])), 0);
    assert_eq!(code(&b.execute(&["--", "true"])), 0);
    let out = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(out)
        .lines()
        .take(8)
        .map(|l| l.unwrap())
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    for ct in [&a, &b] {
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with(&format!("'{}' changed state", ct.name)))
                .count(),
            4,
            "{lines:?}"
        );
    }
}

/// A container is its lxcpath and its name: one name in two lxcpaths gives two containers,
/// each seen only from its own lxcpath.
#[test]
fn one_name_in_two_lxcpaths_is_two_containers() {
    let a = Ct::new("twin");
    let b = Ct::new("twinb");
    // `b`'s lxcpath, `a`'s name: stopped by this guard whatever happens.
    struct Twin<'a>(&'a Ct, &'a Ct);
    impl Twin<'_> {
        fn lxc(&self, cmd: &str, args: &[&str]) -> std::process::Output {
            let mut c = self.1.bare(cmd);
            c.arg("-n")
                .arg(&self.0.name)
                .arg("-P")
                .arg(&self.1.lxcpath)
                .args(args);
            run(&mut c, Duration::from_secs(30))
        }
    }
    impl Drop for Twin<'_> {
        fn drop(&mut self) {
            let _ = self.lxc("stop", &["-k"]);
        }
    }
    let twin = Twin(&a, &b);
    a.start_detached("sleep 60");
    let out = twin.lxc("execute", &["-d", "--", "sleep", "60"]);
    assert_eq!(
        code(&out),
        0,
        "the same name elsewhere starts: {}",
        stderr(&out)
    );
    let pid_a = a.info().unwrap()["pid"].clone();
    let out = twin.lxc("info", &["--json"]);
    let info_b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(pid_a, info_b["pid"], "two containers");
    let ls = |ct: &Ct| {
        let out = run(
            ct.bare("ls").arg("-P").arg(&ct.lxcpath).arg("-1"),
            Duration::from_secs(10),
        );
        stdout(&out)
    };
    assert_eq!(ls(&a), format!("{}\n", a.name));
    assert_eq!(
        ls(&b),
        format!("{}\n", a.name),
        "b's lxcpath lists only its own"
    );
    assert_eq!(code(&a.lxc("stop", &["-k"])), 0);
    assert_eq!(twin.lxc("state", &[]).stdout, b"RUNNING\n");
    assert_eq!(code(&twin.lxc("stop", &["-k"])), 0);
    a.assert_clean();
}
