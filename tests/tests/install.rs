//! Issue 14: scripts/install.sh into a staging root (DESTDIR, never the host's /usr/local):
//! commands, lxc-netsetup out of PATH (and still found), man pages that render with `man -l`
//! and say what `--help` says, bash completion checked with `compgen`, a systemd unit
//! `systemd-analyze verify` accepts; scripts/uninstall.sh removes exactly that.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A staging root, removed at the end.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

fn commands() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(bin_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lxc-") && !n.ends_with(".d") && n != "lxc-netsetup")
        .collect();
    v.sort();
    v
}

fn install(dest: &Path) -> std::process::Output {
    run(
        Command::new("bash")
            .arg(scripts().join("install.sh"))
            .env("DESTDIR", dest)
            .env("PREFIX", "/usr/local")
            .env("SYSCONFDIR", "/etc")
            .env("BIN_DIR", bin_dir()),
        Duration::from_secs(120),
    )
}

#[test]
fn install_and_uninstall_in_a_staging_root() {
    require_root();
    let dest = Staging(std::env::temp_dir().join(unique("install")));
    let root = &dest.0;
    // An example config already there is kept, and not listed (so uninstall keeps it too).
    std::fs::create_dir_all(root.join("etc/lxc")).unwrap();
    std::fs::write(root.join("etc/lxc/lxc-veth.conf"), "# mine\n").unwrap();
    let out = install(root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let prefix = root.join("usr/local");
    for c in commands() {
        assert!(prefix.join("bin").join(&c).is_file(), "{c} not installed");
        assert!(
            prefix
                .join("share/man/man1")
                .join(format!("{c}.1"))
                .is_file(),
            "no man page for {c}"
        );
        assert!(
            prefix
                .join("share/bash-completion/completions")
                .join(&c)
                .exists(),
            "no completion for {c}"
        );
    }
    assert!(
        !prefix.join("bin/lxc-netsetup").exists(),
        "lxc-netsetup in PATH"
    );
    assert!(!prefix.join("bin/gen-docs").exists());
    assert!(prefix.join("libexec/lxc-rs/lxc-netsetup").is_file());
    assert_eq!(
        std::fs::read_to_string(root.join("etc/lxc/lxc-veth.conf")).unwrap(),
        "# mine\n"
    );
    assert!(root.join("etc/lxc/lxc-macvlan.conf").is_file());
    // The installed commands find lxc-netsetup in libexec: a container with a network
    // namespace (type empty) needs it.
    let ct = Ct::new("inst");
    let conf = ct.lxcpath.join("net.conf");
    std::fs::write(&conf, "lxc.net.0.type = empty\n").unwrap();
    let mut exec = Command::new(prefix.join("bin/lxc-execute"));
    exec.env(SYSCONF_ENV, &ct.sysconf)
        .args(["-n", &ct.name, "-P"])
        .arg(&ct.lxcpath)
        .arg("-f")
        .arg(&conf)
        .args(["--", "true"]);
    let out = run(&mut exec, Duration::from_secs(30));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The unit: systemd-analyze verify, with its commands pointed into the staging root.
    let unit = prefix.join("lib/systemd/system/lxc-rs.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains("ExecStart=/usr/local/bin/lxc-autostart -g onboot,"),
        "{text}"
    );
    let check = root.join("lxc-rs.service");
    std::fs::write(
        &check,
        text.replace("/usr/local/bin", &prefix.join("bin").display().to_string()),
    )
    .unwrap();
    assert!(
        Path::new("/usr/bin/systemd-analyze").exists(),
        "the test needs systemd-analyze (package systemd)"
    );
    let out = run(
        Command::new("systemd-analyze").arg("verify").arg(&check),
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "systemd-analyze found something");
    std::fs::remove_file(&check).unwrap();
    // Uninstall: exactly the listed files go; a file of someone else stays.
    std::fs::write(prefix.join("bin/someone-else"), "x").unwrap();
    let out = run(
        Command::new("bash")
            .arg(scripts().join("uninstall.sh"))
            .env("DESTDIR", root)
            .env("PREFIX", "/usr/local"),
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut left: Vec<String> = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                left.push(e.path().strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    left.sort();
    assert_eq!(
        left,
        ["etc/lxc/lxc-veth.conf", "usr/local/bin/someone-else"]
    );
    assert!(!prefix.join("libexec/lxc-rs").exists());
}

#[test]
fn man_pages_render_and_say_what_help_says() {
    let dir = Staging(std::env::temp_dir().join(unique("man")));
    let out = run(
        Command::new(bin("gen-docs")).arg("man").arg(&dir.0),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for c in commands() {
        let page = dir.0.join(format!("man1/{c}.1"));
        let shown = run(
            Command::new("man")
                .args(["--warnings", "-l"])
                .arg(&page)
                .env("MANWIDTH", "2000")
                .env("MAN_KEEP_FORMATTING", "0"),
            Duration::from_secs(30),
        );
        assert_eq!(code(&shown), 0, "{c}: {}", stderr(&shown));
        assert_eq!(stderr(&shown), "", "{c}: groff warnings");
        let text = plain(&stdout(&shown));
        // Every option --help lists is in the page, with its description.
        let help = stdout(&run(
            Command::new(bin(&c)).arg("--help"),
            Duration::from_secs(10),
        ));
        // (-h, -? and --help have a line of their own in the page.)
        for line in help
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('-') && !l.contains("--help"))
        {
            let (opt, desc) = line.split_once("  ").unwrap_or((line, ""));
            let long = opt
                .split(", ")
                .last()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            assert!(text.contains(long), "{c}: {long} missing from the man page");
            let first_words: String = desc
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(&first_words),
                "{c}: {long}'s description {first_words:?} missing"
            );
        }
        assert!(text.contains("DESCRIPTION"), "{c}");
    }
    let conf = run(
        Command::new("man")
            .args(["--warnings", "-l"])
            .arg(dir.0.join("man5/lxc.container.conf.5")),
        Duration::from_secs(30),
    );
    assert_eq!(code(&conf), 0);
    assert_eq!(stderr(&conf), "");
    let text = plain(&stdout(&conf));
    for key in [
        "lxc.uts.name",
        "lxc.utsname",
        "lxc.rootfs.path",
        "lxc.chroot",
        "lxc.tty.max",
        "lxc.start.auto",
    ] {
        assert!(
            text.contains(key),
            "{key} missing from lxc.container.conf(5)"
        );
    }
}

/// `man`'s output without overstrike (bold `X\bX`, underline `_\bX`).
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if chars.peek() == Some(&'\u{8}') {
            chars.next();
            continue;
        }
        out.push(c);
    }
    out.into_iter().collect()
}

