//! The shim as a platform (issue 8): its loop never blocks, whatever one container's kill or
//! freeze is waiting on; the control socket carries descriptors; `hello` names the protocol.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A FUSE mount on the host whose server never answers: a process that touches it sleeps where
/// neither a freezer nor SIGKILL reaches it, until the server is gone. Dropping it kills the
/// server (by pid) and detaches the mount.
struct HostFuse {
    server: Child,
    mnt: PathBuf,
}

impl HostFuse {
    fn start(dir: &Path) -> HostFuse {
        assert!(
            Path::new("/dev/fuse").exists(),
            "this test needs /dev/fuse (CONFIG_FUSE_FS)"
        );
        let script = dir.join("stuckfuse.py");
        std::fs::write(&script, STUCK_FUSE).unwrap();
        let (mnt, ready) = (dir.join("fusemnt"), dir.join("fuseready"));
        let server = Command::new("python3")
            .arg(&script)
            .arg(&mnt)
            .arg(&ready)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let fuse = HostFuse { server, mnt };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the FUSE server never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        fuse
    }
}

impl Drop for HostFuse {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = run(
            Command::new("umount").arg("-l").arg(&self.mnt),
            Duration::from_secs(10),
        );
    }
}

/// Where a process sleeps in the kernel (`/proc/PID/wchan`).
fn wchan(pid: i64) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

/// While a v1 kill cannot finish (a process no SIGKILL reaches), the shim answers at once:
/// the kill rounds are timers, not a loop that sleeps.
#[test]
fn state_answers_while_a_v1_kill_is_stuck() {
    let ct = Ct::new("stuckkill");
    let fuse = HostFuse::start(&ct.lxcpath);
    let out = run(
        ct.command(
            "execute",
            &[
                "-d",
                "--",
                "sh",
                "-c",
                &format!("ls {} & exec sleep 1000", fuse.mnt.display()),
            ],
        )
        .env("LXC_CGROUP_PREFER", "v1"),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.info().unwrap()["freezer"], "v1");
    // Wait for `ls` to wait for the FUSE answer (a signal then turns its sleep uninterruptible).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ps = ct.lxc("ps", &["--json"]);
        let v: serde_json::Value = serde_json::from_slice(&ps.stdout).unwrap_or_default();
        let stuck = v["processes"].as_array().into_iter().flatten().any(|p| {
            p["cmd"].as_str().unwrap_or("").starts_with("ls ")
                && wchan(p["pid"].as_i64().unwrap_or(0)) == "request_wait_answer"
        });
        if stuck {
            break;
        }
        assert!(Instant::now() < deadline, "ls never got stuck: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stop = ct
        .command("stop", &["-k"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..5 {
        let t = Instant::now();
        let state = ct.state();
        let took = t.elapsed();
        assert_eq!(state, "STOPPING");
        // Before, the shim slept through up to 50 rounds of a 200 ms freeze here: 10 s.
        assert!(took < Duration::from_secs(1), "lxc-state took {took:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The server gone, the request fails, and everything dies.
    drop(fuse);
    let out = wait_output(stop, Duration::from_secs(30));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

/// A client sends descriptors with a request (what an exec or console request will do): a
/// method that takes none closes them, and the shim keeps none. `hello` names the protocol.
#[test]
fn descriptors_sent_with_a_request_are_closed_and_hello_answers() {
    let ct = Ct::new("fdpass");
    ct.start_detached("sleep 1000");
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    let fds = || {
        std::fs::read_dir(format!("/proc/{shim}/fd"))
            .unwrap()
            .count()
    };
    let before = fds();
    let script = r#"
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rb")
for i in range(20):
    r, w = os.pipe()
    socket.send_fds(s, [b'{"jsonrpc":"2.0","id":%d,"method":"state"}\n' % i], [r, w, 0])
    os.close(r); os.close(w)
    print(json.loads(f.readline())["result"]["state"])
s.sendall(b'{"jsonrpc":"2.0","id":"h","method":"hello"}\n')
print(json.dumps(json.loads(f.readline())["result"]))
"#;
    let sock = ct.run_dir().join("control.sock");
    let out = run(
        Command::new("python3").arg("-c").arg(script).arg(&sock),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 21, "{text}");
    assert!(lines[..20].iter().all(|l| *l == "RUNNING"), "{text}");
    let hello: serde_json::Value = serde_json::from_str(lines[20]).unwrap();
    assert_eq!(hello["protocol"], lxc_proto::PROTOCOL_VERSION);
    let methods: Vec<&str> = hello["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for m in ["state", "info", "stop", "subscribe", "hello"] {
        assert!(methods.contains(&m), "{m} missing from {methods:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while fds() > before {
        assert!(
            Instant::now() < deadline,
            "the shim kept descriptors: {} -> {}",
            before,
            fds()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ct.info().unwrap()["protocol"], lxc_proto::PROTOCOL_VERSION);
}
