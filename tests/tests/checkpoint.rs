//! lxc-checkpoint: real dumps and restores with CRIU (scripts/install-criu.sh installs one that
//! works on this kernel), of application and system containers.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A CRIU that passes `criu check`, or the test fails saying how to get one.
fn require_criu() {
    let found = ["/usr/local/sbin/criu", "/usr/sbin/criu"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map(PathBuf::from);
    let ok = found.as_ref().is_some_and(|c| {
        Command::new(c)
            .arg("check")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        ok,
        "no criu that passes `criu check` (scripts/install-criu.sh installs one)"
    );
}

/// A container with a busybox rootfs and a stored config of `extra` lines.
fn with_rootfs(tag: &str, extra: &str) -> (Ct, PathBuf) {
    require_criu();
    rootfs_for(Ct::new(tag), extra)
}

fn rootfs_for(ct: Ct, extra: &str) -> (Ct, PathBuf) {
    require_criu();
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let dir = ct.lxcpath.join(&ct.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config"),
        format!(
            // No console unless `extra` asks for one (the tests of terminals do).
            "lxc.rootfs.path = {}\nlxc.signal.halt = SIGUSR1\nlxc.console.path = none\n{extra}",
            root.display()
        ),
    )
    .unwrap();
    (ct, root)
}

fn images(ct: &Ct) -> String {
    ct.lxcpath.join("images").to_str().unwrap().to_string()
}

/// The number the counter wrote last, waiting for it to exist.
fn counter(root: &Path) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(n) = std::fs::read_to_string(root.join("tmp/count"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return n;
        }
        assert!(Instant::now() < deadline, "the counter never wrote");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const COUNTER: &str =
    "i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done";

#[test]
fn a_counter_in_an_application_container_resumes_where_it_was() {
    let (ct, root) = with_rootfs("ckcount", "");
    ct.start_detached(COUNTER);
    while counter(&root) < 5 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before_pid = ct.info().unwrap()["pid"].as_i64().unwrap();
    let dir = images(&ct);
    // -s: the original stops once dumped.
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let at_dump = counter(&root);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counter(&root), at_dump, "the counter ran on after -s");
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let info = ct.info().unwrap();
    assert_ne!(info["pid"].as_i64().unwrap(), before_pid);
    // Its shim is the restored init's parent.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", info["pid"])).unwrap();
    let ppid: i64 = stat
        .rsplit(") ")
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(ppid, info["shim_pid"].as_i64().unwrap());
    // It goes on from where it was (not from 1), and keeps counting.
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(&root) <= at_dump {
        assert!(Instant::now() < deadline, "the counter did not resume");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(counter(&root) < at_dump + 100, "the counter started over");
    // The pids inside are the dumped ones: the counter's shell is still pid 2.
    let ps = stdout(&ct.lxc("ps", &[]));
    assert!(
        ps.lines().any(|l| l.split_whitespace().nth(2) == Some("2")),
        "{ps}"
    );
    // Every command works on it: freeze, thaw, stop.
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    assert_eq!(ct.state(), "FROZEN");
    assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn the_restored_commands_exit_status_reaches_its_waiters() {
    let (ct, root) = with_rootfs("ckexit", "");
    ct.start_detached("while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 7");
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut waiter = ct
        .command("wait", &["-s", "STOPPED", "-t", "20"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut sub = socket_subscribe(&ct);
    std::fs::write(root.join("tmp/go"), "").unwrap();
    assert!(waiter.wait().unwrap().success());
    let line = sub.read_until_stopped();
    assert!(line.contains(r#""exit":{"code":7}"#), "{line}");
    ct.assert_clean();
}

/// A `subscribe` on the control socket, read until STOPPED.
struct Sub(std::io::BufReader<std::os::unix::net::UnixStream>);

fn socket_subscribe(ct: &Ct) -> Sub {
    use std::io::Write;
    let mut s = std::os::unix::net::UnixStream::connect(ct.run_dir().join("control.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}\n")
        .unwrap();
    Sub(std::io::BufReader::new(s))
}

impl Sub {
    /// The states of the next `n` notifications (after the subscription's answer).
    fn states(&mut self, n: usize) -> Vec<String> {
        use std::io::BufRead;
        let mut out = Vec::new();
        while out.len() < n {
            let mut line = String::new();
            assert!(
                self.0.read_line(&mut line).unwrap_or(0) > 0,
                "subscription ended"
            );
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(state) = v["params"]["state"].as_str() {
                out.push(state.to_string());
            }
        }
        out
    }

    fn read_until_stopped(&mut self) -> String {
        use std::io::BufRead;
        loop {
            let mut line = String::new();
            if self.0.read_line(&mut line).unwrap_or(0) == 0 {
                return line;
            }
            if line.contains("STOPPED") {
                return line;
            }
        }
    }
}

#[test]
fn a_busybox_system_container_restores_running_with_its_services_and_memory_limit() {
    let (ct, root) = with_rootfs("cksys", "lxc.uts.name = ckhost\n");
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The service (a heartbeat every second under busybox init) runs once rcS is done.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stdout(&ct.lxc("ps", &[])).contains("service") {
        assert!(Instant::now() < deadline, "the service never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A memory limit set on the container's cgroup comes back with it.
    let info = ct.info().unwrap();
    let mem = info["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| PathBuf::from(c.as_str().unwrap()))
        .find(|c| c.join("memory.limit_in_bytes").exists())
        .expect("no v1 memory cgroup");
    std::fs::write(mem.join("memory.limit_in_bytes"), "67108864").unwrap();
    let dir = images(&ct);
    // Without -s the container runs on; subscribers see it CHECKPOINTING meanwhile.
    let mut sub = socket_subscribe(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let seen = sub.states(2);
    assert_eq!(seen, ["CHECKPOINTING", "RUNNING"]);
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let limit = std::fs::read_to_string(mem.join("memory.limit_in_bytes")).unwrap();
    assert_eq!(limit.trim(), "67108864");
    let ps = stdout(&ct.lxc("ps", &[]));
    assert!(ps.contains("init") && ps.contains("service"), "{ps}");
    // Its hostname came back: the service's shell sees it.
    let boot = root.join("var/log/boot.log");
    let pid = ct.info().unwrap()["pid"].as_i64().unwrap();
    let host = Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-u", "hostname"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&host.stdout).trim(), "ckhost");
    // No second boot: the restored init did not run rcS again.
    let booted = std::fs::read_to_string(&boot).unwrap();
    assert_eq!(booted.lines().count(), 1, "{booted}");
    let out = ct.lxc("stop", &["-t", "10"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn a_corrupted_image_fails_to_restore_and_leaves_nothing() {
    let (ct, _root) = with_rootfs("ckbad", "");
    ct.start_detached("sleep 600");
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    // Under another name the cgroups would not be the dumped ones: refused, nothing made.
    let other = Ct::beside("ckother", &ct);
    let other_dir = ct.lxcpath.join(&other.name);
    std::fs::create_dir_all(&other_dir).unwrap();
    std::fs::copy(
        ct.lxcpath.join(&ct.name).join("config"),
        other_dir.join("config"),
    )
    .unwrap();
    let out = other.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was dumped from the cgroups"),
        "{}",
        stderr(&out)
    );
    other.assert_clean();
    // The init's core image cut short.
    let core = Path::new(&dir).join("core-1.img");
    let len = std::fs::metadata(&core).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&core).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    let err = stderr(&out);
    assert_eq!(code(&out), 125, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("restore failed") && err.contains("restore.log"),
        "{err}"
    );
    ct.assert_clean();
    // A directory that holds no checkpoint: one line, nothing made.
    let out = ct.lxc("checkpoint", &["-r", "-D", "/nonexistent-lxct"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("not a checkpoint directory"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}

#[test]
fn a_failed_dump_leaves_the_container_running_and_thawed() {
    let (ct, _root) = with_rootfs("ckfail", "");
    ct.start_detached("sleep 600");
    // A file where the directory should be: the dump cannot start.
    let file = ct.lxcpath.join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let out = ct.lxc("checkpoint", &["-D", file.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    assert_eq!(ct.state(), "RUNNING");
    // Not left frozen either.
    let info = ct.info().unwrap();
    for c in info["cgroups"].as_array().unwrap() {
        let dir = PathBuf::from(c.as_str().unwrap());
        if let Ok(s) = std::fs::read_to_string(dir.join("freezer.state")) {
            assert_eq!(s.trim(), "THAWED");
        }
        if let Ok(s) = std::fs::read_to_string(dir.join("cgroup.freeze")) {
            assert_eq!(s.trim(), "0");
        }
    }
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

/// `busybox ping` of `addr` from the test's network namespace.
fn pings(net: &TestNet, addr: &str) -> bool {
    let out = run(
        Command::new("ip").args([
            "netns", "exec", &net.name, "busybox", "ping", "-c1", "-W3", addr,
        ]),
        Duration::from_secs(10),
    );
    out.status.success()
}

#[test]
fn a_veth_on_a_test_bridge_answers_ping_after_restore() {
    let net = TestNet::new("ckbr");
    net.bridge("br0", &["192.0.2.1/24"]);
    let pair = format!("vck{}", std::process::id() % 100_000);
    let (ct, _root) = rootfs_for(
        Ct::in_netns("ckveth", &net),
        &format!(
            "lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.flags = up\n\
             lxc.net.0.ipv4.address = 192.0.2.2/24\nlxc.net.0.veth.pair = {pair}\n"
        ),
    );
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(pings(&net, "192.0.2.2"), "no answer before the checkpoint");
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The host end is back on the bridge, up, and the container answers at its address.
    let link = stdout(&net.output(&["-o", "link", "show", &pair]));
    assert!(
        link.contains("master br0") && link.contains(",UP"),
        "{link}"
    );
    assert!(pings(&net, "192.0.2.2"), "no answer after the restore");
    let info = ct.info().unwrap();
    assert_eq!(info["ips"][0], "192.0.2.2", "{info}");
    let out = ct.lxc("stop", &["-t", "10"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

/// Runs a scenario of `tests/pty/harness.py` (a user at a real terminal) on `ct`, with a
/// busybox rootfs; the container is stopped afterwards, whatever happened.
fn pty_scenario(ct: &Ct, name: &str) {
    require_criu();
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let out = run(
        Command::new("python3")
            .args([
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("pty/harness.py")
                    .to_str()
                    .unwrap(),
                name,
                bin_dir().to_str().unwrap(),
                &ct.name,
                ct.lxcpath.to_str().unwrap(),
                root.to_str().unwrap(),
            ])
            .env("LXC_SYSCONF_DIR", &ct.sysconf),
        Duration::from_secs(120),
    );
    let _ = ct.lxc("stop", &["-k"]);
    ct.wait_stopped_or_clean();
    assert_eq!(
        code(&out),
        0,
        "scenario {name}: {}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// A busybox system container with its console and tty1, checkpointed with -s and restored:
/// lxc-console attaches to both and runs commands (the console's shell kept its variables and
/// its terminal's mode), the ring and the console log go on, and the restored container can be
/// checkpointed again.
#[test]
fn a_system_containers_console_and_tty_come_back_and_lxc_console_attaches() {
    pty_scenario(&Ct::new("ckcons"), "checkpoint_console");
}

/// lxc-execute at a terminal (an interactive shell with a job), checkpointed with -s;
/// `lxc-checkpoint -r -F` at another terminal follows the restored COMMAND's pty: its size,
/// what is typed, the output, COMMAND's exit status; the terminal is restored at the end.
#[test]
fn an_application_container_at_a_terminal_restores_onto_the_restoring_terminal() {
    pty_scenario(&Ct::new("ckexe"), "checkpoint_execute");
}

/// Any process of ours, or mount, that names the container (its shim, a criu of its restore).
fn leftovers(ct: &Ct) -> Vec<String> {
    let mut out = Vec::new();
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&ct.name) {
            out.push(format!("process {pid}: {cmdline}"));
        }
    }
    let lxcpath = ct.lxcpath.to_str().unwrap();
    for m in host_mounts() {
        if m.contains(lxcpath) {
            out.push(format!("mount {m}"));
        }
    }
    out
}

/// A container with a console and a tty whose restore fails (a corrupted image) leaves
/// nothing: no shim, no criu, no mount; the new ptys were held by those alone.
#[test]
fn a_failed_restore_with_terminals_leaves_nothing_behind() {
    let (ct, _root) = with_rootfs("ckttybad", "lxc.console.path =\nlxc.tty.max = 1\n");
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_running();
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let meta = std::fs::read_to_string(Path::new(&dir).join("lxc-checkpoint.json")).unwrap();
    assert!(
        meta.contains(r#""mounts": ["#) && meta.contains("/dev/console"),
        "{meta}"
    );
    let core = Path::new(&dir).join("core-1.img");
    let len = std::fs::metadata(&core).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&core)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    let err = stderr(&out);
    assert_eq!(code(&out), 125, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("restore failed"), "{err}");
    ct.assert_clean();
    assert_eq!(leftovers(&ct), Vec::<String>::new());
}

/// CRIU takes an open /dev/tty for its holder's controlling terminal and has one name for
/// them all: shells with job control on two terminals of ours cannot both come back. The dump
/// is refused saying so, and the container runs on, thawed.
#[test]
fn shells_with_job_control_on_two_terminals_are_refused_with_why() {
    let (ct, root) = with_rootfs("ckttytwo", "lxc.console.path =\nlxc.tty.max = 1\n");
    std::fs::write(
        root.join("etc/inittab"),
        "::respawn:-/bin/sh\ntty1::respawn:-/bin/sh\n",
    )
    .unwrap();
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_running();
    // Both shells have opened /dev/tty once they run.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stdout(&ct.lxc("ps", &[])).matches("-/bin/sh").count() < 2 {
        assert!(Instant::now() < deadline, "the shells never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let out = ct.lxc("checkpoint", &["-D", &images(&ct)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("hold /dev/tty open"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(ct.state(), "RUNNING");
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}

/// A checkpoint directory whose lxc-checkpoint.json is a FIFO, a device that never ends or a
/// file too large: one line, exit 1, at once, without reading it (no hang, no memory).
#[test]
fn a_checkpoint_file_that_is_no_regular_file_is_refused_at_once() {
    let (ct, _root) = with_rootfs("ckfifo", "");
    let dir = ct.lxcpath.join("odd-images");
    std::fs::create_dir(&dir).unwrap();
    let meta = dir.join("lxc-checkpoint.json");
    let fifo = run(Command::new("mkfifo").arg(&meta), Duration::from_secs(10));
    assert!(fifo.status.success());
    let restore = |what: &str| {
        let t = Instant::now();
        let out = run(
            &mut ct.command("checkpoint", &["-r", "-D", dir.to_str().unwrap()]),
            Duration::from_secs(10),
        );
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{what}: {err}");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{what}: {:?}",
            t.elapsed()
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
        assert!(err.contains("lxc-checkpoint.json"), "{what}: {err}");
        err
    };
    assert!(restore("a FIFO").contains("not a regular file"));
    std::fs::remove_file(&meta).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &meta).unwrap();
    assert!(restore("/dev/zero").contains("not a regular file"));
    std::fs::remove_file(&meta).unwrap();
    let big = std::fs::File::create(&meta).unwrap();
    big.set_len(64 << 20).unwrap();
    drop(big);
    assert!(restore("64 MiB").contains("larger than"));
    ct.assert_clean();
}

/// A tampered lxc-checkpoint.json whose replacement file is a FIFO (or a terminal): the
/// restoring shim refuses it at once, without opening it for good (an open(2) of a FIFO waits
/// for a writer; of a terminal, it could become the shim's), and leaves nothing.
#[test]
fn a_replacement_file_that_is_no_regular_file_is_refused_at_once() {
    let (ct, _root) = with_rootfs("ckrepl", "");
    ct.start_detached("sleep 600");
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let meta_path = Path::new(&dir).join("lxc-checkpoint.json");
    let fifo = ct.lxcpath.join("repl.fifo");
    assert!(
        run(Command::new("mkfifo").arg(&fifo), Duration::from_secs(10))
            .status
            .success()
    );
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let with = meta["externals"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find_map(|e| e["with"].get_mut("path"))
        .expect("a file replaced by path");
    with["path"] = serde_json::Value::from(fifo.to_str().unwrap());
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    // Before the fix the shim waited in open(2): a writer lets it go on after 12 s.
    let unblock = fifo.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(12));
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&unblock);
    });
    let t = Instant::now();
    let out = run(
        &mut ct.command("checkpoint", &["-r", "-D", &dir]),
        Duration::from_secs(25),
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 125, "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("repl.fifo") && err.contains("not a regular file"),
        "{err}"
    );
    ct.assert_clean();
}

/// A macvlan on a veth end standing in for the parent: CRIU makes it again on the parent link
/// (`--external macvlan[...]`) with its address; the other end of the veth pings it.
#[test]
fn a_macvlan_on_a_test_parent_answers_ping_after_restore() {
    let net = TestNet::new("ckmv");
    net.veth("mvp0", "mvp1");
    net.run(&["addr", "add", "198.51.100.1/24", "dev", "mvp1"]);
    let (ct, _root) = rootfs_for(
        Ct::in_netns("ckmacvlan", &net),
        "lxc.net.0.type = macvlan\nlxc.net.0.link = mvp0\nlxc.net.0.flags = up\n\
         lxc.net.0.macvlan.mode = bridge\nlxc.net.0.ipv4.address = 198.51.100.2/24\n",
    );
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        pings(&net, "198.51.100.2"),
        "no answer before the checkpoint"
    );
    let dir = images(&ct);
    let out = ct.lxc("checkpoint", &["-D", &dir, "-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped(Duration::from_secs(10));
    let out = ct.lxc("checkpoint", &["-r", "-D", &dir]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(pings(&net, "198.51.100.2"), "no answer after the restore");
    let info = ct.info().unwrap();
    assert_eq!(info["ips"][0], "198.51.100.2", "{info}");
    let out = ct.lxc("stop", &["-t", "10"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}
