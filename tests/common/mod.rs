//! Shared by the integration tests: the built executables (by path, never from PATH), unique
//! names, a timeout on every command, and `Ct`, a guard that removes everything a test's
//! container may have left (shim, cgroups, run directory, stored config) even when it fails.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Fails (never skips) when the tests cannot do their job here.
pub fn require_root() {
    // The effective uid, read from /proc.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid.split_whitespace().nth(2) == Some("0"),
        "these tests need root (real namespaces and cgroups): run them as root"
    );
}

/// Directory of the built executables: `LXC_BIN_DIR`, else the target directory this test
/// binary was built into.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("LXC_BIN_DIR") {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Path of one executable; panics with how to build it when missing.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.is_file(),
        "{} is missing: build the workspace first (scripts/test.sh does)",
        p.display()
    );
    p
}

/// A unique container name: prefix, our pid, the test's tag.
pub fn unique(tag: &str) -> String {
    format!("lxct-{}-{tag}", std::process::id())
}

/// Runs a command with stdin closed and a deadline.
pub fn run(cmd: &mut Command, timeout: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_output(child, timeout)
}

/// Waits for a spawned child with a deadline, killing it (by pid) on timeout. Its output is
/// read as it comes (a child that writes more than a pipe holds must not block on it).
pub fn wait_output(mut child: Child, timeout: Duration) -> Output {
    use std::io::Read;
    // A reader hands its bytes over a channel, so that a pipe held open by something the
    // command left running cannot hold the test up either.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let collect = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default()
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let (o, e) = (collect(out), collect(err));
            panic!(
                "command timed out after {timeout:?}; stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&o),
                String::from_utf8_lossy(&e)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: collect(out),
        stderr: collect(err),
    }
}

/// Exit code, or 128+signal.
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The variable that points the commands at another system config directory than /etc/lxc.
pub const SYSCONF_ENV: &str = "LXC_SYSCONF_DIR";

/// One test container: a unique name and its own lxcpath. Dropping it kills its shim (by the
/// pid the shim recorded) and removes every trace.
pub struct Ct {
    pub name: String,
    pub lxcpath: PathBuf,
    /// The system config directory its commands see (`LXC_SYSCONF_DIR`): empty, as on a
    /// machine without LXC, unless the test writes an lxc.conf or default.conf there.
    pub sysconf: PathBuf,
    /// The default lxcpath the commands see (an lxc.conf in `sysconf` may change it): where
    /// the run directories of the lxcpath are depends on it.
    pub default_lxcpath: PathBuf,
    /// Run every command in this named network namespace (the test's own host network).
    pub netns: Option<String>,
    /// The lxcpath is another `Ct`'s: that one removes it.
    shares_lxcpath: bool,
}

impl Ct {
    pub fn new(tag: &str) -> Ct {
        require_root();
        let name = unique(tag);
        let lxcpath = std::env::temp_dir().join(format!("{name}.lxcpath"));
        std::fs::create_dir_all(&lxcpath).unwrap();
        std::fs::write(lxcpath.join(".lxct-marker"), b"").unwrap();
        let sysconf = std::env::temp_dir().join(format!("{name}.sysconf"));
        std::fs::create_dir_all(&sysconf).unwrap();
        std::fs::write(sysconf.join(".lxct-marker"), b"").unwrap();
        Ct {
            name,
            lxcpath,
            sysconf,
            default_lxcpath: PathBuf::from(lxc_proto::paths::DEFAULT_LXCPATH),
            netns: None,
            shares_lxcpath: false,
        }
    }

    /// A container in `other`'s lxcpath (containers of one lxcpath see each other: `lxc-ls`,
    /// one `lxc-monitor -P`).
    pub fn beside(tag: &str, other: &Ct) -> Ct {
        require_root();
        Ct {
            name: unique(tag),
            lxcpath: other.lxcpath.clone(),
            sysconf: other.sysconf.clone(),
            default_lxcpath: other.default_lxcpath.clone(),
            netns: other.netns.clone(),
            shares_lxcpath: true,
        }
    }

    /// A container whose commands (and so its shim and its host-side links) live in the test's
    /// network namespace `net`.
    pub fn in_netns(tag: &str, net: &TestNet) -> Ct {
        let mut ct = Ct::new(tag);
        ct.netns = Some(net.name.clone());
        ct
    }

    /// `lxc-<cmd> -n NAME -P LXCPATH <args>` with a deadline of 30 s.
    pub fn lxc(&self, cmd: &str, args: &[&str]) -> Output {
        run(&mut self.command(cmd, args), Duration::from_secs(30))
    }

