//! The seccomp profile's `notify` action: without `lxc.seccomp.notify.proxy` the call fails
//! with ENOSYS; with one, the call goes to the proxy in LXC's format (a Python proxy here,
//! speaking `struct seccomp_notify_proxy_msg` as LXC's proxies do) and its answer is what the
//! container sees; a proxy that hangs, closes, answers garbage or is gone costs a bounded
//! wait and ENOSYS, while the shim answers its clients.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// mkdir's errno, or `ok` and whether the directory was made (`dir()`).
fn mkdir() -> String {
    MKDIR.replace(NOPE, &dir())
}

/// The directory the calls try to make: the test process's own.
fn dir() -> String {
    format!("/tmp/lxct-notify-{}", std::process::id())
}

const NOPE: &str = "/tmp/lxct-notify-nope";

const MKDIR: &str = "import os\ntry:\n    os.mkdir('/tmp/lxct-notify-nope')\n    \
     print('ok', os.path.exists('/tmp/lxct-notify-nope'))\nexcept OSError as e:\n    \
     print(e.errno)\n";

const PROFILE: &str = "2\ndenylist\n[all]\nkexec_load errno 1\nmkdir notify\nmkdirat notify\n";

/// A proxy in LXC's format. Each call is logged as a JSON line; what it does is read from
/// the file `mode` at each call: `answer ERRNO VAL FLAGS`, `hang` (never answers), `close`
/// (closes the connection), `garbage` (a short answer), `wrong-id`, `fds N` (EPERM with N
/// descriptors attached).
const PROXY: &str = r#"
import json, os, socket, struct, sys
path, log, mode_file = sys.argv[1:4]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
srv.listen(16)
open(path + '.ready', 'w').close()
while True:
    conn, _ = srv.accept()
    while True:
        try:
            data, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
        except OSError:
            break
        if not data:
            break
        fds = []
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                n = len(cdata) // 4
                fds += list(struct.unpack('%di' % n, cdata[:4 * n]))
        reserved, monitor, init, sn, sr, sd, clen = struct.unpack_from('=QiiHHH2xQ', data, 0)
        nid, npid, nflags, nr = struct.unpack_from('=QIIi', data, 32)
        rid = struct.unpack_from('=Q', data, 32 + sn)[0]
        links = [os.readlink('/proc/self/fd/%d' % fd) for fd in fds]
        rec = dict(reserved=reserved, monitor=monitor, init=init, sizes=[sn, sr, sd],
                   cookie=data[32 + sn + sr:].decode(), cookie_len=clen, nr=nr, pid=npid,
                   resp_id_ok=(rid == nid), links=links)
        for fd in fds:
            os.close(fd)
        with open(log, 'a') as f:
            f.write(json.dumps(rec) + '\n')
        mode = open(mode_file).read().split()
        if mode[0] == 'hang':
            continue
        if mode[0] == 'close':
            conn.close()
            break
        base = data[:32 + sn]
        if mode[0] == 'garbage':
            conn.send(base[:40])
            continue
        if mode[0] == 'wrong-id':
            conn.send(base + struct.pack('=QqiI', nid + 1, 0, -1, 0))
            continue
        if mode[0] == 'fds':
            # A valid EPERM answer carrying N descriptors (up to the kernel's 253).
            extra = [os.open('/dev/null', os.O_RDONLY)]
            conn.sendmsg([base + struct.pack('=QqiI', nid, 0, -1, 0)],
                         [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                           struct.pack('%di' % int(mode[1]), *(extra * int(mode[1]))))])
            os.close(extra[0])
            continue
        err, val, flags = (int(x) for x in mode[1:4])
        conn.send(base + struct.pack('=QqiI', nid, val, -err, flags))
"#;

/// The test's proxy process, killed (by pid) and its files removed when dropped.
struct Proxy {
    child: Child,
    sock: PathBuf,
    log: PathBuf,
    mode: PathBuf,
}

