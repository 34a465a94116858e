//! Issue 10: config keys LXC writes, as LXC honours them: lxc.init.* and lxc.environment,
//! lxc.arch, the security modules' keys on a host without them, autostart metadata, and `-f`
//! over a stored config.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;

#[test]
fn init_settings_and_environment_reach_command() {
    let ct = Ct::new("initkeys");
    let out = ct.execute(&[
        "-s",
        "lxc.init.cwd = /tmp",
        "-s",
        "lxc.init.uid = 65534",
        "-s",
        "lxc.init.gid = 65533",
        "-s",
        "lxc.environment = GREETING=hello there",
        "-s",
        "lxc.environment = HOME",
        "--",
        "sh",
        "-c",
        "echo \"$(pwd) $(id -u) $(id -g) $(id -G) $GREETING|$HOME|$container\"",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(
        stdout(&out),
        format!("/tmp 65534 65533 65533 hello there|{home}|lxc\n")
    );
    ct.assert_clean();
}

#[test]
fn arch_gives_a_32_bit_personality_or_is_refused() {
    let ct = Ct::new("arch");
    let out = ct.execute(&["-s", "lxc.arch = i686", "--", "uname", "-m"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "i686\n");
    let out = ct.execute(&["-s", "lxc.arch = x86_64", "--", "uname", "-m"]);
    assert_eq!(stdout(&out), "x86_64\n");
    let out = ct.execute(&["-s", "lxc.arch = arm64", "--", "true"]);
    assert_eq!(code(&out), 125);
    assert!(
        stderr(&out).contains("lxc.arch = arm64: this host runs x86_64"),
        "{}",
        stderr(&out)
    );
    ct.assert_clean();
}

/// This host runs neither AppArmor nor SELinux (the refusal where they run is a unit test
/// with fixtures of /sys): accepted, and the log says they were not applied, as LXC's does.
#[test]
fn security_module_keys_are_logged_as_not_applied_where_the_module_is_absent() {
    assert!(
        !std::path::Path::new("/sys/fs/selinux/enforce").exists()
            && std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
                .map(|v| v.trim() != "Y")
                .unwrap_or(true),
        "this test expects a host without AppArmor and SELinux"
    );
    let ct = Ct::new("lsm");
    let log = ct.lxcpath.join("x.log");
    let out = ct.execute(&[
        "-o",
        log.to_str().unwrap(),
        "-l",
        "WARN",
        "-s",
        "lxc.apparmor.profile = generated",
        "-s",
        "lxc.apparmor.allow_nesting = 1",
        "-s",
        "lxc.selinux.context = system_u:system_r:lxc_t:s0:c22",
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("AppArmor is not enabled on this host: not applied"),
        "{logged}"
    );
    assert!(
        logged.contains("SELinux is not enabled on this host: not applied"),
        "{logged}"
    );
    ct.assert_clean();
}

#[test]
fn autostart_metadata_is_accepted_and_stored() {
    let ct = Ct::new("autostart");
    let conf = ct.lxcpath.join("c.conf");
    std::fs::write(
        &conf,
        "lxc.start.auto = 1\nlxc.start.delay = 5\nlxc.start.order = 10\nlxc.group = web\n\
         lxc.group = onboot\nlxc.signal.reboot = SIGTERM\n",
    )
    .unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let stored = std::fs::read_to_string(ct.lxcpath.join(&ct.name).join("config")).unwrap();
    for line in [
        "lxc.start.auto = 1",
        "lxc.start.delay = 5",
        "lxc.start.order = 10",
        "lxc.group = web",
        "lxc.group = onboot",
    ] {
        assert!(stored.contains(line), "{line} missing from\n{stored}");
    }
    let out = ct.execute(&["--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn f_overrides_a_stored_config_and_must_exist() {
    let ct = Ct::new("rcfile");
    let conf = ct.lxcpath.join("stored.conf");
    std::fs::write(&conf, "lxc.uts.name = stored\n").unwrap();
    assert_eq!(code(&ct.lxc("create", &["-f", conf.to_str().unwrap()])), 0);
    let out = ct.execute(&["--", "hostname"]);
    assert_eq!(stdout(&out), "stored\n");
    let other = ct.lxcpath.join("other.conf");
    std::fs::write(&other, "lxc.uts.name = other\n").unwrap();
    let out = ct.execute(&["-f", other.to_str().unwrap(), "--", "hostname"]);
    assert_eq!(stdout(&out), "other\n", "{}", stderr(&out));
    let missing = ct.lxcpath.join("missing.conf");
    let out = ct.execute(&["-f", missing.to_str().unwrap(), "--", "hostname"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("missing.conf"),
        "names the file: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    ct.assert_clean();
}

/// A container LXC 5 runs (its monitor's command socket `@LXCPATH/NAME/command`, bound here
/// as LXC's monitor binds it) is never destroyed or started by us.
#[test]
fn a_container_lxc5_runs_is_left_alone() {
    use std::os::linux::net::SocketAddrExt;
    let ct = Ct::new("underlxc");
    assert_eq!(code(&ct.lxc("create", &[])), 0);
    let name = format!("{}/{}/command", ct.lxcpath.display(), ct.name);
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let lxc_monitor = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    for (cmd, args, want) in [
        ("destroy", &[][..], 1),
        ("destroy", &["-f"], 1),
        ("execute", &["--", "true"], 125),
        ("start", &["--", "true"], 125),
    ] {
        let out = ct.lxc(cmd, args);
        assert_eq!(code(&out), want, "lxc-{cmd} {args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("runs under LXC 5"),
            "lxc-{cmd}: {}",
            stderr(&out)
        );
    }
    assert!(ct.lxcpath.join(&ct.name).join("config").exists());
    // lxc-info and lxc-ls say so.
    let out = ct.lxc("info", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("State:          RUNNING"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Runs under:     LXC 5"),
        "{}",
        stdout(&out)
    );
    let out = ct
        .bare("ls")
        .arg("-P")
        .arg(&ct.lxcpath)
        .arg("-f")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("RUNNING (LXC 5)"), "{}", stdout(&out));
    let out = ct
        .bare("ls")
        .arg("-P")
        .arg(&ct.lxcpath)
        .args(["--running", "-1"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{}\n", ct.name));
    drop(lxc_monitor);
    assert_eq!(code(&ct.lxc("destroy", &[])), 0);
    ct.assert_clean();
}

/// Without COMMAND, lxc-execute runs `lxc.execute.cmd` and lxc-start `lxc.init.cmd`, split
/// into words as a shell would; `-u`/`-g` win over lxc.init.uid/gid.
#[test]
fn default_commands_come_from_the_config_and_u_g_override_it() {
    let ct = Ct::new("defcmd");
    let out = ct.execute(&[
        "-s",
        "lxc.execute.cmd = sh -c 'echo \"from the config: $0\"' arg0",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "from the config: arg0\n");
    let out = ct.execute(&[]);
    assert_eq!(
        code(&out),
        2,
        "no COMMAND, no lxc.execute.cmd: a usage error"
    );
    assert!(stderr(&out).contains("lxc.execute.cmd"), "{}", stderr(&out));
    // A COMMAND given wins.
    let out = ct.execute(&["-s", "lxc.execute.cmd = false", "--", "true"]);
    assert_eq!(code(&out), 0);
    // lxc-start: lxc.init.cmd is pid 1, no rootfs needed when it is set.
    let out = ct.lxc("start", &["-F", "-s", "lxc.init.cmd = sh -c 'echo pid $$'"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "pid 1\n");
    // -u/-g over the config's.
    let out = ct.execute(&[
        "-s",
        "lxc.init.uid = 1",
        "-s",
        "lxc.init.gid = 1",
        "-u",
        "65534",
        "-g",
        "65533",
        "--",
        "sh",
        "-c",
        "echo $(id -u) $(id -g)",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "65534 65533\n");
    ct.assert_clean();
}

/// `lxc.log.file` and `lxc.log.level` log a container as `-o`/`-l` do, and the command line
/// wins over them.
#[test]
fn log_file_and_level_from_the_config() {
    let ct = Ct::new("cfglog");
    let from_config = ct.lxcpath.join("config.log");
    let file_key = format!("lxc.log.file = {}", from_config.display());
    let out = ct.execute(&["-s", &file_key, "-s", "lxc.log.level = INFO", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&from_config).unwrap();
    assert!(text.contains(" INFO name="), "{text}");
    assert!(!text.contains(" DEBUG "), "{text}");
    // -l over lxc.log.level.
    std::fs::remove_file(&from_config).unwrap();
    let out = ct.execute(&[
        "-l",
        "DEBUG",
        "-s",
        &file_key,
        "-s",
        "lxc.log.level = ERROR",
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::read_to_string(&from_config)
        .unwrap()
        .contains(" DEBUG "));
    // -o over lxc.log.file (which then stays untouched); its level still from the config.
    std::fs::remove_file(&from_config).unwrap();
    let cli = ct.lxcpath.join("cli.log");
    let out = ct.execute(&[
        "-o",
        cli.to_str().unwrap(),
        "-s",
        &file_key,
        "-s",
        "lxc.log.level = INFO",
        "--",
        "true",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!from_config.exists());
    assert!(std::fs::read_to_string(&cli).unwrap().contains(" INFO "));
    ct.assert_clean();
}

/// `lxc-start -d -p FILE`: the shim's pid, and the file goes when the container stops, as
/// LXC's monitor removes its own.
#[test]
fn a_detached_starts_pid_file_goes_with_the_container() {
    let ct = Ct::new("pidfile");
    let file = ct.lxcpath.join("ct.pid");
    let out = ct.lxc(
        "start",
        &["-d", "-p", file.to_str().unwrap(), "--", "sleep", "60"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shim = ct.info().unwrap()["shim_pid"].as_i64().unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().trim(),
        shim.to_string()
    );
    assert_eq!(code(&ct.lxc("stop", &["-k"])), 0);
    assert!(!file.exists(), "the pid file stayed");
    ct.assert_clean();
}

/// Anyone may bind an abstract name: a socket at LXC's name that is not root's makes nothing
/// untouchable.
#[test]
fn a_planted_lxc_socket_of_another_user_is_not_lxc() {
    let ct = Ct::new("planted");
    assert_eq!(code(&ct.lxc("create", &[])), 0);
    let name = format!("{}/{}/command", ct.lxcpath.display(), ct.name);
    let script = format!(
        "import socket,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(b'\\0{name}')\ns.listen(1)\nprint('bound', flush=True)\ntime.sleep(60)\n"
    );
    struct Squatter(std::process::Child);
    impl Drop for Squatter {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut sq = Squatter(
        std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
            ])
            .arg(&script)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sq.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "bound\n");
    let out = ct.execute(&["--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = ct.lxc("info", &[]);
    assert!(!stdout(&out).contains("LXC 5"), "{}", stdout(&out));
    assert_eq!(code(&ct.lxc("destroy", &[])), 0);
    drop(sq);
    ct.assert_clean();
}
