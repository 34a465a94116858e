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

/// A stored container made by `lxc-create -t busybox` in its own network namespace, its
/// config as the template wrote it.
pub fn busybox_container(ct: &Ct) {
    require_templates();
    let conf = isolated_config(ct);
    let out = ct.lxc("create", &["-t", "busybox", "-f", conf.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
