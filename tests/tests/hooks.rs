//! Issue 10: container hooks (`lxc.hook.*`) run at LXC's moments, with LXC's arguments and
//! environment; a failing hook before COMMAND aborts the start with 125 naming it, a failing
//! stop or post-stop hook is logged; `destroy` hooks run at lxc-destroy.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KINDS: [&str; 7] = [
    "pre-start",
    "pre-mount",
    "mount",
    "start-host",
    "start",
    "stop",
    "post-stop",
];

/// A hook script that appends one line per run to `log`: its type, arguments and LXC's
/// variables.
fn hook_script(dir: &Path, log: &Path) -> PathBuf {
    let script = dir.join("hook.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$LXC_HOOK_TYPE\" \"$*\" \
             \"$LXC_NAME\" \"$LXC_CONFIG_FILE\" \"$LXC_ROOTFS_PATH\" \"$LXC_ROOTFS_MOUNT\" \
             \"$LXC_HOOK_SECTION\" \"$LXC_HOOK_VERSION\" \"$LXC_TARGET\" \"$LXC_PID\" \
             \"$LXC_MNT_NS\" >> {}\necho \"said by $LXC_HOOK_TYPE\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// The log's lines, split into fields.
fn runs(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

#[test]
fn every_hook_runs_in_order_with_lxc_arguments_and_environment() {
    let ct = Ct::new("hooks");
    let log = ct.lxcpath.join("hooks.log");
    let script = hook_script(&ct.lxcpath, &log);
    let conf = ct.lxcpath.join("hooks.conf");
    let mut text = String::new();
    for k in KINDS {
        text.push_str(&format!("lxc.hook.{k} = {}\n", script.display()));
    }
    std::fs::write(&conf, text).unwrap();
    let out = ct.execute(&[
        "-f",
        conf.to_str().unwrap(),
        "-o",
        ct.lxcpath.join("x.log").to_str().unwrap(),
        "-l",
        "INFO",
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let runs = runs(&log);
    let kinds: Vec<&str> = runs.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(kinds, KINDS, "LXC's order");
    for r in &runs {
        let kind = &r[0];
        let args: Vec<&str> = r[1].split(' ').collect();
        assert_eq!(args[..3], [ct.name.as_str(), "lxc", kind.as_str()], "{r:?}");
        assert_eq!(r[2], ct.name);
        assert_eq!(r[3], conf.to_str().unwrap(), "LXC_CONFIG_FILE");
        assert_eq!(r[4], "", "no rootfs: LXC_ROOTFS_PATH");
        assert_eq!(r[5], "/", "LXC_ROOTFS_MOUNT");
        assert_eq!(r[6], "lxc");
        assert_eq!(r[7], "0");
        let target = if kind == "stop" || kind == "post-stop" {
            "stop"
        } else {
            ""
        };
        assert_eq!(r[8], target, "LXC_TARGET of {kind}");
        assert_eq!(r[9].is_empty(), kind != "start-host", "LXC_PID of {kind}");
    }
    // The stop hook is given the container's namespaces, as `type:/proc/PID/fd/N`.
    let stop = &runs[5];
    let ns: Vec<&str> = stop[1].split(' ').skip(3).collect();
    assert!(
        ns.iter().any(|a| a.starts_with("mnt:/proc/")) && ns.iter().any(|a| a.starts_with("pid:")),
        "{ns:?}"
    );
    assert!(
        !ns.iter().any(|a| a.starts_with("net:")),
        "the host's network is not the container's: {ns:?}"
    );
    // Their output is in the log.
    let logged = std::fs::read_to_string(ct.lxcpath.join("x.log")).unwrap();
    for k in KINDS {
        assert!(
            logged.contains(&format!("lxc.hook.{k}: said by {k}")),
            "{k}: {logged}"
        );
    }
    ct.assert_clean();
}

#[test]
fn hooks_of_a_system_container_see_its_rootfs_and_run_again_at_a_reboot() {
    let ct = Ct::new("hooksys");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let log = ct.lxcpath.join("hooks.log");
    let script = hook_script(&ct.lxcpath, &log);
    // The start hook runs inside: its script is the rootfs's.
    std::fs::write(
        root.join("start-hook"),
        "#!/bin/sh\necho \"start $* pid1=$(cat /proc/1/comm) root=$(ls /start-hook)\" >> /var/log/start-hook.log\n",
    )
    .unwrap();
    std::fs::set_permissions(
        root.join("start-hook"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "lxc.rootfs.path = {r}\nlxc.signal.halt = SIGUSR1\n\
             lxc.hook.version = 1\n\
             lxc.hook.mount = {s}; test -d \"$LXC_ROOTFS_MOUNT/proc/1\"\n\
             lxc.hook.autodev = {s}; test -c \"$LXC_ROOTFS_MOUNT/dev/null\"\n\
             lxc.hook.start = /start-hook\n\
             lxc.hook.stop = {s}\n\
             lxc.hook.post-stop = {s}\n",
            r = root.display(),
            s = script.display()
        ),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let start_log = root.join("var/log/start-hook.log");
    let wait_lines = |path: &Path, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let have = std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .count();
            if have >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {have} lines",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_lines(&start_log, 1);
    let out = ct.lxc("stop", &["-r"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    wait_lines(&start_log, 2);
    assert_eq!(code(&ct.lxc("stop", &[])), 0);
    let r = runs(&log);
    let kinds: Vec<&str> = r.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "mount",
            "autodev",
            "stop",
            "post-stop",
            "mount",
            "autodev",
            "stop",
            "post-stop"
        ]
    );
    for run in &r {
        assert_eq!(run[1], "", "version 1: no arguments");
        assert_eq!(run[4], root.to_str().unwrap());
        assert_eq!(run[5], root.to_str().unwrap());
        assert_eq!(run[7], "1");
    }
    assert_eq!(r[2][8], "reboot", "the first stop is a reboot");
    assert_eq!(r[3][8], "reboot");
    assert_eq!(r[6][8], "stop");
    assert!(r[2][10].starts_with("/proc/"), "LXC_MNT_NS: {:?}", r[2]);
    let inside = std::fs::read_to_string(&start_log).unwrap();
    for line in inside.lines() {
        assert_eq!(line, "start  pid1=lxc-init root=/start-hook", "{inside}");
    }
    ct.assert_clean();
}

#[test]
fn a_failing_hook_before_command_aborts_with_125_naming_it() {
    for kind in ["pre-start", "pre-mount", "mount", "start-host", "start"] {
        let ct = Ct::new("hookfail");
        let out = ct.execute(&[
            "-s",
            &format!("lxc.hook.{kind} = echo cannot go on; exit 3"),
            "--",
            "echo",
            "never",
        ]);
        assert_eq!(code(&out), 125, "{kind}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "lxc.hook.{kind} \"echo cannot go on; exit 3\" failed: exit status 3: cannot go on"
            )),
            "{kind}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!stdout(&out).contains("never"));
        ct.assert_clean();
    }
    // Afterwards: logged, and the container's own status stands.
    for kind in ["stop", "post-stop"] {
        let ct = Ct::new("hookfail");
        let logfile = ct.lxcpath.join("x.log");
        let out = ct.execute(&[
            "-o",
            logfile.to_str().unwrap(),
            "-s",
            &format!("lxc.hook.{kind} = echo too late; exit 4"),
            "--",
            "sh",
            "-c",
            "exit 7",
        ]);
        assert_eq!(code(&out), 7, "{kind}: {}", stderr(&out));
        let logged = std::fs::read_to_string(&logfile).unwrap();
        assert!(
            logged.contains(&format!(
                "lxc.hook.{kind} \"echo too late; exit 4\" failed: exit status 4: too late"
            )),
            "{kind}: {logged}"
        );
        ct.assert_clean();
    }
}

#[test]
fn destroy_hooks_run_before_the_files_go_and_a_failing_one_keeps_them() {
    let ct = Ct::new("hookdestroy");
    let mark = ct.lxcpath.join("destroyed");
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "lxc.hook.destroy = test -f \"$LXC_CONFIG_FILE\" && echo \"$3 $LXC_NAME\" > {}\n",
            mark.display()
        ),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Version 0: LXC's arguments follow the hook's own words (so they are echoed here too).
    assert_eq!(
        std::fs::read_to_string(&mark).unwrap(),
        format!("destroy {n} {n} lxc destroy\n", n = ct.name)
    );
    assert!(!ct.lxcpath.join(&ct.name).exists());

    std::fs::write(&conf, "lxc.hook.destroy = echo no; exit 1\n").unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.lxc("destroy", &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("lxc.hook.destroy"),
        "{}",
        stderr(&out)
    );
    assert!(ct.lxcpath.join(&ct.name).join("config").exists(), "kept");
}

/// At a reboot the pre-start hooks run while the shim answers: `lxc-state` during a slow one
/// answers at once, and a stop then calls the restart off (nothing boots again).
#[test]
fn a_slow_pre_start_at_a_reboot_leaves_the_shim_answering() {
    let ct = Ct::new("hookreboot");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let gate = ct.lxcpath.join("slow");
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "lxc.rootfs.path = {}\nlxc.signal.halt = SIGUSR1\n\
             lxc.hook.pre-start = if [ -e {g} ]; then sleep 4; fi; true\n",
            root.display(),
            g = gate.display()
        ),
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    assert_eq!(code(&ct.lxc("start", &[])), 0);
    std::fs::write(&gate, "").unwrap();
    let reboot = ct
        .command("stop", &["-r", "-t", "30"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The old init gone, the hook sleeping (STOPPING until the new start): the shim still
    // answers, at once.
    let deadline = Instant::now() + Duration::from_secs(10);
    while ct.state() != "STOPPING" {
        assert!(Instant::now() < deadline, "never between two boots");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    assert_eq!(ct.state(), "STOPPING");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // A stop now calls the restart off.
    let out = ct.lxc("stop", &["-k"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = wait_output(reboot, Duration::from_secs(20));
    assert_ne!(
        code(&out),
        0,
        "the reboot never came back: {}",
        stderr(&out)
    );
    assert!(!ct.run_dir().exists());
    ct.assert_clean();
}
