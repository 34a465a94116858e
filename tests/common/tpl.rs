//! Helpers of the template, copy and autostart tests (issue 14).
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use crate::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A config that gives the container its own network namespace with only `lo`: a template's
/// rootfs runs a DHCP client at boot, which must never see the host's interfaces.
pub fn isolated_config(ct: &Ct) -> PathBuf {
    let conf = ct.lxcpath.join("isolated.conf");
    std::fs::write(&conf, "lxc.net.0.type = empty\n").unwrap();
    conf
}

pub fn require_templates() {
    for p in [
        "/usr/share/lxc/templates/lxc-busybox",
        "/usr/share/lxc/templates/lxc-local",
    ] {
        assert!(
            Path::new(p).is_file(),
            "{p} missing: the tests need Debian's lxc-templates package"
        );
    }
    assert!(
        Path::new("/bin/busybox").is_file(),
        "/bin/busybox missing: the tests need busybox-static"
    );
}

/// The keys LXC's busybox template writes that a later issue builds: the start must refuse
/// them by name. Starts `ct` until it runs, removing each key refused "not supported yet"
/// (at most these three) from its config; returns the keys removed.
pub fn start_refusing_unbuilt(ct: &Ct) -> Vec<String> {
    let unbuilt = ["lxc.tty.max", "lxc.pty.max", "lxc.cap.drop"];
    let config = ct.lxcpath.join(&ct.name).join("config");
    let mut removed = Vec::new();
    loop {
        let out = ct.lxc("start", &[]);
        if code(&out) == 0 {
            return removed;
        }
        let err = stderr(&out);
        let key = unbuilt
            .iter()
            .find(|k| err.contains(&format!("{k}: not supported yet")))
            .unwrap_or_else(|| panic!("lxc-start failed, not on a key to come: {err}"));
        assert_eq!(code(&out), 125, "{err}");
        ct.assert_clean();
        assert!(!removed.contains(&key.to_string()), "{key} refused twice");
        let text = std::fs::read_to_string(&config).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with(&format!("{key} ")))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&config, kept).unwrap();
        removed.push(key.to_string());
    }
}

/// A `-t local` image of a busybox rootfs: the rootfs tarball and LXC's metadata tarball
/// (`config` with LXC_NAME/LXC_ROOTFS placeholders, `templates` naming files to fill).
pub fn local_image(dir: &Path) -> (PathBuf, PathBuf) {
    let rootfs = dir.join("image-rootfs");
    make_rootfs(&rootfs);
    std::fs::write(rootfs.join("etc/hostname"), "LXC_NAME\n").unwrap();
    let fstree = dir.join("rootfs.tar.xz");
    let ok = |c: &mut Command| {
        let out = run(c, Duration::from_secs(60));
        assert!(out.status.success(), "{}", stderr(&out));
    };
    ok(Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cJf")
        .arg(&fstree)
        .arg("."));
    let meta = dir.join("meta");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("config"),
        "lxc.rootfs.path = dir:LXC_ROOTFS\nlxc.signal.halt = SIGUSR1\nlxc.uts.name = LXC_NAME\n",
    )
    .unwrap();
    std::fs::write(meta.join("templates"), "/etc/hostname\n").unwrap();
    let metadata = dir.join("meta.tar.xz");
    ok(Command::new("tar")
        .arg("-C")
        .arg(&meta)
        .arg("-cJf")
        .arg(&metadata)
        .arg("."));
    std::fs::remove_dir_all(&rootfs).unwrap();
    (metadata, fstree)
}

/// A stored container made by `lxc-create -t busybox` in its own network namespace, with the
/// keys a later issue builds removed so that it starts here (see `start_refusing_unbuilt`).
pub fn busybox_container(ct: &Ct) {
    require_templates();
    let conf = isolated_config(ct);
    let out = ct.lxc("create", &["-t", "busybox", "-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let config = ct.lxcpath.join(&ct.name).join("config");
    let text = std::fs::read_to_string(&config).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| {
            !["lxc.tty.max ", "lxc.pty.max ", "lxc.cap.drop "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&config, kept).unwrap();
}
