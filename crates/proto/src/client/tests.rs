//! The client's unit tests.
use super::*;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::net::UnixListener;

fn listener(tag: &str) -> (UnixListener, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("lxc-client-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    (UnixListener::bind(&path).unwrap(), path)
}

/// A server that answers one call with `answer`, handing back what came along.
#[test]
fn typed_call_and_descriptors_both_ways() {
    let (l, path) = listener("fds");
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut buf = [0u8; 4096];
        let mut fds = Vec::new();
        let n = fdpass::recv(s.as_fd(), &mut buf, &mut fds).unwrap();
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        let mut got = std::fs::File::from(fds.remove(0));
        let mut text = String::new();
        got.read_to_string(&mut text).unwrap();
        let (r, w) = std::io::pipe().unwrap();
        (&w).write_all(b"from the shim").unwrap();
        drop(w);
        let answer = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"state\":\"RUNNING\"}}\n";
        fdpass::send(s.as_fd(), answer, &[r.as_fd()]).unwrap();
        (line, text)
    });
    let mut c = Client::connect(&path, Duration::from_secs(5)).unwrap();
    let (r, w) = std::io::pipe().unwrap();
    (&w).write_all(b"from the client").unwrap();
    drop(w);
    let (reply, fds): (StateReply, _) = c
        .call_with_fds(&Call::State(NoParams {}), &[r.as_fd()], None)
        .unwrap();
    assert_eq!(reply.state, State::Running);
    let (line, text) = server.join().unwrap();
    assert!(line.contains("\"method\":\"state\""), "{line}");
    assert_eq!(text, "from the client");
    assert_eq!(fds.len(), 1);
    let mut back = String::new();
    std::fs::File::from(fds.into_iter().next().unwrap())
        .read_to_string(&mut back)
        .unwrap();
    assert_eq!(back, "from the shim");
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_old_shim_is_named() {
    let (l, path) = listener("old");
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        (&s).write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"unknown method \\\"hello\\\"\"}}\n").unwrap();
    });
    let mut c = Client::connect(&path, Duration::from_secs(5)).unwrap();
    c.require("state").unwrap();
    let e = c.require("hello").unwrap_err();
    assert_eq!(
        e.to_string(),
        "runs an older shim (protocol 1); restart it to use hello"
    );
    server.join().unwrap();
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_silent_shim_gives_the_deadline_error() {
    let (l, path) = listener("silent");
    let mut c = Client::connect(&path, Duration::from_millis(200)).unwrap();
    let t = Instant::now();
    let e = c.state().unwrap_err();
    assert!(matches!(e, ClientError::NoAnswer(_)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
    drop(l);
    let _ = std::fs::remove_file(path);
}
