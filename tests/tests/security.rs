//! Confinement of what runs inside: lxc.cap.drop / lxc.cap.keep (the five capability sets of
//! COMMAND and of our init, read from /proc/PID/status), lxc.no_new_privs, lxc.seccomp.profile
//! (a denied syscall fails with the profile's errno, or kills), and refused settings.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::collections::BTreeMap;

/// CAP_* numbers used below.
const CHOWN: u32 = 0;
const KILL: u32 = 5;
const NET_RAW: u32 = 13;
const SYS_MODULE: u32 = 16;
const SYS_RAWIO: u32 = 17;
const SYS_ADMIN: u32 = 21;
const SYS_TIME: u32 = 25;
const MKNOD: u32 = 27;
const MAC_OVERRIDE: u32 = 32;
const MAC_ADMIN: u32 = 33;

/// The Cap* lines of a status file, as masks.
fn caps(status: &str) -> BTreeMap<String, u64> {
    status
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.starts_with("Cap")
                .then(|| (k.to_string(), u64::from_str_radix(v.trim(), 16).unwrap()))
        })
        .collect()
}

/// The host's bounding set (what the container starts from).
fn host_bounding() -> u64 {
    caps(&std::fs::read_to_string("/proc/self/status").unwrap())["CapBnd"]
}

fn bits(list: &[u32]) -> u64 {
    list.iter().fold(0, |m, c| m | (1 << c))
}

/// Starts the container detached with `args`, COMMAND `sleep`, and returns the status of
/// COMMAND and of our init (read from the host once RUNNING, which the init reports after
/// it has restricted itself), then stops it.
fn statuses(ct: &Ct, args: &[&str]) -> (BTreeMap<String, u64>, BTreeMap<String, u64>, String) {
    let mut all = vec!["-d"];
    all.extend_from_slice(args);
    all.extend(["--", "sleep", "1000"]);
    let out = ct.execute(&all);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let init = ct.info().unwrap()["pid"].as_i64().unwrap();
    let children = std::fs::read_to_string(format!("/proc/{init}/task/{init}/children")).unwrap();
    let cmd = children.split_whitespace().next().unwrap().to_string();
    let own = std::fs::read_to_string(format!("/proc/{cmd}/status")).unwrap();
    let init = std::fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (caps(&own), caps(&init), own)
}

#[test]
fn the_built_in_default_drops_what_lxcs_common_config_drops() {
    let ct = Ct::new("capdef");
    let dropped = bits(&[SYS_MODULE, SYS_RAWIO, SYS_TIME, MAC_OVERRIDE, MAC_ADMIN]);
    let want = host_bounding() & !dropped;
    let (own, init, _) = statuses(&ct, &[]);
    for set in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(own[set], want, "COMMAND's {set}");
        assert_eq!(init[set], want, "the init's {set}");
    }
    for set in ["CapInh", "CapAmb"] {
        assert_eq!(own[set] & dropped, 0, "COMMAND's {set}");
    }
    // A stored config created without -f says so too.
    let out = ct.lxc("create", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stored = std::fs::read_to_string(ct.lxcpath.join(&ct.name).join("config")).unwrap();
    assert!(
        stored.contains("lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio"),
        "{stored}"
    );
    let (own, _, _) = statuses(&ct, &[]);
    assert_eq!(own["CapBnd"], want);
    ct.assert_clean();
}

#[test]
fn cap_drop_takes_names_in_any_case_on_several_lines() {
    let ct = Ct::new("capdrop");
    let conf = ct.lxcpath.join("drop.conf");
    std::fs::write(
        &conf,
        "lxc.cap.drop = CAP_SYS_ADMIN Net_Raw\nlxc.cap.drop = mknod\n",
    )
    .unwrap();
    let (own, init, _) = statuses(&ct, &["-f", conf.to_str().unwrap()]);
    let want = host_bounding() & !bits(&[SYS_ADMIN, NET_RAW, MKNOD]);
    for set in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(own[set], want, "COMMAND's {set}");
        assert_eq!(init[set], want, "the init's {set}");
    }
    // Dropped means dropped: mknod fails although COMMAND is root.
    let dir = ct.lxcpath.join("nodes");
    std::fs::create_dir(&dir).unwrap();
    let script = format!("mknod {}/null c 1 3", dir.display());
    let out = ct.execute(&["-f", conf.to_str().unwrap(), "--", "sh", "-c", &script]);
    assert_ne!(code(&out), 0, "mknod without CAP_MKNOD worked");
    assert!(
        stderr(&out).contains("Operation not permitted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cap_keep_keeps_only_those_and_none_keeps_nothing() {
    let ct = Ct::new("capkeep");
    let (own, init, _) = statuses(&ct, &["-s", "lxc.cap.keep = chown CAP_KILL"]);
    let want = host_bounding() & bits(&[CHOWN, KILL]);
    for set in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(own[set], want, "COMMAND's {set}");
        assert_eq!(init[set], want, "the init's {set}");
    }
    let (own, _, _) = statuses(&ct, &["-s", "lxc.cap.keep = none"]);
    for set in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"] {
        assert_eq!(own[set], 0, "COMMAND's {set}");
    }
    // Another user has no capabilities in effect, and its bounding set is the kept one.
    let (own, _, _) = statuses(&ct, &["-u", "65534", "-s", "lxc.cap.keep = chown"]);
    assert_eq!(own["CapBnd"], bits(&[CHOWN]));
    assert_eq!((own["CapEff"], own["CapPrm"], own["CapAmb"]), (0, 0, 0));
    ct.assert_clean();
}

