//! Issue 10, the system config: lxc.conf's `lxc.lxcpath` and `lxc.default_config`, a
//! default.conf as the base of `lxc-create` without `-f`, `lxc-config`, `lxc-update-config`,
//! and configs stored in keys LXC 5 reads. Each test has its own system config directory
//! (`LXC_SYSCONF_DIR`, `Ct::sysconf`); /etc/lxc is never read or touched.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::*;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

fn ok(out: &Output, what: &str) {
    assert_eq!(code(out), 0, "{what}: {}{}", stdout(out), stderr(out));
}

/// Asserts exit 1 and one line on stderr containing `want`.
fn fails_with(out: &Output, want: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 1, "{}{err}", stdout(out));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(want), "{err}");
    assert!(!err.contains("os error"), "{err}");
}

fn sh(cmd: &mut std::process::Command) -> Output {
    run(cmd, Duration::from_secs(30))
}

/// LXC 5's own tools, the reference.
fn lxc5(tool: &str) -> PathBuf {
    let p = PathBuf::from(format!("/usr/bin/lxc-{tool}"));
    assert!(
        p.is_file(),
        "{} is missing: these tests compare with LXC 5 (apt-get install lxc)",
        p.display()
    );
    p
}

/// Removes the lock directory LXC's tools make for an lxcpath (`/run/lxc/lock/LXCPATH`).
struct LxcLockDir(PathBuf);

impl LxcLockDir {
    fn of(lxcpath: &Path) -> LxcLockDir {
        let rel = lxcpath.strip_prefix("/").unwrap();
        LxcLockDir(Path::new("/run/lxc/lock").join(rel))
    }
}

impl Drop for LxcLockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const KEYS: &str = "lxc.default_config\nlxc.lxcpath\nlxc.bdev.lvm.vg\nlxc.bdev.lvm.thin_pool\n\
    lxc.bdev.zfs.root\nlxc.cgroup.use\nlxc.cgroup.pattern\n";

#[test]
fn lxc_config_lists_and_prints_the_keys_as_lxc_does() {
    let ct = Ct::new("cfgkeys");
    let list = sh(ct.bare("config").arg("-l"));
    ok(&list, "lxc-config -l");
    assert_eq!(stdout(&list), KEYS);
    let theirs = sh(std::process::Command::new(lxc5("config")).arg("-l"));
    assert_eq!(stdout(&list), stdout(&theirs), "LXC 5 lists the same keys");
    let value = |key: &str| {
        let out = sh(ct.bare("config").arg(key));
        ok(&out, key);
        stdout(&out)
    };
    // Without lxc.conf: LXC's defaults (what LXC 5.0 prints on a machine without one).
    let default_conf = format!("{}/default.conf\n", ct.sysconf.display());
    assert_eq!(value("lxc.default_config"), default_conf);
    assert_eq!(value("lxc.lxcpath"), "/var/lib/lxc\n");
    for key in [
        "lxc.bdev.lvm.vg",
        "lxc.bdev.lvm.thin_pool",
        "lxc.bdev.zfs.root",
    ] {
        assert_eq!(value(key), "lxc\n");
    }
    for key in ["lxc.cgroup.use", "lxc.cgroup.pattern"] {
        assert_eq!(value(key), format!("{key} is not set.\n"));
    }
    std::fs::write(
        ct.sysconf.join("lxc.conf"),
        "# this site\nlxc.lxcpath = /srv/containers/\n\n  lxc.default_config=/srv/base.conf\n\
         lxc.bdev.lvm.vg = vg0\nlxc.bdev.lvm.thin_pool = pool\nlxc.bdev.zfs.root = tank/lxc\n\
         lxc.cgroup.use = cpu,memory\nlxc.cgroup.pattern = lxc/%n\nlxc.lxcpath = /ignored\n",
    )
    .unwrap();
    let wanted = [
        ("lxc.default_config", "/srv/base.conf"),
        ("lxc.lxcpath", "/srv/containers"),
        ("lxc.bdev.lvm.vg", "vg0"),
        ("lxc.bdev.lvm.thin_pool", "pool"),
        ("lxc.bdev.zfs.root", "tank/lxc"),
        ("lxc.cgroup.use", "cpu,memory"),
        ("lxc.cgroup.pattern", "lxc/%n"),
    ];
    for (key, want) in wanted {
        assert_eq!(value(key), format!("{want}\n"), "{key}");
    }
    fails_with(
        &sh(ct.bare("config").arg("lxc.utsname")),
        "lxc-config: unknown configuration item: lxc.utsname",
    );
    let usage = sh(&mut ct.bare("config"));
    ok(&usage, "lxc-config");
    assert!(stdout(&usage).starts_with("Usage: lxc-config -l"));
}