impl Proxy {
    fn start(dir: &Path, mode: &str) -> Proxy {
        let script = dir.join("proxy.py");
        std::fs::write(&script, PROXY).unwrap();
        let sock = dir.join("proxy.sock");
        let log = dir.join("proxy.log");
        let mode_file = dir.join("proxy.mode");
        std::fs::write(&mode_file, mode).unwrap();
        let child = Command::new("python3")
            .arg(&script)
            .arg(&sock)
            .arg(&log)
            .arg(&mode_file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let p = Proxy {
            child,
            sock,
            log,
            mode: mode_file,
        };
        let ready = PathBuf::from(format!("{}.ready", p.sock.display()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the test proxy never listened");
            std::thread::sleep(Duration::from_millis(10));
        }
        p
    }

    fn set(&self, mode: &str) {
        std::fs::write(&self.mode, mode).unwrap();
    }

    /// The calls it received, one JSON object each.
    fn calls(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn key(&self) -> String {
        format!("lxc.seccomp.notify.proxy = unix:{}", self.sock.display())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.sock);
    }
}

fn profile(ct: &Ct) -> String {
    let path = ct.lxcpath.join("notify.seccomp");
    std::fs::write(&path, PROFILE).unwrap();
    format!("lxc.seccomp.profile = {}", path.display())
}

/// How long `lxc-info` takes (it must not wait for anything the proxy does).
fn info_time(ct: &Ct) -> Duration {
    let t = Instant::now();
    let out = ct.lxc("info", &["-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("RUNNING"), "{}", stdout(&out));
    t.elapsed()
}

/// `lxc-attach -- python3 -c MKDIR`'s output, and how long it took.
fn attach_mkdir(ct: &Ct) -> (String, Duration) {
    let t = Instant::now();
    let out = ct.lxc("attach", &["--", "python3", "-c", &mkdir()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (stdout(&out), t.elapsed())
}

fn stop(ct: &Ct) {
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn without_a_proxy_a_notified_call_fails_with_enosys() {
    let ct = Ct::new("notify0");
    let key = profile(&ct);
    let out = ct.execute(&["-s", &key, "--", "python3", "-c", &mkdir()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "38\n");
    // A cookie alone changes nothing; attached processes get the same answer.
    ct.start_detached_with(
        &["-s", &key, "-s", "lxc.seccomp.notify.cookie = c"],
        "sleep 1000",
    );
    assert_eq!(attach_mkdir(&ct).0, "38\n");
    info_time(&ct);
    stop(&ct);
    ct.assert_clean();
}

#[test]
fn a_proxy_answers_in_lxcs_format() {
    let ct = Ct::new("notify1");
    let key = profile(&ct);
    let proxy = Proxy::start(&ct.lxcpath, "answer 18 0 0");
    let pkey = proxy.key();
    // COMMAND's call: the proxy's errno (EXDEV).
    let out = ct.execute(&[
        "-s",
        &key,
        "-s",
        &pkey,
        "-s",
        "lxc.seccomp.notify.cookie = my cookie",
        "--",
        "python3",
        "-c",
        &mkdir(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "18\n");
    let calls = proxy.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let c = &calls[0];
    assert_eq!(c["reserved"], 0);
    assert_eq!(c["sizes"], serde_json::json!([80, 24, 64]));
    assert_eq!(c["cookie"], "my cookie");
    assert_eq!(c["cookie_len"], 9);
    assert_eq!(c["resp_id_ok"], true);
    assert!(c["nr"] == 83 || c["nr"] == 258, "mkdir or mkdirat: {c}");
    let pid = c["pid"].as_i64().unwrap();
    let links = c["links"].as_array().unwrap();
    assert_eq!(links.len(), 3, "{c}");
    assert_eq!(links[0], format!("/proc/{pid}"));
    assert_eq!(links[1], format!("/proc/{pid}/mem"));
    assert_eq!(links[2], "anon_inode:seccomp notify");
    // In a user namespace of its own too (COMMAND is root there only).
    let out = ct.execute(&[
        "-s",
        "lxc.idmap = u 0 100000 65536",
        "-s",
        "lxc.idmap = g 0 100000 65536",
        "-s",
        &key,
        "-s",
        &pkey,
        "--",
        "python3",
        "-c",
        &mkdir(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "18\n");
    // A running container: the pids in the header, attached processes, a value answer.
    ct.start_detached_with(&["-s", &key, "-s", &pkey], "sleep 1000");
    let info = ct.info().unwrap();
    assert_eq!(attach_mkdir(&ct).0, "18\n");
    let calls = proxy.calls();
    let c = calls.last().unwrap();
    assert_eq!(c["init"], info["pid"], "{c}");
    assert_eq!(c["monitor"], info["shim_pid"], "{c}");
    assert_eq!(c["cookie"], "");
    proxy.set("answer 0 0 0");
    assert_eq!(attach_mkdir(&ct).0, "ok False\n", "the proxy said done");
    // SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel runs the call.
    proxy.set("answer 0 0 1");
    let (out, _) = attach_mkdir(&ct);
    let _ = std::fs::remove_dir(dir());
    assert_eq!(out, "ok True\n");
    stop(&ct);
    // lxc-start: pid 1 itself hands its listener over before its exec.
    proxy.set("answer 18 0 0");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let out = ct.lxc(
        "start",
        &[
            "-F",
            "-s",
            &format!("lxc.rootfs.path={}", root.display()),
            "-s",
            &key,
            "-s",
            &pkey,
            "--",
            "/bin/sh",
            "-c",
            "echo pid $$; mkdir /x 2>&1; test -d /x || echo refused",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("pid 1\n"), "{text}");
    assert!(text.contains("Invalid cross-device link"), "{text}");
    assert!(text.ends_with("refused\n"), "{text}");
    ct.assert_clean();
}

#[test]
fn a_proxy_that_hangs_closes_or_is_gone_costs_a_bounded_wait() {
    let ct = Ct::new("notify2");
    let key = profile(&ct);
    let mut proxy = Proxy::start(&ct.lxcpath, "hang");
    let mut start = ct.command(
        "execute",
        &["-d", "-s", &key, "-s", &proxy.key(), "--", "sleep", "1000"],
    );
    start.env("LXC_SECCOMP_PROXY_TIMEOUT_MS", "3000");
    let out = run(&mut start, Duration::from_secs(30));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A call waits for the proxy's time limit, then fails; the shim answers meanwhile.
    let attach = std::thread::scope(|s| {
        let waiting = s.spawn(|| attach_mkdir(&ct));
        std::thread::sleep(Duration::from_millis(500));
        for _ in 0..5 {
            let t = info_time(&ct);
            assert!(t < Duration::from_secs(2), "lxc-info took {t:?}");
        }
        waiting.join().unwrap()
    });
    assert_eq!(attach.0, "38\n");
    assert!(attach.1 >= Duration::from_millis(2900), "{:?}", attach.1);
    assert!(attach.1 < Duration::from_secs(10), "{:?}", attach.1);
    // Closing, garbage, another call's id: at once.
    for mode in ["close", "garbage", "wrong-id"] {
        proxy.set(mode);
        let (out, took) = attach_mkdir(&ct);
        assert_eq!(out, "38\n", "{mode}");
        assert!(took < Duration::from_millis(2500), "{mode}: {took:?}");
    }
    // A proxy that answers again is used again (a new connection).
    proxy.set("answer 1 0 0");
    assert_eq!(attach_mkdir(&ct).0, "1\n");
    // Gone: nobody listens any more.
    proxy.stop();
    let (out, took) = attach_mkdir(&ct);
    assert_eq!(out, "38\n");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    info_time(&ct);
    stop(&ct);
    ct.assert_clean();
}

#[test]
fn a_flood_of_calls_neither_stalls_the_shim_nor_grows_it() {
    let ct = Ct::new("notify3");
    let key = profile(&ct);
    let proxy = Proxy::start(&ct.lxcpath, "answer 18 0 0");
    ct.start_detached_with(&["-s", &key, "-s", &proxy.key()], "sleep 1000");
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{shim}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    // Warm up once, then 8 threads x 500 calls.
    assert_eq!(attach_mkdir(&ct).0, "18\n");
    let before = rss();
    const FLOOD: &str = "import os, threading\nbad = []\ndef run():\n    for _ in range(500):\n        \
        try:\n            os.mkdir('/tmp/lxct-notify-nope')\n            bad.append('made')\n        \
        except OSError as e:\n            e.errno == 18 or bad.append(e.errno)\n\
        ts = [threading.Thread(target=run) for _ in range(8)]\n[t.start() for t in ts]\n\
        [t.join() for t in ts]\nprint(len(bad))\n";
    let out = std::thread::scope(|s| {
        let flood = s.spawn(|| ct.lxc("attach", &["--", "python3", "-c", FLOOD]));
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..5 {
            let t = info_time(&ct);
            assert!(t < Duration::from_secs(2), "lxc-info took {t:?}");
        }
        flood.join().unwrap()
    });
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "0\n", "every call got the proxy's answer");
    let grown = rss().saturating_sub(before);
    assert!(grown < 512, "the shim grew by {grown} kB");
    assert!(proxy.calls().len() > 4000);
    stop(&ct);
    ct.assert_clean();
}

#[test]
fn descriptors_a_proxy_attaches_are_not_kept() {
    let ct = Ct::new("notify5");
    let key = profile(&ct);
    let proxy = Proxy::start(&ct.lxcpath, "fds 1");
    ct.start_detached_with(&["-s", &key, "-s", &proxy.key()], "sleep 1000");
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    let open_fds = || {
        std::fs::read_dir(format!("/proc/{shim}/fd"))
            .unwrap()
            .count()
    };
    assert_eq!(attach_mkdir(&ct).0, "1\n");
    let before = open_fds();
    // Within the limit of a message, and far beyond it (the kernel takes 253).
    for n in ["16", "17", "253"] {
        proxy.set(&format!("fds {n}"));
        for _ in 0..3 {
            let (out, _) = attach_mkdir(&ct);
            assert!(out == "1\n" || out == "38\n", "{n}: {out}");
        }
    }
    // The last attach's listener goes once the shim has reaped that process: a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut after = open_fds();
    while after > before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        after = open_fds();
    }
    assert!(
        after <= before,
        "the shim holds {after} descriptors, {before} before"
    );
    info_time(&ct);
    stop(&ct);
    ct.assert_clean();
}

#[test]
fn an_unreachable_proxy_refuses_the_start() {
    let ct = Ct::new("notify4");
    let key = profile(&ct);
    let missing = ct.lxcpath.join("nobody.sock");
    let pkey = format!("lxc.seccomp.notify.proxy = unix:{}", missing.display());
    let out = ct.execute(&["-s", &key, "-s", &pkey, "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("lxc.seccomp.notify.proxy") && err.contains("No such file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A malformed address is a config error naming the key.
    let out = ct.execute(&[
        "-s",
        &key,
        "-s",
        "lxc.seccomp.notify.proxy = /x",
        "--",
        "true",
    ]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("lxc.seccomp.notify.proxy"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}
