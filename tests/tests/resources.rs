//! Resource management on real cgroups: the config's `lxc.cgroup.*` limits on every v1
//! controller of this host (memory, pids, cpu, cpuacct, cpuset, blkio, devices), the cgroup2
//! core files, refusals (exit 125, one line, nothing left), live `lxc-cgroup`, statistics and
//! OOM events. This host's cgroup2 tree offers only hugetlb, and only to its root's children
//! (which we may not enable): the cgroup2 controller paths are covered by the shim's fixture
//! tests (`cgroup/files.rs`, `cgroup/limits.rs`), the refusal here.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The container's group in the v1 hierarchy mounted at /sys/fs/cgroup/`mount`.
fn v1_dir(ct: &Ct, mount: &str) -> PathBuf {
    let root = PathBuf::from("/sys/fs/cgroup").join(mount);
    ct.cgroup_dirs()
        .into_iter()
        .find(|d| d.starts_with(&root))
        .unwrap_or_else(|| panic!("{} has no group in {}", ct.name, root.display()))
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .trim()
        .to_string()
}

/// A start refused for a limit: exit 125, one line naming the key, nothing left behind.
fn refused(ct: &Ct, setting: &str, expect: &[&str]) {
    let out = ct.execute(&["-s", setting, "--", "true"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 125, "{setting}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for part in expect {
        assert!(err.contains(part), "{setting}: {part:?} not in {err}");
    }
    ct.assert_clean();
}

#[test]
fn memory_limit_oom_kills_a_hog() {
    let ct = Ct::new("oomhog");
    let out = ct.execute(&[
        "-s",
        "lxc.cgroup.memory.limit_in_bytes=32M",
        "-s",
        "lxc.cgroup.memory.memsw.limit_in_bytes=32M",
        "--",
        "python3",
        "-c",
        "b = b'a' * (256 << 20)",
    ]);
    assert_eq!(code(&out), 137, "the hog was not killed: {}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        format!(
            "lxc-execute: {}: python3 was killed by the OOM killer",
            ct.name
        )
    );
    ct.assert_clean();
}

/// A process of the container that the OOM killer kills (COMMAND lives on) is told at once to
/// subscribers (`oom` notification) and monitors (an `oom` datagram), and counted in `info`.
#[test]
fn an_oom_kill_is_an_event_and_counted() {
    let ct = Ct::new("oomevent");
    let go = ct.lxcpath.join("go");
    ct.start_detached_with(
        &[
            "-s",
            "lxc.cgroup.memory.limit_in_bytes=32M",
            "-s",
            "lxc.cgroup.memory.memsw.limit_in_bytes=32M",
        ],
        &format!(
            "while [ ! -e {} ]; do sleep 0.02; done; python3 -c \"b = b'a' * (256 << 20)\"; \
             sleep 1000",
            go.display()
        ),
    );
    let script = r#"
import json, os, socket, sys
sock, mondir, go = sys.argv[1:4]
os.makedirs(mondir, mode=0o700, exist_ok=True)
mpath = os.path.join(mondir, f"t-{os.getpid()}.sock")
m = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
m.bind(mpath)
m.settimeout(20)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sock)
f = s.makefile("rb")
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"subscribe"}\n')
json.loads(f.readline())
open(go, "w").close()
try:
    while True:
        n = json.loads(f.readline())
        if n.get("method") == "oom":
            print(json.dumps(n["params"]))
            break
    while True:
        d = json.loads(m.recv(65536))
        if d.get("event") == "oom":
            print(json.dumps(d))
            break
finally:
    os.unlink(mpath)