#[test]
fn a_malformed_lxc_conf_fails_every_command_naming_file_line_and_key() {
    let ct = Ct::new("badsys");
    let conf = ct.sysconf.join("lxc.conf");
    std::fs::write(&conf, "lxc.bdev.lvm.vg = vg0\nlxc.lxcpth = /srv\n").unwrap();
    let want = format!("{}:2: lxc.lxcpth: unknown key", conf.display());
    fails_with(&ct.lxc("create", &[]), &want);
    assert!(!ct.lxcpath.join(&ct.name).exists(), "nothing created");
    fails_with(&ct.lxc("state", &[]), &want);
    fails_with(&ct.lxc("execute", &["--", "true"]), &want);
    fails_with(&sh(&mut ct.bare("ls")), &want);
    fails_with(&sh(ct.bare("config").arg("lxc.lxcpath")), &want);
    std::fs::write(&conf, "lxc.lxcpath = relative/dir\n").unwrap();
    fails_with(
        &sh(&mut ct.bare("ls")),
        &format!(
            "{}:1: lxc.lxcpath: must be an absolute path, got \"relative/dir\"",
            conf.display()
        ),
    );
    std::fs::write(&conf, "# fine\nlxc.lxcpath /srv\n").unwrap();
    fails_with(
        &sh(&mut ct.bare("ls")),
        &format!(
            "{}:2: expected KEY = VALUE, got \"lxc.lxcpath /srv\"",
            conf.display()
        ),
    );
}

#[test]
fn lxc_lxcpath_is_every_commands_default_and_keeps_the_default_run_root() {
    let mut ct = Ct::new("syspath");
    std::fs::write(
        ct.sysconf.join("lxc.conf"),
        format!("lxc.lxcpath = {}/\n", ct.lxcpath.display()),
    )
    .unwrap();
    // Its containers have the default run root, as /var/lib/lxc's have without lxc.conf.
    ct.default_lxcpath = ct.lxcpath.clone();
    assert_eq!(ct.run_dir(), Path::new("/var/run/lxc").join(&ct.name));
    let path = sh(ct.bare("config").arg("lxc.lxcpath"));
    assert_eq!(stdout(&path), format!("{}\n", ct.lxcpath.display()));
    // No -P anywhere below.
    ok(&sh(ct.bare("create").args(["-n", &ct.name])), "lxc-create");
    assert!(ct.lxcpath.join(&ct.name).join("config").is_file());
    let ls = sh(&mut ct.bare("ls"));
    assert_eq!(stdout(&ls), format!("{}\n", ct.name));
    let started = sh(ct
        .bare("execute")
        .args(["-n", &ct.name, "-d", "--", "sleep", "60"]));
    ok(&started, "lxc-execute -d");
    assert!(ct.run_dir().join("control.sock").exists(), "run dir");
    let state = sh(ct.bare("state").args(["-n", &ct.name]));
    assert_eq!(stdout(&state), "RUNNING\n");
    // -P of the same lxcpath, spelt otherwise, finds the same container.
    let spelt = format!("{}/./", ct.lxcpath.display());
    let state = sh(ct.bare("state").args(["-n", &ct.name, "-P", &spelt]));
    assert_eq!(stdout(&state), "RUNNING\n");
    let stopped = sh(ct.bare("stop").args(["-n", &ct.name, "-k"]));
    ok(&stopped, "lxc-stop -k");
    ct.wait_stopped(Duration::from_secs(10));
    ct.assert_clean();
}

#[test]
fn lxc_create_without_f_starts_from_default_conf() {
    let ct = Ct::new("sysdef");
    // No default.conf: the built-in default.
    ok(&ct.lxc("create", &[]), "lxc-create");
    let stored = ct.lxcpath.join(&ct.name).join("config");
    let text = std::fs::read_to_string(&stored).unwrap();
    assert!(text.contains("built-in default"), "{text}");
    ok(&ct.lxc("destroy", &[]), "lxc-destroy");

    // default.conf in 2008 spelling: stored in modern keys, comments kept.
    std::fs::write(
        ct.sysconf.join("default.conf"),
        "# site default\nlxc.utsname = fromdefault\nlxc.environment = SITE=1\n",
    )
    .unwrap();
    ok(&ct.lxc("create", &[]), "lxc-create");
    assert_eq!(
        std::fs::read_to_string(&stored).unwrap(),
        "# site default\nlxc.uts.name = fromdefault\nlxc.environment = SITE=1\n"
    );
    let out = ct.execute(&["--", "sh", "-c", "echo $(hostname) $SITE"]);
    ok(&out, "lxc-execute");
    assert_eq!(stdout(&out), "fromdefault 1\n");
    ok(&ct.lxc("destroy", &[]), "lxc-destroy");

    // lxc.default_config names another file; -f still wins over it.
    let other = ct.sysconf.join("other.conf");
    std::fs::write(&other, "lxc.uts.name = fromother\n").unwrap();
    std::fs::write(
        ct.sysconf.join("lxc.conf"),
        format!("lxc.default_config = {}\n", other.display()),
    )
    .unwrap();
    let shown = sh(ct.bare("config").arg("lxc.default_config"));
    assert_eq!(stdout(&shown), format!("{}\n", other.display()));
    ok(&ct.lxc("create", &[]), "lxc-create");
    let text = std::fs::read_to_string(&stored).unwrap();
    assert_eq!(text, "lxc.uts.name = fromother\n");
    ok(&ct.lxc("destroy", &[]), "lxc-destroy");
    let given = ct.lxcpath.join("given.conf");
    std::fs::write(&given, "lxc.uts.name = given\n").unwrap();
    ok(
        &ct.lxc("create", &["-f", given.to_str().unwrap()]),
        "lxc-create -f",
    );
    assert_eq!(
        std::fs::read_to_string(&stored).unwrap(),
        "lxc.uts.name = given\n"
    );
    ok(&ct.lxc("destroy", &[]), "lxc-destroy");

    // A bad default config is named, and nothing is created.
    std::fs::write(&other, "lxc.uts.name = a\nlxc.utsnme = b\n").unwrap();
    fails_with(
        &ct.lxc("create", &[]),
        &format!("{}:2: lxc.utsnme: unknown key", other.display()),
    );
    assert!(!ct.lxcpath.join(&ct.name).exists());
}

