//! Issue 14: `lxc-create -t TEMPLATE` runs LXC's template programs with LXC's interface; the
//! container a template made starts and stops as under LXC 5; a failing template leaves
//! nothing behind.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use lxc_tests::tpl::*;
use lxc_tests::*;
use std::path::Path;
use std::time::Duration;

fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[test]
fn busybox_template_makes_a_container_whose_init_boots_and_stops() {
    require_templates();
    let ct = Ct::new("tbusy");
    let conf = isolated_config(&ct);
    let out = ct.lxc("create", &["-t", "busybox", "-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dir = ct.lxcpath.join(&ct.name);
    let config = std::fs::read_to_string(dir.join("config")).unwrap();
    assert!(
        config.starts_with(
            "# Template used to create this container: /usr/share/lxc/templates/lxc-busybox\n"
        ),
        "{config}"
    );
    for want in [
        "lxc.net.0.type = empty",
        &format!("lxc.rootfs.path = dir:{}", dir.join("rootfs").display()),
        &format!("lxc.uts.name = \"{}\"", ct.name),
        "lxc.signal.halt = SIGUSR1",
        "lxc.mount.auto = cgroup:mixed proc:mixed sys:ro",
    ] {
        assert!(config.contains(want), "no {want:?} in {config}");
    }
    assert!(dir.join("rootfs/sbin/init").is_file());
    assert!(dir.join("rootfs/bin/sh").exists());
    // The template's config as written: its lxc.tty.max, lxc.pty.max and lxc.cap.drop too.
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    // busybox's init is pid 1 and ran the template's rcS (syslogd).
    let ps = stdout(&ct.lxc("ps", &[]));
    let mut init_seen = false;
    for _ in 0..200 {
        let ps = stdout(&ct.lxc("ps", &[]));
        if ps.contains("syslogd") {
            init_seen = ps.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(2) == Some(&"1") && f.last() == Some(&"init")
            });
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(init_seen, "no init as pid 1 with syslogd beside it: {ps}");
    // lxc-attach runs in it, with its rootfs (busybox's sh) and its status.
    let out = ct.lxc(
        "attach",
        &["--", "/bin/sh", "-c", "echo in $(hostname); exit 3"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("in {}", ct.name));
    let out = ct.lxc("stop", &["-t", "20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "STOPPED");
    ct.assert_clean();
}

#[test]
fn local_template_unpacks_a_tarball_into_a_container_that_runs() {
    require_templates();
    let ct = Ct::new("tlocal");
    let conf = isolated_config(&ct);
    let (meta, fstree) = local_image(&ct.lxcpath);
    let out = ct.lxc(
        "create",
        &[
            "-f",
            conf.to_str().unwrap(),
            "-t",
            "local",
            "--",
            "-m",
            meta.to_str().unwrap(),
            "-f",
            fstree.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dir = ct.lxcpath.join(&ct.name);
    let config = std::fs::read_to_string(dir.join("config")).unwrap();
    assert!(
        config.contains(&format!(
            "# Parameters passed to the template: -m {} -f {}\n",
            meta.display(),
            fstree.display()
        )),
        "{config}"
    );
    assert!(
        config.contains(&format!("lxc.uts.name = {}", ct.name)),
        "{config}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rootfs/etc/hostname")).unwrap(),
        format!("{}\n", ct.name)
    );
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ct.state(), "RUNNING");
    let out = ct.lxc("stop", &["-t", "20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    ct.assert_clean();
    // A missing tarball: LXC's template says so (on stdout, after tar's complaint on stderr);
    // its ERROR line is the one quoted.
    let other = Ct::beside("tlocal2", &ct);
    let out = other.lxc(
        "create",
        &[
            "-f",
            conf.to_str().unwrap(),
            "-t",
            "local",
            "--",
            "-m",
            "/nonexistent/meta.tar.xz",
            "-f",
            fstree.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).trim_end().ends_with(&format!(
            "lxc-create: {}: template local failed (exit status 1): ERROR: Invalid metadata file",
            other.name
        )),
        "{}",
        stderr(&out)
    );
    assert!(!ct.lxcpath.join(&other.name).exists());
}

#[test]
fn a_template_gets_lxc_arguments_and_a_failing_one_leaves_nothing() {
    let ct = Ct::new("targs");
    let log = ct.lxcpath.join("template.log");
    let elsewhere = ct.lxcpath.join("elsewhere-rootfs");
    let tpl = ct.lxcpath.join("lxc-mine");
    // Records what it was given, fills the rootfs, mounts a tmpfs in it, appends to the config,
    // then fails as asked.
    write_script(
        &tpl,
        &format!(
            "#!/bin/sh\n\
             echo \"$0|$*|$(umask)\" > {log}\n\
             for a; do case $a in --rootfs=*) r=${{a#--rootfs=}};; --path=*) p=${{a#--path=}};; esac; done\n\
             mkdir -p \"$r/sbin\" \"$r/mnt\" && touch \"$r/sbin/init\"\n\
             mount -t tmpfs none \"$r/mnt\"\n\
             echo 'lxc.uts.name = from-template' >> \"$p/config\"\n\
             grep -c . /proc/self/mountinfo >> {log}\n\
             echo 'going on'\n\
             [ \"$FAIL\" = 1 ] && {{ echo 'ERROR: the mirror is gone' >&2; echo 'cleaning up' >&2; exit 3; }}\n\
             exit 0\n",
            log = log.display()
        ),
    );
    // Other tests mount meanwhile: only mounts under this test's lxcpath count.
    let ours = || -> Vec<String> {
        let lxcpath = ct.lxcpath.display().to_string();
        host_mounts()
            .into_iter()
            .filter(|m| m.contains(&lxcpath))
            .collect()
    };
    let out = ct.lxc(
        "create",
        &["-t", tpl.to_str().unwrap(), "--", "--release", "x y"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "going on\n",
        "the template's output passes through"
    );
    let dir = ct.lxcpath.join(&ct.name);
    let logged = std::fs::read_to_string(&log).unwrap();
    let first = logged.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}|--path={} --name={} --rootfs={} --release x y|0022",
            tpl.display(),
            dir.display(),
            ct.name,
            dir.join("rootfs").display()
        )
    );
    let config = std::fs::read_to_string(dir.join("config")).unwrap();
    assert!(config.contains("lxc.uts.name = from-template"), "{config}");
    assert!(config.contains("# Parameters passed to the template: --release x y\n"));
    assert_eq!(
        ours(),
        Vec::<String>::new(),
        "the template's tmpfs stayed mounted"
    );
    // Failing, with its rootfs elsewhere (--dir): nothing stays, and the error quotes its
    // ERROR line (not the last one it wrote).
    let bad = Ct::beside("targs2", &ct);
    let out = bad
        .command(
            "create",
            &[
                "-t",
                tpl.to_str().unwrap(),
                "--dir",
                elsewhere.to_str().unwrap(),
            ],
        )
        .env("FAIL", "1")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out).lines().last().unwrap(),
        format!(
            "lxc-create: {}: template {} failed (exit status 3): ERROR: the mirror is gone",
            bad.name,
            tpl.display()
        )
    );
    assert!(!ct.lxcpath.join(&bad.name).exists(), "container dir left");
    assert!(!elsewhere.exists(), "--dir rootfs left");
    assert_eq!(ours(), Vec::<String>::new());
    // A config the template broke: named by file, line and key; nothing stays.
    let broken = ct.lxcpath.join("lxc-broken");
    write_script(
        &broken,
        "#!/bin/sh\nfor a; do case $a in --path=*) p=${a#--path=};; esac; done\n\
         echo 'lxc.utsnme = x' >> \"$p/config\"\n",
    );
    let out = bad.lxc("create", &["-t", broken.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("the template's config is not valid: ")
            && stderr(&out).contains("lxc.utsnme: unknown key"),
        "{}",
        stderr(&out)
    );
    assert!(!ct.lxcpath.join(&bad.name).exists());
}

#[test]
fn unknown_and_unreachable_templates_are_clear_errors() {
    require_templates();
    let ct = Ct::new("tnone");
    let out = ct.lxc("create", &["-t", "no-such-distro"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(
            "unknown template no-such-distro (no /usr/share/lxc/templates/lxc-no-such-distro"
        ),
        "{}",
        stderr(&out)
    );
    // Options after -- without a template are a usage error.
    let out = ct.lxc("create", &["--", "-r", "x"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // -t download against a server that does not answer (a closed loopback port): what an
    // offline machine sees.
    let out = ct.lxc(
        "create",
        &[
            "-t",
            "download",
            "--",
            "--server",
            "127.0.0.1:1",
            "-d",
            "debian",
            "-r",
            "bookworm",
            "-a",
            "amd64",
        ],
    );
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("template download failed (exit status 1): ERROR: Failed to download https://127.0.0.1:1/")
            && err.contains("it needs the internet"),
        "{err}"
    );
    assert!(!ct.lxcpath.join(&ct.name).exists());
}

#[test]
fn keys_a_template_includes_are_honoured_or_refused_by_name() {
    // What LXC's distribution templates write: an lxc.include of a common file. The included
    // keys count as if written in place; one not built yet is refused naming its file and line.
    let ct = Ct::new("tincl");
    let common = ct.lxcpath.join("common.conf");
    std::fs::write(
        &common,
        "lxc.mount.auto = proc:mixed sys:ro\nlxc.tty.max = 4\nlxc.tty.dir = lxc\n",
    )
    .unwrap();
    let tpl = ct.lxcpath.join("lxc-incl");
    write_script(
        &tpl,
        &format!(
            "#!/bin/sh\nfor a; do case $a in --rootfs=*) r=${{a#--rootfs=}};; --path=*) p=${{a#--path=}};; esac; done\n\
             mkdir -p \"$r/sbin\" \"$r/proc\" \"$r/sys\" \"$r/dev\" && cp /bin/busybox \"$r/sbin/init\"\n\
             echo 'lxc.include = {}' >> \"$p/config\"\n",
            common.display()
        ),
    );
    let conf = ct.lxcpath.join("net.conf");
    std::fs::write(&conf, "lxc.net.0.type = empty\n").unwrap();
    let out = ct.lxc(
        "create",
        &["-t", tpl.to_str().unwrap(), "-f", conf.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = ct.lxc("start", &[]);
    assert_eq!(code(&out), 125);
    assert_eq!(
        stderr(&out).trim_end(),
        format!(
            "lxc-start: {}: {}:3: lxc.tty.dir: not supported yet",
            ct.name,
            common.display()
        )
    );
    ct.assert_clean();
}

#[test]
fn debian_without_a_reachable_mirror_is_a_clear_error() {
    // What -t debian says on a machine whose mirror does not answer (a closed loopback port
    // stands in for it); the template's cache goes to the test's own directory.
    assert!(
        Path::new("/usr/share/lxc/templates/lxc-debian").is_file()
            && Path::new("/usr/sbin/debootstrap").is_file(),
        "the test needs lxc-templates and debootstrap"
    );
    let ct = Ct::new("tdeb");
    let out = ct
        .command(
            "create",
            &[
                "-t",
                "debian",
                "--",
                "-r",
                "bookworm",
                "--mirror",
                "http://127.0.0.1:1/debian",
            ],
        )
        .env("LXC_CACHE_PATH", ct.lxcpath.join("cache"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with(&format!(
            "lxc-create: {}: template debian failed (exit status 1): ",
            ct.name
        )) && last.contains("mirror"),
        "{}",
        stderr(&out)
    );
    assert!(!ct.lxcpath.join(&ct.name).exists());
}
