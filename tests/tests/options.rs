//! Options as LXC users type them, through the built commands: getopt forms, help, usage,
//! version, quiet, unknown options; lxc-start -p; lxc-wait -s THAWED; and one consistent
//! refusal for a user other than root. (lxc-stop's -W, -r, --nokill and status 2: control.rs.)
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A command with no container of its own: the system config directory is an empty one.
fn lxc(cmd: &str, args: &[&str]) -> std::process::Output {
    let sysconf = std::env::temp_dir().join(unique("options.sysconf"));
    std::fs::create_dir_all(&sysconf).unwrap();
    let out = run(
        Command::new(bin(&format!("lxc-{cmd}")))
            .env(SYSCONF_ENV, &sysconf)
            .args(args),
        Duration::from_secs(30),
    );
    let _ = std::fs::remove_dir(&sysconf);
    out
}

#[test]
fn getopt_forms_name_a_container_and_command_starts_at_its_first_word() {
    let ct = Ct::new("getopt");
    let (n, p) = (ct.name.as_str(), ct.lxcpath.to_str().unwrap());
    let lxc = |cmd: &str, args: &[&str]| run(ct.bare(cmd).args(args), Duration::from_secs(30));
    // NAME as the first word; COMMAND from its first word on, its options its own.
    let out = lxc("execute", &[n, "-P", p, "sh", "-c", "exit 3"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let out = lxc(
        "execute",
        &[&format!("-n{n}"), &format!("-P{p}"), "ls", "-l", "/"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("drwx"),
        "ls -l ran as ls: {}",
        stdout(&out)
    );
    // A bare `help` is COMMAND, not a request for our help.
    let out = lxc("execute", &["-n", n, "-P", p, "help"]);
    assert_eq!(code(&out), 127, "{}", stdout(&out));
    assert!(stderr(&out).contains("help"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("Usage"), "{}", stdout(&out));
    // --name=, --lxcpath=, clustered and attached short options.
    let name_eq = format!("--name={n}");
    let path_eq = format!("--lxcpath={p}");
    let out = lxc("execute", &[&name_eq, &path_eq, "-d", "--", "sleep", "60"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pid = ct.info().unwrap()["pid"].as_i64().unwrap();
    let out = lxc("info", &[&name_eq, "-P", p, "-pH"]);
    assert_eq!(stdout(&out), format!("{pid}\n"), "{}", stderr(&out));
    let out = lxc("info", &[n, &format!("-P{p}"), "-sH"]);
    assert_eq!(stdout(&out), "RUNNING\n");
    let out = lxc("info", &["-s", "-P", p, "--", n]);
    assert_eq!(stdout(&out), "State:          RUNNING\n");
    let out = lxc("wait", &[&format!("-n{n}"), "-P", p, "-sRUNNING", "-t0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = lxc("stop", &["--na", n, "--lxc", p, "-kt0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.wait_stopped_or_clean();
    ct.assert_clean();
}

#[test]
fn help_usage_version_quiet_and_unknown_options() {
    for cmd in [
        "create",
        "destroy",
        "execute",
        "start",
        "stop",
        "info",
        "state",
        "ls",
        "ps",
        "kill",
        "freeze",
        "unfreeze",
        "monitor",
        "wait",
        "update-config",
    ] {
        let name = format!("lxc-{cmd}");
        for help in ["-h", "-?", "--help"] {
            let out = lxc(cmd, &[help]);
            assert_eq!(code(&out), 0, "{name} {help}: {}", stderr(&out));
            assert!(
                stdout(&out).starts_with(&format!("Usage: {name} ")),
                "{name} {help}"
            );
            for listed in ["--usage", "--version", "-q, --quiet", "--rcfile", "-?"] {
                assert!(
                    stdout(&out).contains(listed),
                    "{name} --help lacks {listed}"
                );
            }
        }
        let out = lxc(cmd, &["--usage"]);
        assert_eq!(code(&out), 0);
        assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
        assert!(stdout(&out).starts_with(&format!("Usage: {name} ")));
        assert!(
            stdout(&out).contains("[-P|--lxcpath=LXCPATH]"),
            "{}",
            stdout(&out)
        );
        let out = lxc(cmd, &["--version"]);
        assert_eq!(
            (code(&out), stdout(&out)),
            (0, format!("{}\n", env!("CARGO_PKG_VERSION")))
        );
        let out = lxc(cmd, &["--frobnicate"]);
        assert_eq!(code(&out), 2);
        assert_eq!(
            stderr(&out),
            format!("{name}: unknown option --frobnicate (see {name} --help)\n")
        );
        let out = lxc(cmd, &["-q", "--frobnicate"]);
        assert_eq!((code(&out), stderr(&out)), (2, String::new()));
    }
    let out = lxc("wait", &["-n", "x", "-s", "RUNNING", "-t", "soon"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "lxc-wait: --timeout \"soon\": invalid digit found in string (see lxc-wait --help)\n"
    );
    let out = lxc("info", &[]);
    assert_eq!(
        (code(&out), stderr(&out)),
        (
            2,
            "lxc-info: no container name given (-n NAME) (see lxc-info --help)\n".into()
        )
    );
    // -q: the exit status tells, nothing is printed.
    let ct = Ct::new("quiet");
    let out = ct.lxc("info", &["-q"]);
    assert_eq!((code(&out), stderr(&out)), (1, String::new()));
    let out = ct.lxc("stop", &["--quiet"]);
    assert_eq!((code(&out), stderr(&out)), (2, String::new()));
    // LXC's --logpriority, with =.
    let log = ct.lxcpath.join("log");
    let out = ct.lxc(
        "execute",
        &[
            "--logpriority=DEBUG",
            &format!("--logfile={}", log.display()),
            "true",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::read_to_string(&log).unwrap().contains("DEBUG"));
}

#[test]
fn start_pidfile_holds_the_shims_pid() {
    let ct = Ct::new("pidfile");
    let file = ct.lxcpath.join("ct.pid");
    let f = file.to_str().unwrap();
    let out = ct.lxc("start", &["-p", f, "--", "sleep", "60"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{shim}\n"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert!(!file.exists(), "the shim removes it at the end");
    // In the foreground: there while it runs, gone when it has stopped.
    // (Written once RUNNING: COMMAND may start before it.)
    let script = format!("while [ ! -s {f} ]; do sleep 0.05; done; cat {f}");
    let out = ct.lxc("start", &["-F", "-p", f, "--", "sh", "-c", &script]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).trim().parse::<u32>().is_ok(),
        "{}",
        stdout(&out)
    );
    assert!(!file.exists());
    // A pid file that cannot be written: the start fails and leaves nothing running.
    let out = ct.lxc(
        "start",
        &["-p", "/nonexistent/dir/ct.pid", "--", "sleep", "60"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nonexistent/dir/ct.pid"),
        "{}",
        stderr(&out)
    );
    ct.wait_stopped_or_clean();
    ct.assert_clean();
}

#[test]
fn wait_thawed_is_the_next_thaw() {
    let ct = Ct::new("thawed");
    ct.start_detached("sleep 60");
    // Running and never frozen: THAWED is not there yet (LXC's lxc-wait times out too).
    let out = ct.lxc("wait", &["-s", "THAWED", "-t", "1"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let waiter = ct
        .command("wait", &["-s", "thawed", "-t", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    let out = wait_output(waiter, Duration::from_secs(20));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
}

/// A user other than root has containers of its own (tests/userns.rs), never root's: whatever
/// -P says, no command of theirs shows, stops, freezes or replaces root's running container.
#[test]
fn a_user_other_than_root_never_reaches_roots_containers() {
    let ct = Ct::new("nonroot");
    ct.start_detached("sleep 60");
    let pid = stdout(&ct.lxc("info", &["-p", "-H"])).trim().to_string();
    let (n, p) = (ct.name.as_str(), ct.lxcpath.to_str().unwrap());
    for (cmd, args) in [
        ("ls", vec!["-P", p]),
        ("ls", vec!["-f", "-P", p]),
        ("ls", vec!["--json"]),
        ("ps", vec![]),
        ("info", vec!["-n", n, "-P", p]),
        ("state", vec!["-n", n, "-P", p]),
        ("stop", vec!["-n", n, "-P", p]),
        ("kill", vec!["-n", n, "-P", p, "-s", "TERM"]),
        ("freeze", vec!["-n", n, "-P", p]),
        ("unfreeze", vec!["-n", n, "-P", p]),
        ("wait", vec!["-n", n, "-P", p, "-s", "RUNNING", "-t", "1"]),
        ("create", vec!["-n", n, "-P", p]),
        ("destroy", vec!["-n", n, "-P", p, "-f"]),
        ("execute", vec!["-n", n, "-P", p, "--", "true"]),
        ("start", vec!["-n", n, "-P", p, "--", "true"]),
    ] {
        let name = format!("lxc-{cmd}");
        let out = run(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .env_remove("HOME")
                .env_remove("XDG_RUNTIME_DIR")
                .env(SYSCONF_ENV, &ct.sysconf)
                .arg(bin(&name))
                .args(&args),
            Duration::from_secs(10),
        );
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !text.contains("RUNNING") && !text.contains(&pid),
            "{name} {args:?} saw root's container: {text}"
        );
        if matches!(
            cmd,
            "wait" | "freeze" | "stop" | "kill" | "create" | "destroy" | "execute" | "start"
        ) {
            assert_ne!(code(&out), 0, "{name} {args:?}: {text}");
        }
        assert_eq!(
            ct.state(),
            "RUNNING",
            "{name} {args:?} reached root's container"
        );
    }
    // Root's run directory is closed to them.
    let out = run(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "ls"])
            .arg(ct.run_dir()),
        Duration::from_secs(10),
    );
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    // lxc-config touches no container: anyone may run it.
    let out = run(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .env(SYSCONF_ENV, &ct.sysconf)
            .arg(bin("lxc-config"))
            .arg("lxc.lxcpath"),
        Duration::from_secs(10),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Help still works.
    let out = run(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin("lxc-ls"))
            .arg("--help"),
        Duration::from_secs(10),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
}