    /// The same command, not started yet.
    pub fn command(&self, cmd: &str, args: &[&str]) -> Command {
        let mut c = self.bare(cmd);
        c.arg("-n")
            .arg(&self.name)
            .arg("-P")
            .arg(&self.lxcpath)
            .args(args);
        c
    }

    /// `lxc-<cmd>` with no argument yet, in the container's network namespace if it has one,
    /// seeing the container's system config directory (`sysconf`), never /etc/lxc.
    pub fn bare(&self, cmd: &str) -> Command {
        let exe = bin(&format!("lxc-{cmd}"));
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net=/var/run/netns/{ns}")).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.env(SYSCONF_ENV, &self.sysconf);
        c
    }

    /// `lxc-execute` of `args` (COMMAND after `--`), asserting nothing.
    pub fn execute(&self, args: &[&str]) -> Output {
        self.lxc("execute", args)
    }

    /// Starts `sh -c script` detached and returns once RUNNING.
    pub fn start_detached(&self, script: &str) {
        self.start_detached_with(&[], script);
    }

    /// The same with more lxc-execute options first (`-s KEY=VALUE`...).
    pub fn start_detached_with(&self, options: &[&str], script: &str) {
        let mut args = vec!["-d"];
        args.extend_from_slice(options);
        args.extend(["--", "sh", "-c", script]);
        let out = self.execute(&args);
        assert_eq!(code(&out), 0, "lxc-execute -d failed: {}", stderr(&out));
    }

    /// `lxc-execute ARGS` in the foreground, started and not waited for: stdin closed,
    /// stdout and stderr piped.
    pub fn spawn_execute(&self, args: &[&str]) -> Child {
        self.command("execute", args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits (10 s at most) until the container is RUNNING.
    pub fn wait_running(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.state() != "RUNNING" {
            assert!(Instant::now() < deadline, "{} never RUNNING", self.name);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Looks at the container (which cleans up after a dead shim) until its run directory is
    /// gone, 10 s at most.
    pub fn wait_stopped_or_clean(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let _ = self.lxc("state", &[]);
            if !self.run_dir().exists() {
                return;
            }
            assert!(Instant::now() < deadline, "{} never stopped", self.name);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn state(&self) -> String {
        let out = self.lxc("state", &[]);
        stdout(&out).trim().to_string()
    }

    /// The shim's `info`, or None when not running.
    pub fn info(&self) -> Option<serde_json::Value> {
        let out = self.lxc("info", &["--json"]);
        if code(&out) != 0 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v.get("shim_pid")?;
        Some(v)
    }

    /// Where monitors of this lxcpath bind their sockets (crates/proto, paths).
    pub fn monitor_dir(&self) -> PathBuf {
        lxc_proto::paths::RunRoot::for_lxcpath(&self.lxcpath, &self.default_lxcpath).monitor_dir()
    }

    /// Waits (5 s at most) until process `pid` (an lxc-monitor or lxc-wait of this lxcpath)
    /// has bound its monitor socket (`PID-N.sock`).
    pub fn wait_monitor_bound(&self, pid: u32) {
        let me = format!("{pid}-");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found = std::fs::read_dir(self.monitor_dir())
                .map(|rd| {
                    rd.flatten()
                        .any(|e| e.file_name().to_string_lossy().starts_with(&me))
                })
                .unwrap_or(false);
            if found {
                return;
            }
            assert!(Instant::now() < deadline, "{pid} never bound its socket");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The run directory, where the contract puts it for this lxcpath (crates/proto, paths).
    pub fn run_dir(&self) -> PathBuf {
        lxc_proto::paths::RunRoot::for_lxcpath(&self.lxcpath, &self.default_lxcpath)
            .container(&self.name)
            .dir()
            .to_path_buf()
    }

    /// The name of its cgroups below `<own>/lxc`: NAME for the default lxcpath, NAME@HASH for
    /// any other (HASH as in its run root `.p-HASH`).
    pub fn cgroup_name(&self) -> String {
        let root = lxc_proto::paths::RunRoot::for_lxcpath(&self.lxcpath, &self.default_lxcpath);
        match root.path().file_name().and_then(|n| n.to_str()) {
            Some(d) if d.starts_with(".p-") => format!("{}@{}", self.name, &d[3..]),
            _ => self.name.clone(),
        }
    }

    /// Every cgroup directory named after the container that exists now.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![PathBuf::from("/sys/fs/cgroup")];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    continue;
                }
                // NAME for the default lxcpath, NAME@HASH for any other.
                let named = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n == self.name
                        || n.strip_prefix(self.name.as_str())
                            .is_some_and(|r| r.starts_with('@'))
                });
                if named
                    && p.parent()
                        .and_then(|q| q.file_name())
                        .and_then(|n| n.to_str())
                        == Some("lxc")
                {
                    found.push(p);
                } else if p.components().count() < 12 {
                    stack.push(p);
                }
            }
        }
        found
    }