const OLD_CONFIG: &str = "# a 2008 config
lxc.utsname = oldbox

# the network
lxc.network.type = veth
lxc.network.flags = up
lxc.network.link = br0
lxc.network.hwaddr = 4a:49:43:49:79:bd
lxc.network.ipv4 = 192.0.2.5/24
lxc.network.type = empty
  lxc.network.name = e1
lxc.tty = 2
";

const NEW_CONFIG: &str = "# a 2008 config
lxc.uts.name = oldbox

# the network
lxc.net.0.type = veth
lxc.net.0.flags = up
lxc.net.0.link = br0
lxc.net.0.hwaddr = 4a:49:43:49:79:bd
lxc.net.0.ipv4.address = 192.0.2.5/24
lxc.net.1.type = empty
  lxc.net.1.name = e1
lxc.tty.max = 2
";

#[test]
fn lxc_update_config_rewrites_in_place_and_keeps_a_backup() {
    let ct = Ct::new("update");
    let path = ct.lxcpath.join("old.conf");
    std::fs::write(&path, OLD_CONFIG).unwrap();
    let backup = ct.lxcpath.join("old.conf.backup");
    let out = sh(ct.bare("update-config").arg("-c").arg(&path));
    ok(&out, "lxc-update-config");
    assert_eq!(stdout(&out), "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), NEW_CONFIG);
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), OLD_CONFIG);
    // Once more: nothing left to change.
    let out = sh(ct.bare("update-config").arg("-c").arg(&path));
    ok(&out, "lxc-update-config again");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), NEW_CONFIG);

    // A key nobody knows: one line naming it, the file untouched, no backup.
    let bad = ct.lxcpath.join("bad.conf");
    let text = "lxc.utsname = a\n# fine so far\nlxc.network.tpye = veth\n";
    std::fs::write(&bad, text).unwrap();
    fails_with(
        &sh(ct.bare("update-config").arg("-c").arg(&bad)),
        &format!("{}:3: lxc.network.tpye: unknown key", bad.display()),
    );
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), text);
    assert!(!ct.lxcpath.join("bad.conf.backup").exists());
    let missing = ct.lxcpath.join("missing.conf");
    fails_with(
        &sh(ct.bare("update-config").arg("-c").arg(&missing)),
        &format!("{}: No such file or directory", missing.display()),
    );
}

#[test]
fn lxc_create_stores_modern_keys_that_lxc_5_reads() {
    let ct = Ct::new("lxc5reads");
    let _locks = LxcLockDir::of(&ct.lxcpath);
    let given = ct.lxcpath.join("old.conf");
    std::fs::write(&given, OLD_CONFIG).unwrap();
    ok(
        &ct.lxc("create", &["-f", given.to_str().unwrap()]),
        "lxc-create -f",
    );
    let stored = ct.lxcpath.join(&ct.name).join("config");
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), NEW_CONFIG);
    let out = sh(std::process::Command::new(lxc5("info"))
        .args(["-n", &ct.name, "-P"])
        .arg(&ct.lxcpath)
        .args(["-c", "lxc.uts.name", "-c", "lxc.net.0.ipv4.address"])
        .args(["-c", "lxc.net.1.name", "-c", "lxc.tty.max"]));
    ok(&out, "LXC 5's lxc-info -c");
    assert_eq!(
        stdout(&out),
        "lxc.uts.name = oldbox\nlxc.net.0.ipv4.address = 192.0.2.5/24\n\
         lxc.net.1.name = e1\nlxc.tty.max = 2\n"
    );
}
