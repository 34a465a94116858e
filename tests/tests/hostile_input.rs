//! The hostile-input figures of the README's reliability section that other files do not
//! cover: deeply nested JSON, a thousand clients at once, a slow client holding half a line,
//! configs with NUL bytes, invalid UTF-8 and 100 000 lines, names with newlines. Through all
//! of it the shim stays up, answers the others, and its memory stays bounded.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::process::Command;
use std::time::Duration;

fn shim_pid(ct: &Ct) -> i32 {
    ct.info().unwrap()["shim_pid"].as_i64().unwrap() as i32
}

fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A Python client of the control socket: the line it prints is the test's result.
const CLIENTS: &str = r#"
import json, os, resource, select, socket, sys, time
sock, mode = sys.argv[1], sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
def ask(s, line):
    if line:
        s.sendall(line)
    buf = b""
    s.settimeout(10)
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return json.loads(buf)
if mode == "nested":
    out = []
    for depth in (200, 100000):
        s = socket.socket(socket.AF_UNIX); s.connect(sock)
        a = ask(s, b"[" * depth + b"]" * depth + b"\n")
        out.append(a["error"]["code"] if a else "closed")
        s.close()
        s = socket.socket(socket.AF_UNIX); s.connect(sock)
        params = b'{"a":' * depth + b"1" + b"}" * depth
        a = ask(s, b'{"jsonrpc":"2.0","id":1,"method":"info","params":' + params + b"}\n")
        out.append(a["error"]["code"] if a else "closed")
        s.close()
    print(" ".join(map(str, out)))
elif mode == "thousand":
    clients = []
    for i in range(1000):
        s = socket.socket(socket.AF_UNIX); s.connect(sock); clients.append(s)
    for i, s in enumerate(clients):
        s.sendall(b'{"jsonrpc":"2.0","id":%d,"method":"state"}\n' % i)
    answered, bufs, deadline = 0, {}, time.time() + 30
    pending = set(clients)
    while pending and time.time() < deadline:
        r, _, _ = select.select(list(pending)[:900], [], [], 1)
        for s in r:
            chunk = s.recv(4096)
            bufs[s] = bufs.get(s, b"") + chunk
            if bufs[s].endswith(b"\n") or not chunk:
                if chunk and json.loads(bufs[s]).get("result") is not None:
                    answered += 1
                pending.discard(s)
    print(answered)
elif mode == "slow":
    slow = socket.socket(socket.AF_UNIX); slow.connect(sock)
    slow.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
    half = socket.socket(socket.AF_UNIX); half.connect(sock)
    half.sendall(b'{"jsonrpc":"2.0","id":2,"method":"state"}\n')
    half.shutdown(socket.SHUT_WR)
    a = ask(half, b"")
    t = time.time()
    other = socket.socket(socket.AF_UNIX); other.connect(sock)
    b = ask(other, b'{"jsonrpc":"2.0","id":3,"method":"state"}\n')
    print(a["result"]["state"], b["result"]["state"], "%.3f" % (time.time() - t))
    slow.sendall(b'od":"state"}\n')
    c = ask(slow, b"")
    print(c["result"]["state"])
"#;

fn clients(ct: &Ct, mode: &str) -> String {
    let sock = ct.run_dir().join("control.sock");
    let out = run(
        Command::new("python3")
            .arg("-c")
            .arg(CLIENTS)
            .arg(&sock)
            .arg(mode),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{mode}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn nested_json_a_thousand_clients_and_slow_clients_leave_the_shim_answering() {
    let ct = Ct::new("hostin");
    ct.start_detached("sleep 1000");
    let pid = shim_pid(&ct);
    let before = rss_kib(pid);
    // Nested 200 and 100 000 deep, as a request and as params: a parse error (-32700) or
    // invalid params (-32602), never a crash (serde_json stops at 128 levels).
    let nested = clients(&ct, "nested");
    for code in nested.split_whitespace() {
        assert!(code == "-32700" || code == "-32602", "{nested}");
    }
    // A thousand clients at once, each answered.
    assert_eq!(clients(&ct, "thousand").trim(), "1000");
    // A client holding half a line stalls nobody; a half-closed one is answered; the slow one
    // is answered once its line is complete.
    let slow = clients(&ct, "slow");
    let lines: Vec<&str> = slow.lines().collect();
    assert!(lines[0].starts_with("RUNNING RUNNING "), "{slow}");
    assert_eq!(lines[1], "RUNNING");
    assert_eq!(ct.state(), "RUNNING");
    // Memory came back to about where it was (what the thousand held was freed).
    let after = rss_kib(pid);
    assert!(after < before + 2048, "shim RSS {before} kB -> {after} kB");
    eprintln!("shim RSS {before} kB before, {after} kB after");
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn configs_with_nul_bytes_bad_utf8_or_100000_lines_are_answered_at_their_line() {
    let ct = Ct::new("hostcfg");
    let file = ct.lxcpath.join("c.conf");
    let mut long = "# a comment line\n\n".repeat(50_000);
    long.push_str("lxc.utsname = far\nlxc.bogus = 1\n");
    for (bytes, want) in [
        (b"lxc.utsname = a\0b\n".to_vec(), ":1: ".to_string()),
        (
            b"lxc.utsname = ok\nlxc.utsname = \xff\xfe\n".to_vec(),
            ":2: ".to_string(),
        ),
        (
            long.into_bytes(),
            ":100002: lxc.bogus: unknown key".to_string(),
        ),
    ] {
        std::fs::write(&file, &bytes).unwrap();
        let out = ct.execute(&["-f", file.to_str().unwrap(), "--", "true"]);
        assert_eq!(code(&out), 125, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("{}{want}", file.display())), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // 100 000 lines that are all fine start a container.
    let mut fine = "# x\n".repeat(99_999);
    fine.push_str("lxc.utsname = far\n");
    std::fs::write(&file, fine).unwrap();
    let out = ct.execute(&["-f", file.to_str().unwrap(), "--", "hostname"]);
    assert_eq!(
        (code(&out), stdout(&out).as_str()),
        (0, "far\n"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}

#[test]
fn names_with_newlines_or_dot_dot_touch_nothing() {
    let ct = Ct::new("hostname");
    for name in ["a\nb", "..", "../../etc", "a/../b", "a\rb"] {
        let out = run(
            ct.bare("execute")
                .arg("-P")
                .arg(&ct.lxcpath)
                .arg("-n")
                .arg(name)
                .args(["--", "true"]),
            Duration::from_secs(30),
        );
        assert_eq!(code(&out), 2, "{name:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{name:?}: {}",
            stderr(&out)
        );
    }
    let left: Vec<_> = std::fs::read_dir(&ct.lxcpath)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != ".lxct-marker")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
