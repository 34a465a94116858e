//! lxc-info's and lxc-ls's LXC options through the built commands: `lxc-info -c KEY`, `-H`,
//! `-n REGEX`; `lxc-ls -1`, `-F COLUMNS`, `--filter`, a name pattern, `--active`, `--running`,
//! `--frozen`, `--stopped`, `--defined`, `-g`, `--json`; a container lxc-ls cannot look at.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;

/// Keys lxc-ls shows; lxc.group and lxc.start.auto are stored but do not start yet.
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
        let mut c = a.bare("info");
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

#[test]
fn ls_filters_columns_and_one_a_line() {
    let stopped = Ct::new("lsstop");
    let running = Ct::beside("lsrun", &stopped);
    let unstored = Ct::beside("lsfree", &stopped);
    created(&stopped);
    created_with(&running, STARTS);
    running.start_detached("sleep 60");
    unstored.start_detached("sleep 60");
    let p = stopped.lxcpath.to_str().unwrap();
    let ls = |args: &[&str]| {
        let mut c = stopped.bare("ls");
        c.args(["-P", p]).args(args);
        let out = run(&mut c, std::time::Duration::from_secs(10));
        assert_eq!(code(&out), 0, "lxc-ls {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let lines = |names: &[&Ct]| {
        names
            .iter()
            .map(|c| format!("{}\n", c.name))
            .collect::<String>()
    };
    // Sorted by name: lsfree, lsrun, lsstop.
    let all = [&unstored, &running, &stopped];
    assert_eq!(ls(&[]), lines(&all));
    // What LXC's bash completion calls.
    assert_eq!(ls(&["--running", "-1"]), lines(&[&unstored, &running]));
    assert_eq!(ls(&["--active"]), lines(&[&unstored, &running]));
    assert_eq!(ls(&["--stopped"]), lines(&[&stopped]));
    assert_eq!(ls(&["--defined"]), lines(&[&running, &stopped]));
    assert_eq!(ls(&["--defined", "--running"]), lines(&[&running]));
    assert_eq!(ls(&["--frozen"]), "");
    assert_eq!(ls(&["-g", "prod,web"]), lines(&[&stopped]));
    assert_eq!(ls(&["-g", "web,db"]), "");
    // Regular expressions found anywhere in the name, as LXC's.
    assert_eq!(ls(&["--filter=sto"]), lines(&[&stopped]));
    assert_eq!(ls(&["-1", "ls(run|free)$"]), lines(&[&unstored, &running]));
    assert_eq!(ls(&["--filter", "ls", "run"]), lines(&[&running]));
    assert_eq!(code(&running.lxc("freeze", &[])), 0);
    assert_eq!(ls(&["--frozen"]), lines(&[&running]));
    assert_eq!(code(&running.lxc("unfreeze", &[])), 0);

    let table = ls(&[
        "-F",
        "name,state,autostart,groups,unprivileged,pid,ram,interface",
    ]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "NAME",
            "STATE",
            "AUTOSTART",
            "GROUPS",
            "UNPRIVILEGED",
            "PID",
            "RAM",
            "INTERFACE"
        ]
    );
    let pid = |c: &Ct| c.info().unwrap()["pid"].as_i64().unwrap().to_string();
    assert_eq!(
        &rows[1][..6],
        [
            unstored.name.as_str(),
            "RUNNING",
            "-",
            "-",
            "false",
            &pid(&unstored)
        ]
    );
    assert!(rows[1][6].ends_with("MB"), "{table}");
    // A stored config without lxc.group and lxc.start.auto: no groups, no autostart.
    assert_eq!(
        rows[2],
        [
            running.name.as_str(),
            "RUNNING",
            "0",
            "-",
            "false",
            &pid(&running),
            rows[2][6],
            "-"
        ]
    );
    assert!(rows[2][6].ends_with("MB"), "{table}");
    // GROUPS is "web, prod": two words here.
    assert_eq!(
        rows[3],
        [
            stopped.name.as_str(),
            "STOPPED",
            "1",
            "web,",
            "prod",
            "false",
            "-",
            "-",
            "-"
        ]
    );
    assert_eq!(
        ls(&["-f", "--stopped"])
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "STATE", "PID", "IPV4", "IPV6"]
    );
    assert_eq!(
        ls(&["-f", "--frozen"]),
        "",
        "an empty table has no heading, as LXC's"
    );
    let out = run(
        stopped.bare("ls").args(["-P", p, "-F", "NAME,BOGUS"]),
        std::time::Duration::from_secs(10),
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown column \"BOGUS\""),
        "{}",
        stderr(&out)
    );
    let out = run(
        stopped.bare("ls").args(["-P", p, "("]),
        std::time::Duration::from_secs(10),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    let json: serde_json::Value = serde_json::from_str(&ls(&["--json", "--defined"])).unwrap();
    let v = json.as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["name"], running.name.as_str());
    assert_eq!(v[0]["groups"], serde_json::json!([]));
    assert_eq!(v[0]["autostart"], false);
    assert!(v[0]["ram"].as_u64().is_some(), "{}", v[0]);
    assert_eq!(v[1]["state"], "STOPPED");
    assert_eq!(v[1]["pid"], serde_json::Value::Null);
    assert_eq!(v[1]["groups"], serde_json::json!(["web", "prod"]));
    assert_eq!(v[1]["autostart"], true);
    for c in [&running, &unstored] {
        assert_eq!(code(&c.lxc("stop", &["-k"])), 0);
    }
}

/// A container whose shim does not answer is named on stderr and makes the status 1; the
/// others are still listed: the table is never silently short.
#[test]
fn ls_names_a_container_it_could_not_look_at() {
    let fine = Ct::new("lsfine");
    let stuck = Ct::beside("lsstuck", &fine);
    fine.start_detached("sleep 60");
    stuck.start_detached("sleep 60");
    let shim = stuck.info().unwrap()["shim_pid"]
        .as_i64()
        .unwrap()
        .to_string();
    let signal = |sig: &str| {
        let st = std::process::Command::new("kill")
            .args([sig, &shim])
            .status()
            .unwrap();
        assert!(st.success());
    };
    signal("-STOP");
    let out = run(
        fine.bare("ls")
            .args(["-P", fine.lxcpath.to_str().unwrap(), "-f"]),
        std::time::Duration::from_secs(30),
    );
    signal("-CONT");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stdout(&out).lines().any(|l| l.starts_with(&fine.name)),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(&stuck.name), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!("lxc-ls: {}: no answer from its shim in 5 s\n", stuck.name)
    );
    for c in [&fine, &stuck] {
        assert_eq!(code(&c.lxc("stop", &["-k"])), 0);
    }
}
