//! lxc-info's LXC options through the built commands: `lxc-info -c KEY`, `-H`, `-n REGEX`.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;

/// Keys of several kinds; lxc.group and lxc.start.auto are stored but do not start yet.
const CONFIG: &str = "lxc.utsname = box\nlxc.group = web\nlxc.group = prod\nlxc.start.auto = 1\n";
/// A config that starts.
const STARTS: &str = "lxc.uts.name = box\n";

/// A stored container with CONFIG.
fn created(ct: &Ct) {
    created_with(ct, CONFIG);
}

fn created_with(ct: &Ct, text: &str) {
    let conf = ct.lxcpath.join(format!("{}.conf", ct.name));
    std::fs::write(&conf, text).unwrap();
    let out = ct.lxc("create", &["-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn info_prints_config_items_and_bare_values() {
    let ct = Ct::new("infoc");
    created(&ct);
    let info = |args: &[&str]| {
        let out = ct.lxc("info", args);
        assert_eq!(code(&out), 0, "lxc-info {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(info(&["-c", "lxc.uts.name"]), "lxc.uts.name = box\n");
    // The 2008 spelling is answered under its own name.
    assert_eq!(info(&["-clxc.utsname"]), "lxc.utsname = box\n");
    assert_eq!(
        info(&["-c", "lxc.group", "--config=lxc.start.auto", "-s"]),
        "State:          STOPPED\nlxc.group = web\nlxc.group = prod\nlxc.start.auto = 1\n"
    );
    assert_eq!(info(&["-c", "lxc.init.cwd"]), "lxc.init.cwd =\n");
    assert_eq!(info(&["-Hc", "lxc.uts.name"]), "box\n");
    assert_eq!(info(&["-sH"]), "STOPPED\n");
    assert_eq!(info(&["-pH"]), "");
    assert_eq!(
        info(&["-H"]),
        format!("Name:           {}\nState:          STOPPED\n", ct.name)
    );
    // --rcfile is read instead of the stored configuration.
    let other = ct.lxcpath.join("other.conf");
    std::fs::write(&other, "lxc.uts.name = other\n").unwrap();
    let rc = format!("--rcfile={}", other.display());
    assert_eq!(info(&[&rc, "-c", "lxc.uts.name"]), "lxc.uts.name = other\n");
    // A key nobody knows names itself and the key it probably meant.
    let out = ct.lxc("info", &["-c", "lxc.uts.nmae"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        format!(
            "lxc-info: {}: -c lxc.uts.nmae: unknown key (did you mean lxc.uts.name?)\n",
            ct.name
        )
    );
    // A bad --rcfile is an error wherever it is given, never ignored.
    let out = ct.lxc("state", &["--rcfile", "/nonexistent.conf"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("/nonexistent.conf"),
        "{}",
        stderr(&out)
    );
    // Running: PID and State as values, the stored config still answers.
    let up = Ct::beside("infocrun", &ct);
    created_with(&up, STARTS);
    up.start_detached("sleep 60");
    let pid = up.info().unwrap()["pid"].as_i64().unwrap();
    let info = |args: &[&str]| stdout(&up.lxc("info", args));
    assert_eq!(info(&["-p", "-H"]), format!("{pid}\n"));
    assert_eq!(
        info(&["-p", "-s", "-H"]),
        format!("State:          RUNNING\nPID:            {pid}\n")
    );
    assert_eq!(info(&["-c", "lxc.uts.name"]), "lxc.uts.name = box\n");
    assert_eq!(code(&up.lxc("stop", &["-k"])), 0);
}

#[test]
fn info_name_as_a_regular_expression() {
    let a = Ct::new("rxa");
    let b = Ct::beside("rxb", &a);
    let c = Ct::beside("other", &a);
    created(&a);
    b.start_detached("sleep 60");
    created(&c);
    let p = a.lxcpath.to_str().unwrap();
    let prefix = a.name.trim_end_matches("rxa");
    let run_info = |pattern: &str, extra: &[&str]| {
        let mut c = std::process::Command::new(bin("lxc-info"));
        c.args(["-P", p, "-n", pattern]).args(extra);
        run(&mut c, std::time::Duration::from_secs(10))
    };
    let out = run_info(&format!("{prefix}rx.*"), &["-s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "State:          STOPPED\nState:          RUNNING\n"
    );
    let out = run_info(&format!("{prefix}(rxb|other)"), &[]);
    let text = stdout(&out);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Name:"))
        .map(str::trim)
        .collect();
    assert_eq!(names, [c.name.as_str(), b.name.as_str()]);
    // Whole names only: a prefix matches nothing.
    let out = run_info(&format!("{prefix}(rx)"), &[]);
    assert_eq!(code(&out), 1);
    let out = run_info(&format!("{prefix}r[x]"), &[]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        format!("lxc-info: {prefix}r[x] doesn't exist\n")
    );
    let out = run_info("(", &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(code(&b.lxc("stop", &["-k"])), 0);
}