"#;
    let out = run(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(ct.run_dir().join("control.sock"))
            .arg(ct.monitor_dir())
            .arg(&go),
        Duration::from_secs(40),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for ev in &events {
        assert_eq!(ev["name"], ct.name.as_str());
        assert_eq!(ev["event"], "oom");
        assert_eq!(ev["oom_kills"], 1);
    }
    let info = ct.info().unwrap();
    assert_eq!(info["oom_kills"], 1, "{info}");
    assert_eq!(info["state"], "RUNNING", "COMMAND lives on");
    let json: serde_json::Value =
        serde_json::from_slice(&ct.lxc("info", &["-S", "--json"]).stdout).unwrap();
    assert_eq!(json["stats"]["oom_kills"], 1);
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn pids_max_stops_a_fork_loop() {
    let ct = Ct::new("pidsmax");
    let out = ct.execute(&[
        "-s",
        "lxc.cgroup.pids.max=8",
        "--",
        "sh",
        "-c",
        "i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done; echo all forked",
    ]);
    assert_ne!(code(&out), 0);
    assert!(!stdout(&out).contains("all forked"));
    assert!(stderr(&out).contains("fork"), "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn cpu_quota_throttles_a_busy_loop() {
    let ct = Ct::new("cpuquota");
    ct.start_detached_with(
        &[
            "-s",
            "lxc.cgroup.cpu.cfs_period_us=100000",
            "-s",
            "lxc.cgroup.cpu.cfs_quota_us=20000",
        ],
        "while :; do :; done",
    );
    let cpu = v1_dir(&ct, "cpu");
    assert_eq!(read(cpu.join("cpu.cfs_quota_us")), "20000");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = read(cpu.join("cpu.stat"));
        let throttled: u64 = stat
            .lines()
            .find_map(|l| l.strip_prefix("nr_throttled "))
            .unwrap()
            .parse()
            .unwrap();
        if throttled >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "never throttled: {stat}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let used: u64 = read(v1_dir(&ct, "cpuacct").join("cpuacct.usage"))
        .parse()
        .unwrap();
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let used2: u64 = read(v1_dir(&ct, "cpuacct").join("cpuacct.usage"))
        .parse()
        .unwrap();
    let share = (used2 - used) as f64 / t.elapsed().as_nanos() as f64;
    assert!(share < 0.35, "a 20% quota gave {share:.2} of a CPU");
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn a_denied_device_cannot_be_opened() {
    let ct = Ct::new("devdeny");
    let out = ct.execute(&[
        "-s",
        "lxc.cgroup.devices.deny=c 1:5 rwm",
        "--",
        "sh",
        "-c",
        "head -c1 /dev/null; head -c1 /dev/zero",
    ]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("/dev/zero") && stderr(&out).contains("Operation not permitted"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}

/// cpuset and blkio, and the cgroup2 core files, land where they should, in config order.
#[test]
fn limits_of_every_controller_are_written_in_order() {
    let ct = Ct::new("ctlall");
    let dev = read(
        PathBuf::from("/sys/class/block")
            .read_dir()
            .unwrap()
            .flatten()
            .map(|e| e.path().join("dev"))
            .find(|p| p.exists())
            .unwrap(),
    );
    ct.start_detached_with(
        &[
            "-s",
            "lxc.cgroup.cpuset.cpus=0",
            "-s",
            &format!("lxc.cgroup.blkio.throttle.read_bps_device={dev} 1048576"),
            "-s",
            "lxc.cgroup.memory.limit_in_bytes=64M",
            "-s",
            "lxc.cgroup.memory.limit_in_bytes=48M",
            "-s",
            "lxc.cgroup.cpu.shares=512",
            "-s",
            "lxc.cgroup2.cgroup.max.descendants=3",
        ],
        "sleep 1000",
    );
    assert_eq!(read(v1_dir(&ct, "cpuset").join("cpuset.cpus")), "0");
    assert_eq!(
        read(v1_dir(&ct, "blkio").join("blkio.throttle.read_bps_device")),
        format!("{dev} 1048576")
    );
    assert_eq!(
        read(v1_dir(&ct, "memory").join("memory.limit_in_bytes")),
        (48 << 20).to_string(),
        "the later line wins"
    );
    assert_eq!(read(v1_dir(&ct, "cpu").join("cpu.shares")), "512");
    assert_eq!(
        read(v1_dir(&ct, "unified").join("cgroup.max.descendants")),
        "3"
    );
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

#[test]
fn refused_limits_abort_the_start_and_leave_nothing() {
    let ct = Ct::new("limitbad");
    refused(
        &ct,
        "lxc.cgroup.memory.limit_in_bytes=lots",
        &[
            "lxc.cgroup.memory.limit_in_bytes = \"lots\"",
            "/memory.limit_in_bytes: Invalid argument",
        ],
    );
    refused(
        &ct,
        "lxc.cgroup.nosuch.file=1",
        &["lxc.cgroup.nosuch.file: this host has no cgroup v1 nosuch hierarchy"],
    );
    // This host's cgroup2 tree has no pids controller, and hugetlb only for the root's own
    // children: refused, never ignored.
    refused(
        &ct,
        "lxc.cgroup2.pids.max=5",
        &["lxc.cgroup2.pids.max: the cgroup2 controller pids is not available"],
    );
    refused(
        &ct,
        "lxc.cgroup2.hugetlb.2MB.max=0",
        &["lxc.cgroup2.hugetlb.2MB.max: the cgroup2 controller hugetlb is not available"],
    );
    refused(
        &ct,
        "lxc.cgroup.cpuset.cpus=4096",
        &["lxc.cgroup.cpuset.cpus = \"4096\"", "/cpuset.cpus: "],
    );
    refused(
        &ct,
        "lxc.cgroup2.cgroup.procs=1",
        &["lxc.cgroup2.cgroup.procs: this file is the container manager's own"],
    );
}

#[test]
fn lxc_cgroup_gets_and_sets_through_the_shim() {
    let ct = Ct::new("cgroupcli");
    ct.start_detached("sleep 1000");
    let get = |key: &str| {
        let out = ct.lxc("cgroup", &[key]);
        assert_eq!(code(&out), 0, "{key}: {}", stderr(&out));
        stdout(&out).trim_end().to_string()
    };
    assert_eq!(
        code(&ct.lxc("cgroup", &["memory.limit_in_bytes", "100M"])),
        0
    );
    assert_eq!(get("memory.limit_in_bytes"), (100 << 20).to_string());
    assert_eq!(
        read(v1_dir(&ct, "memory").join("memory.limit_in_bytes")),
        (100 << 20).to_string()
    );
    assert_eq!(code(&ct.lxc("cgroup", &["lxc.cgroup.pids.max", "50"])), 0);
    assert_eq!(get("pids.max"), "50");
    assert_eq!(get("lxc.cgroup2.cgroup.max.depth"), "max");
    for (args, expect) in [
        (
            &["memory.limit_in_bytes", "lots"][..],
            "/memory.limit_in_bytes: Invalid argument",
        ),
        (
            &["cgroup.procs", "1"][..],
            "cgroup.procs: this file is the container manager's own",
        ),
        (&["../../etc.passwd"][..], "is not a cgroup file name"),
        (
            &["lxc.cgroup.nosuch.x"][..],
            "this host has no cgroup v1 nosuch hierarchy",
        ),
    ] {
        let out = ct.lxc("cgroup", args);
        assert_eq!(code(&out), 1, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("lxc-cgroup: {}: ", ct.name)) && err.contains(expect),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    let out = ct.lxc("cgroup", &["pids.max"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("doesn't exist"), "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn lxc_info_prints_statistics_as_lxc_does() {
    let ct = Ct::new("infostats");
    ct.start_detached("exec sleep 1000");
    let out = ct.lxc("info", &["-S"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let labels: Vec<&str> = text.lines().map(|l| &l[..16.min(l.len())]).collect();
    assert_eq!(
        labels,
        [
            "CPU use:        ",
            "BlkIO use:      ",
            "Memory use:     ",
            "KMem use:       "
        ],
        "{text}"
    );
    assert!(text.lines().next().unwrap().ends_with(" seconds"), "{text}");
    // Raw bytes are memory.usage_in_bytes itself: compared while it holds still (the kernel
    // may charge a page between two reads, so a few tries).
    let usage = || read(v1_dir(&ct, "memory").join("memory.usage_in_bytes"));
    let mut tries = 0;
    loop {
        let before = usage();
        let raw = stdout(&ct.lxc("info", &["-S", "-H"]));
        let memory = raw
            .lines()
            .find_map(|l| l.strip_prefix("Memory use:"))
            .unwrap()
            .trim()
            .to_string();
        if memory == before && usage() == before {
            break;
        }
        tries += 1;
        assert!(
            tries < 20,
            "-H is not memory.usage_in_bytes: {memory} vs {before}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Everything: Name, State, PID, then the statistics.
    let all = stdout(&ct.lxc("info", &[]));
    assert!(
        all.starts_with("Name:") && all.contains("\nCPU use:"),
        "{all}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&ct.lxc("info", &["-S", "--json"]).stdout).unwrap();
    assert!(json["stats"]["cpu_ns"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(json["stats"]["oom_kills"], 0);
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    ct.assert_clean();
}

/// lxc-top: a table per refresh in batch mode; on a terminal each frame drawn over the last
/// (cursor home, lines cleared to their end, the rest cleared), never the whole screen again.
#[test]
fn lxc_top_batch_and_terminal() {
    let a = Ct::new("topa");
    let b = Ct::beside("topb", &a);
    a.start_detached("while :; do :; done");
    b.start_detached("sleep 1000");
    let out = run(
        a.bare("top")
            .args(["-P"])
            .arg(&a.lxcpath)
            .args(["-b", "-i", "2", "-d", "0.3", "-s", "c"]),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let tables: Vec<&str> = text.trim_end().split("\n\n").collect();
    assert_eq!(tables.len(), 2, "{text}");
    for t in &tables {
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("CONTAINER"), "{t}");
        assert!(
            lines[1].starts_with(&a.name),
            "sorted by CPU, the busy one first: {t}"
        );
        assert!(lines[2].starts_with(&b.name), "{t}");
        assert!(lines[3].starts_with("TOTAL (2)"), "{t}");
    }
    let busy: f64 = tables[1]
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!(busy > 0.0, "the busy loop's CPU %: {}", tables[1]);
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
"#;
    let out = run(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(bin("lxc-top"))
            .arg("-P")
            .arg(&a.lxcpath)
            .args(["-i", "2", "-d", "0.2"])
            .env(SYSCONF_ENV, &a.sysconf),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let screen = stdout(&out);
    assert_eq!(screen.matches("\x1b[2J").count(), 1, "{screen:?}");
    assert_eq!(screen.matches("\x1b[H").count(), 2, "{screen:?}");
    assert_eq!(screen.matches("\x1b[J").count(), 2, "{screen:?}");
    assert_eq!(
        screen.matches("\x1b[K").count(),
        8,
        "4 lines a frame: {screen:?}"
    );
    assert!(
        screen.contains(&a.name) && screen.contains(&b.name),
        "{screen:?}"
    );
    for ct in [&a, &b] {
        assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
        ct.assert_clean();
    }
}

/// lxc.prlimit.*, lxc.proc.oom_score_adj and namespaced lxc.sysctl.* reach COMMAND; the host's
/// values stay; what the kernel refuses (a hard limit above ours: no CAP_SYS_RESOURCE here) or
/// what would change the host is refused with exit 125 and one line.
#[test]
fn prlimits_oom_score_and_sysctls() {
    let ct = Ct::new("tunables");
    let host_msgmax = read(PathBuf::from("/proc/sys/kernel/msgmax"));
    let host_forward = read(PathBuf::from("/proc/sys/net/ipv4/ip_forward"));
    let forward = if host_forward == "1" { "0" } else { "1" };
    let out = ct.execute(&[
        "-s",
        "lxc.prlimit.nofile=512:1024",
        "-s",
        "lxc.limit.core=0",
        "-s",
        "lxc.proc.oom_score_adj=500",
        "-s",
        "lxc.sysctl.kernel.msgmax=4096",
        "-s",
        "lxc.net.0.type=empty",
        "-s",
        &format!("lxc.sysctl.net.ipv4.ip_forward={forward}"),
        "--",
        "sh",
        "-c",
        "ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj \
         /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_forward",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        ["512", "1024", "0", "500", "4096", forward]
    );
    assert_eq!(read(PathBuf::from("/proc/sys/kernel/msgmax")), host_msgmax);
    assert_eq!(
        read(PathBuf::from("/proc/sys/net/ipv4/ip_forward")),
        host_forward
    );
    for (setting, expect) in [
        (
            "lxc.prlimit.nofile=100000000",
            "lxc.prlimit.nofile = \"100000000\": Operation not permitted",
        ),
        (
            "lxc.proc.oom_score_adj=-500",
            "lxc.proc.oom_score_adj = \"-500\": Permission denied",
        ),
        (
            "lxc.sysctl.vm.swappiness=1",
            "lxc.sysctl.vm.swappiness: not a namespaced sysctl",
        ),
        (
            "lxc.sysctl.net.ipv4.ip_forward=1",
            "the container shares the host's network namespace",
        ),
    ] {
        refused(&ct, setting, &[expect]);
    }
}

/// cgroup2 device control for real: a BPF device program on the container's cgroup2 group
/// (this host's cgroup2 tree runs it although its devices controller is v1's).
#[test]
fn cgroup2_device_program_denies_and_allows() {
    let ct = Ct::new("bpfdev");
    let out = ct.execute(&[
        "-s",
        "lxc.cgroup2.devices.deny=c 1:5 rwm",
        "--",
        "sh",
        "-c",
        "head -c1 /dev/null && echo null; head -c1 /dev/zero",
    ]);
    assert_ne!(code(&out), 0);
    assert_eq!(stdout(&out), "null\n");
    assert!(
        stderr(&out).contains("'/dev/zero' for reading: Operation not permitted"),
        "{}",
        stderr(&out)
    );
    // Nothing but what is allowed after `a`; an allow names its accesses.
    let out = ct.execute(&[
        "-s",
        "lxc.cgroup2.devices.deny=a",
        "-s",
        "lxc.cgroup2.devices.allow=c 1:3 rwm",
        "-s",
        "lxc.cgroup2.devices.allow=c 1:9 r",
        "--",
        "sh",
        "-c",
        "echo x > /dev/null && echo null; head -c1 /dev/urandom > /dev/null && echo read; \
         echo x > /dev/urandom || echo nowrite; head -c1 /dev/zero || echo nozero",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "null\nread\nnowrite\nnozero\n");
    refused(
        &ct,
        "lxc.cgroup2.devices.allow=c 1:3",
        &["is no device rule"],
    );
    ct.assert_clean();
}