    /// Waits until the container is no longer running (its run directory gone).
    pub fn wait_stopped(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.run_dir().exists() {
            assert!(
                Instant::now() < deadline,
                "{} still running after {timeout:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Asserts that nothing of the container is left on the host.
    pub fn assert_clean(&self) {
        assert!(
            !self.run_dir().exists(),
            "run dir {} left",
            self.run_dir().display()
        );
        assert_eq!(self.cgroup_dirs(), Vec::<PathBuf>::new(), "cgroups left");
    }
}

impl Drop for Ct {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_ARTIFACTS").is_some() {
            return;
        }
        if let Ok(rec) = std::fs::read(self.run_dir().join("state.json")) {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&rec) {
                if let Some(pid) = v.get("shim_pid").and_then(|p| p.as_i64()) {
                    kill_if_ours(pid as i32, &self.run_dir());
                }
            }
        }
        // A look at the state cleans up after a dead shim.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.run_dir().exists() && Instant::now() < deadline {
            let _ = run(&mut self.command("state", &[]), Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(10));
        }
        for d in self.cgroup_dirs() {
            let _ = std::fs::remove_dir(d);
        }
        if !self.shares_lxcpath && self.lxcpath.join(".lxct-marker").exists() {
            let _ = std::fs::remove_dir_all(&self.lxcpath);
            // The lxcpath's run root: sockets of monitors that were killed, then the root if
            // nothing else is left in it.
            let root = lxc_proto::paths::RunRoot::for_lxcpath(&self.lxcpath, &self.default_lxcpath);
            if root.path() != Path::new("/var/run/lxc") {
                if let Ok(rd) = std::fs::read_dir(root.monitor_dir()) {
                    for e in rd.flatten() {
                        let pid = e
                            .file_name()
                            .to_string_lossy()
                            .split('-')
                            .next()
                            .map(str::to_string);
                        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
                        if !alive {
                            let _ = std::fs::remove_file(e.path());
                        }
                    }
                }
                root.remove_if_empty();
            }
        }
        if !self.shares_lxcpath && self.sysconf.join(".lxct-marker").exists() {
            let _ = std::fs::remove_dir_all(&self.sysconf);
        }
    }
}

/// SIGKILLs `pid` only if it is the shim of the container of run directory `run_dir` (so a
/// reused pid is left alone).
pub fn kill_if_ours(pid: i32, run_dir: &Path) {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    // /var/run is a symlink to /run: the link target reads /run/lxc/.../NAME/lock.
    let shown = format!("{}/", run_dir.display());
    let rd = shown.strip_prefix("/var").unwrap_or(&shown).to_string();
    if comm.trim() != "lxc-shim" {
        return;
    }
    // The shim holds the container's lock open: check that this pid is that shim.
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"));
    let ours = fds
        .map(|rd_| {
            rd_.flatten().any(|e| {
                std::fs::read_link(e.path())
                    .map(|t| t.to_string_lossy().contains(&rd))
                    .unwrap_or(false)
            })
        })
        .unwrap_or(false);
    if ours {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
}

/// A raw client of the control socket: send `line`, read one answer line (5 s deadline).
pub fn socket_roundtrip(sock: &Path, line: &[u8]) -> Option<String> {
    use std::io::{BufRead, BufReader};
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(line).ok()?;
    let mut r = BufReader::new(s);
    let mut out = String::new();
    match r.read_line(&mut out) {
        Ok(n) if n > 0 => Some(out),
        _ => None,
    }
}

/// A FUSE server that answers FUSE_INIT and nothing else: a process that touches the mount
/// waits for an answer that never comes, and once a freeze interrupts that wait it sleeps
/// where no freezer can reach it (fuse(4): the kernel then waits, killable only, for the
/// interrupt's answer). The mount lives in the container's own mount namespace.
pub const STUCK_FUSE: &str = r#"
import ctypes, os, struct, sys
mnt, ready = sys.argv[1], sys.argv[2]
fd = os.open("/dev/fuse", os.O_RDWR)
os.makedirs(mnt, exist_ok=True)
libc = ctypes.CDLL(None, use_errno=True)
opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0".encode()
if libc.mount(b"stuck", mnt.encode(), b"fuse", 0, opts) != 0:
    sys.exit("mount: errno %d" % ctypes.get_errno())
while True:
    req = os.read(fd, 1 << 20)
    length, opcode, unique = struct.unpack_from("<IIQ", req)
    if opcode == 26:  # FUSE_INIT
        out = struct.pack("<IIIIHHIIHHI", 7, 31, 0, 0, 0, 0, 4096, 0, 0, 0, 0) + bytes(28)
        os.write(fd, struct.pack("<IiQ", 16 + len(out), 0, unique) + out)
        open(ready, "w").close()
"#;

/// Builds a busybox root filesystem (scripts/mkrootfs.sh) in `dir`.
pub fn make_rootfs(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/mkrootfs.sh");
    let out = run(
        Command::new("bash").arg(&script).arg(dir),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "mkrootfs.sh failed (the tests need busybox-static): {}",
        stderr(&out)
    );
}

/// The host's mount table as this process sees it (mount ids and mount points).
pub fn host_mounts() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut v: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().take(5).collect::<Vec<_>>().join(" "))
        .collect();
    v.sort();
    v
}