/// What the completion offers for the words (the last is the one being completed).
fn complete(script: &Path, ct: &Ct, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cmd = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={}; _lxc_rs; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(
        Command::new("bash")
            .args(["--norc", "-c", &cmd])
            .env("PATH", path)
            .env(SYSCONF_ENV, &ct.sysconf),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_offers_names_options_states_signals_and_keys() {
    let ct = Ct::new("compl");
    let other = Ct::beside("compl2", &ct);
    for c in [&ct, &other] {
        let out = c.lxc("create", &[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let dir = Staging(std::env::temp_dir().join(unique("compl")));
    std::fs::create_dir_all(&dir.0).unwrap();
    let script = dir.0.join("lxc-rs");
    let out = run(
        Command::new(bin("gen-docs")).arg("completion").arg(&script),
        Duration::from_secs(30),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let p = ct.lxcpath.to_str().unwrap();
    // Names of the lxcpath given with -P.
    let mut names = vec![ct.name.clone(), other.name.clone()];
    names.sort();
    assert_eq!(
        complete(&script, &ct, &["lxc-start", "-P", p, "-n", "lxct-"]),
        names
    );
    assert_eq!(complete(&script, &ct, &["lxc-info", "-P", p, ""]), names);
    assert_eq!(
        complete(&script, &ct, &["lxc-stop", "-P", p, "-n", &other.name]),
        std::slice::from_ref(&other.name)
    );
    // Options, states, signals, keys, log levels.
    assert_eq!(complete(&script, &ct, &["lxc-stop", "--ti"]), ["--timeout"]);
    assert!(complete(&script, &ct, &["lxc-copy", "-"]).contains(&"--snapshot".to_string()));
    assert_eq!(
        complete(&script, &ct, &["lxc-wait", "-n", "x", "-s", "FRO"]),
        ["FROZEN"]
    );
    assert_eq!(
        complete(&script, &ct, &["lxc-kill", "-s", "SIGUSR"]),
        ["SIGUSR1", "SIGUSR2"]
    );
    assert_eq!(
        complete(&script, &ct, &["lxc-execute", "-s", "lxc.uts.n"]),
        ["lxc.uts.name="]
    );
    assert_eq!(
        complete(&script, &ct, &["lxc-info", "-c", "lxc.start.a"]),
        ["lxc.start.auto"]
    );
    assert_eq!(complete(&script, &ct, &["lxc-ls", "-l", "DEB"]), ["DEBUG"]);
    assert_eq!(
        complete(&script, &ct, &["lxc-create", "-n", "x", "-t", "busyb"]),
        ["busybox"]
    );
    // Every command has its completion.
    let text = std::fs::read_to_string(&script).unwrap();
    let last = text.lines().last().unwrap();
    for c in commands() {
        assert!(
            last.split_whitespace().any(|w| w == c),
            "{c} has no completion"
        );
    }
}
