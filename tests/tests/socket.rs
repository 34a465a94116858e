//! The control socket under bad input: malformed JSON, unknown methods, bad params, huge lines,
//! clients that never read, many clients at once. The container must not notice.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

fn error_code(answer: &str) -> i64 {
    let v: serde_json::Value = serde_json::from_str(answer).unwrap();
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {answer}"))
}

#[test]
fn bad_requests_get_errors_and_disturb_nothing() {
    let ct = Ct::new("badsock");
    ct.start_detached("sleep 60");
    let sock = ct.run_dir().join("control.sock");
    let cases: &[(&[u8], i64)] = &[
        (b"{not json\n", -32700),
        (b"[1,2]\n", -32600),
        (b"{\"id\":1,\"method\":\"state\"}\n", -32600),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"restart\"}\n",
            -32601,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"stop:nokill\"}\n",
            -32601,
        ),
        // An application container does not reboot.
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"reboot\"}\n",
            -32001,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state\",\"params\":{\"x\":1}}\n",
            -32602,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"stop\",\"params\":{\"timeout\":-1}}\n",
            -32602,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\",\"params\":7}\n",
            -32602,
        ),
    ];
    for (line, want) in cases {
        let answer = socket_roundtrip(&sock, line).unwrap();
        assert_eq!(
            error_code(&answer),
            *want,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // A line over 1 MiB: an error, then the connection closes.
    let mut s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let big = vec![b'x'; (1 << 20) + 10];
    let _ = s.write_all(&big);
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut answer = String::new();
    r.read_line(&mut answer).unwrap();
    assert_eq!(error_code(&answer), -32600, "{answer}");
    answer.clear();
    assert_eq!(
        r.read_line(&mut answer).unwrap_or(0),
        0,
        "connection closed after a huge line"
    );

    // Clients that send requests and never read, and many clients at once.
    let mut idle = Vec::new();
    for _ in 0..50 {
        let mut c = UnixStream::connect(&sock).unwrap();
        let req = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}\n".repeat(200);
        c.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = c.write_all(&req);
        idle.push(c);
    }
    for _ in 0..20 {
        let answer = socket_roundtrip(
            &sock,
            b"{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"state\"}\n",
        )
        .unwrap();
        assert!(answer.contains("\"RUNNING\""), "{answer}");
    }
    drop(idle);
    assert_eq!(ct.state(), "RUNNING");
    let info = ct.info().unwrap();
    assert_eq!(info["state"], "RUNNING");
}

#[test]
fn notifications_get_no_answer_and_half_closed_clients_are_answered() {
    let ct = Ct::new("notif");
    ct.start_detached("sleep 60");
    let sock = ct.run_dir().join("control.sock");
    let mut s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"state\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"state\"}\n")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut r = BufReader::new(s);
    let mut answer = String::new();
    r.read_line(&mut answer).unwrap();
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        v["id"], 2,
        "only the request with an id is answered: {answer}"
    );
    assert_eq!(v["result"]["state"], "RUNNING");
}

#[test]
fn stop_over_the_socket() {
    let ct = Ct::new("sockstop");
    // RUNNING means sh runs, not that its trap is set yet: it says so in a file.
    let ready = ct.lxcpath.join("trap-set");
    ct.start_detached(&format!(
        "trap 'exit 3' TERM; : > {}; while :; do sleep 0.05; done",
        ready.display()
    ));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !ready.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let sock = ct.run_dir().join("control.sock");
    let answer = socket_roundtrip(
        &sock,
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"stop\",\"params\":{\"timeout\":10}}\n",
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["result"]["state"], "STOPPED", "{answer}");
    assert_eq!(v["result"]["exit"]["code"], 3, "{answer}");
    ct.wait_stopped(Duration::from_secs(5));
    ct.assert_clean();
}

#[test]
fn a_client_flooding_requests_is_dropped_and_memory_stays_bounded() {
    let ct = Ct::new("flood");
    ct.start_detached("sleep 60");
    let sock = ct.run_dir().join("control.sock");
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    let flood = std::thread::spawn({
        let sock = sock.clone();
        move || {
            let mut s = UnixStream::connect(&sock).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            let batch = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}\n".repeat(1000);
            let mut sent = 0usize;
            // Never reads: the shim must drop it, not buffer its answers without end.
            while sent < 64 << 20 {
                match s.write_all(&batch) {
                    Ok(()) => sent += batch.len(),
                    Err(_) => break,
                }
            }
            sent
        }
    });
    for _ in 0..20 {
        let answer = socket_roundtrip(
            &sock,
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"state\"}\n",
        )
        .unwrap();
        assert!(answer.contains("RUNNING"), "{answer}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = flood.join().unwrap();
    assert!(
        sent < 64 << 20,
        "the flooding client was never dropped ({sent} bytes taken)"
    );
    let status = std::fs::read_to_string(format!("/proc/{shim}/status")).unwrap();
    let rss: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(rss < 16 * 1024, "shim RSS {rss} kB after the flood");
    assert_eq!(ct.state(), "RUNNING");
}