/// A network namespace of the test's own (`ip netns add`), standing in for the host's network:
/// containers started in it put their host-side links there, never in the real host's.
/// Deleted on drop, and everything in it with it.
pub struct TestNet {
    pub name: String,
}

impl TestNet {
    pub fn new(tag: &str) -> TestNet {
        require_root();
        let name = unique(tag);
        let net = TestNet { name };
        net.ip(&["netns", "add", &net.name.clone()]);
        net.run(&["link", "set", "lo", "up"]);
        net
    }

    fn ip(&self, args: &[&str]) {
        let out = run(Command::new("ip").args(args), Duration::from_secs(10));
        assert!(out.status.success(), "ip {args:?}: {}", stderr(&out));
    }

    /// `ip -n NS ARGS`, asserting success.
    pub fn run(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        self.ip(&all);
    }

    /// `ip -n NS ARGS`, its output whatever happens.
    pub fn output(&self, args: &[&str]) -> Output {
        run(
            Command::new("ip").arg("-n").arg(&self.name).args(args),
            Duration::from_secs(10),
        )
    }

    /// Names of the links in the namespace, sorted.
    pub fn links(&self) -> Vec<String> {
        let out = self.output(&["-o", "link", "show"]);
        let mut v: Vec<String> = stdout(&out)
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .map(|n| n.split('@').next().unwrap_or(n).to_string())
            .collect();
        v.sort();
        v
    }

    /// A bridge with addresses, up.
    pub fn bridge(&self, name: &str, addrs: &[&str]) {
        self.run(&["link", "add", name, "type", "bridge"]);
        for a in addrs {
            if a.contains(':') {
                self.run(&["addr", "add", a, "dev", name, "nodad"]);
            } else {
                self.run(&["addr", "add", a, "dev", name]);
            }
        }
        self.run(&["link", "set", name, "up"]);
    }

    /// A veth pair, both ends up.
    pub fn veth(&self, a: &str, b: &str) {
        self.run(&["link", "add", a, "type", "veth", "peer", "name", b]);
        self.run(&["link", "set", a, "up"]);
        self.run(&["link", "set", b, "up"]);
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_ARTIFACTS").is_none() {
            let _ = run(
                Command::new("ip").args(["netns", "del", &self.name]),
                Duration::from_secs(10),
            );
        }
    }
}

/// An lxc-monitor started now, printing to a pipe read by a thread.
pub struct Mon {
    pub child: std::process::Child,
    rx: std::sync::mpsc::Receiver<String>,
}

impl Mon {
    /// Watches the lxcpath of `ct`.
    pub fn start(ct: &Ct, regex: &str, extra: &[&str]) -> Mon {
        let mut child = ct
            .bare("monitor")
            .args(["-n", regex, "-P"])
            .arg(&ct.lxcpath)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ct.wait_monitor_bound(child.id());
        Mon { child, rx }
    }

    /// Up to `n` lines, waiting at most `timeout` in all.
    pub fn lines(&mut self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        while lines.len() < n {
            match self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(l) => lines.push(l),
                Err(_) => break,
            }
        }
        lines
    }
}

impl Drop for Mon {
    /// SIGTERM first, so that lxc-monitor removes its socket (and an emptied run root) as it
    /// does when interrupted; SIGKILL if it has not ended in 2 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub mod tpl;