#[test]
fn cap_drop_and_keep_together_are_refused() {
    let ct = Ct::new("capboth");
    let out = ct.execute(&[
        "-s",
        "lxc.cap.drop = sys_admin",
        "-s",
        "lxc.cap.keep = chown",
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lxc.cap.drop and lxc.cap.keep are both set"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn no_new_privs_is_set_for_command() {
    let ct = Ct::new("nnp");
    let (_, _, own) = statuses(&ct, &["-s", "lxc.no_new_privs = 1"]);
    assert!(own.contains("NoNewPrivs:\t1"), "{own}");
    let (_, _, own) = statuses(&ct, &[]);
    assert!(own.contains("NoNewPrivs:\t0"), "{own}");
}

/// Writes `text` as a profile file of `ct`'s and returns its path.
fn profile(ct: &Ct, file: &str, text: &str) -> String {
    let path = ct.lxcpath.join(file);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const MKDIR_ERRNO: &str =
    "import os\ntry:\n    os.mkdir('/proc/lxct-nope')\nexcept OSError as e:\n    print(e.errno)\n";

#[test]
fn a_denied_syscall_fails_with_the_profiles_errno() {
    let ct = Ct::new("seccomp");
    // mkdir and mkdirat (what os.mkdir calls), with LXC's own common rules beside them.
    let path = profile(
        &ct,
        "p.seccomp",
        "2\ndenylist\nreject_force_umount  # as LXC's common.seccomp\n[all]\n\
         kexec_load errno 1\nmkdir errno 42\nmkdirat errno 42\n",
    );
    let key = format!("lxc.seccomp.profile = {path}");
    let out = ct.execute(&["-s", &key, "--", "python3", "-c", MKDIR_ERRNO]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "42\n");
    // As another user too (the filter is installed after the switch, without no_new_privs).
    let out = ct.execute(&[
        "-u",
        "65534",
        "-s",
        &key,
        "--",
        "python3",
        "-c",
        MKDIR_ERRNO,
    ]);
    assert_eq!(stdout(&out), "42\n", "{}", stderr(&out));
    // The filter is in place in COMMAND, and what it does not name still works.
    let out = ct.execute(&[
        "-s",
        &key,
        "--",
        "sh",
        "-c",
        "grep ^Seccomp: /proc/self/status; echo ok",
    ]);
    assert_eq!(stdout(&out), "Seccomp:\t2\nok\n", "{}", stderr(&out));
    // Without the profile mkdir gets as far as the kernel's own answer (ENOENT in /proc).
    let out = ct.execute(&["--", "python3", "-c", MKDIR_ERRNO]);
    assert_eq!(stdout(&out), "2\n", "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn kill_and_architecture_sections() {
    let ct = Ct::new("seckill");
    let path = profile(&ct, "k.seccomp", "2\ndenylist\nmkdir kill\nmkdirat kill\n");
    let key = format!("lxc.seccomp.profile = {path}");
    let out = ct.execute(&["-s", &key, "--", "sh", "-c", "exec mkdir /proc/lxct-nope"]);
    assert_eq!(code(&out), 128 + 31, "killed by SIGSYS: {}", stderr(&out));
    // A rule in the host architecture's section.
    let path = profile(&ct, "a.seccomp", "2\ndenylist\n[x86_64]\nuname errno 1\n");
    let key = format!("lxc.seccomp.profile = {path}");
    let out = ct.execute(&["-s", &key, "--", "uname"]);
    assert_ne!(code(&out), 0, "uname worked: {}", stdout(&out));
    assert!(
        stderr(&out).contains("Operation not permitted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_profile_is_refused_with_file_and_line() {
    let ct = Ct::new("secbad");
    let path = profile(
        &ct,
        "bad.seccomp",
        "2\ndenylist\nmkdir errno 1\nmount frob\n",
    );
    let key = format!("lxc.seccomp.profile = {path}");
    let out = ct.execute(&["-s", &key, "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{path}:4: unknown action \"frob\"")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A missing file names the key and where it was set.
    let key = format!("lxc.seccomp.profile = {path}.missing");
    let out = ct.execute(&["-s", &key, "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lxc.seccomp.profile"),
        "{}",
        stderr(&out)
    );
    // A FIFO is refused at once, never waited on.
    let fifo = ct.lxcpath.join("fifo.seccomp");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let key = format!("lxc.seccomp.profile = {}", fifo.display());
    let out = ct.execute(&["-s", &key, "--", "true"]);
    assert_eq!(code(&out), 125, "{}", stderr(&out));
    ct.assert_clean();
}

#[test]
fn a_system_container_is_confined_as_its_pid_1() {
    let ct = Ct::new("secsys");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let path = profile(
        &ct,
        "s.seccomp",
        "2\ndenylist\nmkdir errno 42\nmkdirat errno 42\n",
    );
    let out = ct.lxc(
        "start",
        &[
            "-F",
            "-s",
            &format!("lxc.rootfs.path={}", root.display()),
            "-s",
            "lxc.cap.keep = chown kill sys_admin",
            "-s",
            &format!("lxc.seccomp.profile = {path}"),
            "-s",
            "lxc.no_new_privs = 1",
            "--",
            "/bin/sh",
            "-c",
            "echo pid $$; grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status; \
             mkdir /x 2>/dev/null || echo refused",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let want = host_bounding() & bits(&[CHOWN, KILL, SYS_ADMIN]);
    assert_eq!(
        stdout(&out),
        format!(
            "pid 1\nCapEff:\t{want:016x}\nCapBnd:\t{want:016x}\nNoNewPrivs:\t1\nSeccomp:\t2\nrefused\n"
        )
    );
    ct.assert_clean();
}

/// Whatever COMMAND keeps, our init must still end what COMMAND leaves behind when it ends:
/// another user's processes take CAP_KILL to kill. Before, `lxc.cap.keep = none` with `-u`
/// left a background process alive and the container never ended.
#[test]
fn the_init_ends_what_command_leaves_behind_whatever_it_keeps() {
    let ct = Ct::new("capleft");
    let mut child = ct.spawn_execute(&[
        "-s",
        "lxc.cap.keep = none",
        "-u",
        "65534",
        "--",
        "sh",
        "-c",
        "sleep 100 & exit 3",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the container did not end with COMMAND: its background process lives on");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
    ct.assert_clean();
}

/// lxc-attach confines what it runs as the container's COMMAND is confined: the capabilities
/// the config drops, no_new_privs and the seccomp profile; `-e` (elevated) keeps the
/// capabilities and runs without the filter, as LXC's does.
#[test]
fn lxc_attach_is_confined_as_command_and_elevated_is_not() {
    let ct = Ct::new("capatt");
    let path = profile(
        &ct,
        "p.seccomp",
        "2\ndenylist\n[all]\nmkdir errno 42\nmkdirat errno 42\n",
    );
    let key = format!("lxc.seccomp.profile = {path}");
    ct.start_detached_with(
        &[
            "-s",
            "lxc.cap.drop = sys_admin",
            "-s",
            &key,
            "-s",
            "lxc.no_new_privs = 1",
        ],
        "sleep 1000",
    );
    let out = ct.lxc("attach", &["--", "cat", "/proc/self/status"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status = stdout(&out);
    let own = caps(&status);
    assert_eq!(own["CapBnd"] & bits(&[SYS_ADMIN]), 0, "{status}");
    assert_eq!(own["CapEff"] & bits(&[SYS_ADMIN]), 0, "{status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(status.contains("Seccomp:\t2"), "{status}");
    let out = ct.lxc("attach", &["--", "python3", "-c", MKDIR_ERRNO]);
    assert_eq!(stdout(&out), "42\n", "{}", stderr(&out));
    // -e: the capabilities stay and there is no filter.
    let out = ct.lxc("attach", &["-e", "--", "cat", "/proc/self/status"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status = stdout(&out);
    assert_ne!(caps(&status)["CapEff"] & bits(&[SYS_ADMIN]), 0, "{status}");
    assert!(status.contains("Seccomp:\t0"), "{status}");
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
}
