//! Issue 12 through a real pseudo-terminal: each test runs one scenario of
//! `tests/pty/harness.py` (Python's pty module drives the lxc-* executables as a user at a
//! terminal would) on a container of its own, which `Ct` removes whatever happens.
use lxc_tests::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `cmd` with the file `path` as its stdin.
fn with_stdin(mut cmd: Command, path: &str) -> std::process::Output {
    let child = cmd
        .stdin(std::fs::File::open(path).expect("open the input"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_output(child, Duration::from_secs(30))
}

fn scenario(tag: &str, name: &str, rootfs: bool) {
    let ct = Ct::new(tag);
    let mut args = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("pty/harness.py")
            .display()
            .to_string(),
        name.to_string(),
        bin_dir().display().to_string(),
        ct.name.clone(),
        ct.lxcpath.display().to_string(),
    ];
    if rootfs {
        let root = ct.lxcpath.join("rootfs");
        make_rootfs(&root);
        args.push(root.display().to_string());
    }
    let out = run(
        Command::new("python3")
            .args(&args)
            .env("LXC_SYSCONF_DIR", &ct.sysconf),
        Duration::from_secs(120),
    );
    assert_eq!(
        code(&out),
        0,
        "scenario {name}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let _ = ct.lxc("stop", &["-k"]);
    ct.wait_stopped_or_clean();
}

/// bash under lxc-execute at a terminal: its own pty of the container's devpts, job control
/// (Ctrl-Z suspends the job inside, `fg`, Ctrl-C), `stty size` follows a resize, the exit
/// status comes back and the terminal is restored.
#[test]
fn execute_at_a_terminal_has_job_control_and_follows_resizes() {
    scenario("ttyjob", "execute_job_control", false);
}

/// kill -9 of lxc-execute: the shim restores the user's terminal, and the container's
/// terminal, still held by the shim, is taken back with lxc-console.
#[test]
fn execute_killed_restores_the_terminal_and_lxc_console_takes_it_back() {
    scenario("ttykill", "execute_kill9", false);
}

/// A system container's console and tty1 through lxc-console: the ring's output after
/// re-attach, two clients, Ctrl-a q, Ctrl-a Ctrl-a, -e, the console log.
#[test]
fn lxc_console_attaches_detaches_and_sees_what_came_meanwhile() {
    scenario("ttycons", "console", true);
}

/// lxc-start -F at a terminal is on the container's console.
#[test]
fn start_in_the_foreground_at_a_terminal_uses_the_console() {
    scenario("ttyfg", "start_foreground", true);
}

/// lxc-attach at a terminal: a pty of the container's, the size of ours, its processes in
/// lxc-ps, its exit status; the terminal restored, also after kill -9.
#[test]
fn attach_at_a_terminal_gets_a_pty_and_its_status() {
    scenario("ttyatt", "attach", false);
}

/// lxc-attach without a terminal: stdio passed, exit status, 127, frozen containers refuse,
/// `-s`, `--clear-env`, `-v`, and the process is killed with its container.
#[test]
fn attach_with_stdio_passes_status_and_refuses_frozen() {
    let ct = Ct::new("attio");
    ct.start_detached("sleep 1000");
    let out = ct.lxc("attach", &["--", "sh", "-c", "exit 3"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let out = ct.lxc("attach", &["--", "/nonexistent"]);
    assert_eq!(code(&out), 127);
    assert!(
        stderr(&out).contains("/nonexistent") && stderr(&out).contains("No such file"),
        "{}",
        stderr(&out)
    );
    let out = ct.lxc("attach", &["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(code(&out), 128 + 15);
    let out = with_stdin(ct.command("attach", &["--", "cat"]), "/etc/hostname");
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string("/etc/hostname").unwrap()
    );
    // Its namespaces: pid 1 is the container's init; the hostname is the container's.
    let out = ct.lxc("attach", &["--", "sh", "-c", "cat /proc/1/comm; hostname"]);
    assert_eq!(stdout(&out), format!("lxc-init\n{}\n", ct.name));
    // -s: only the UTS namespace (the host's pid namespace).
    let out = ct.lxc(
        "attach",
        &[
            "-s",
            "UTSNAME",
            "--",
            "sh",
            "-c",
            "hostname; cat /proc/1/comm",
        ],
    );
    assert!(stdout(&out).starts_with(&format!("{}\n", ct.name)));
    assert!(!stdout(&out).contains("lxc-init"), "{}", stdout(&out));
    let out = ct.lxc(
        "attach",
        &[
            "--clear-env",
            "-v",
            "A=b c",
            "--",
            "sh",
            "-c",
            "echo \"$A|$HOME|$container\"",
        ],
    );
    assert_eq!(stdout(&out), "b c||lxc\n");
    // Frozen: refused, clearly.
    assert_eq!(code(&ct.lxc("freeze", &[])), 0);
    let out = ct.lxc("attach", &["--", "true"]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("frozen"), "{}", stderr(&out));
    assert_eq!(code(&ct.lxc("unfreeze", &[])), 0);
    // An attached process is the shim's child and ends with the container.
    let child = ct
        .command("attach", &["--", "sleep", "1000"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let ps = stdout(&ct.lxc("ps", &[]));
    assert!(
        ps.contains("sleep 1000\n") || ps.matches("sleep 1000").count() >= 2,
        "{ps}"
    );
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    let out = wait_output(child, Duration::from_secs(10));
    assert_eq!(code(&out), 128 + 9, "{}", stderr(&out));
    ct.wait_stopped_or_clean();
}

/// `echo hi | lxc-execute -- cat` prints hi (stdin not a terminal: stdio as before).
#[test]
fn execute_without_a_terminal_passes_stdio() {
    let ct = Ct::new("ttynot");
    let out = with_stdin(ct.command("execute", &["--", "cat"]), "/etc/hostname");
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string("/etc/hostname").unwrap()
    );
}
