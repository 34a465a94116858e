//! `lxc-checkconfig`: what this kernel and host offer containers, one `yes`/`no` line per
//! feature with what depends on it. The kernel's configuration is read from
//! `/proc/config.gz` (through `gzip -dc`), else `/boot/config-RELEASE`, else `CONFIG=FILE`
//! in the environment; where none is found, what the running kernel shows (`/proc`, `/sys`)
//! decides. Exit 0; 1 when something every container needs is missing.
use crate::CliError;
use std::path::Path;

crate::command!(
    none,
    /// Check the kernel and host for what containers need (namespaces, cgroups, network, ...).
    pub struct Args {}
);

/// The kernel configuration, when it can be read.
struct KernelConfig(Option<String>);

impl KernelConfig {
    fn load() -> KernelConfig {
        if let Some(file) = std::env::var_os("CONFIG") {
            return KernelConfig(std::fs::read_to_string(file).ok());
        }
        if Path::new("/proc/config.gz").exists() {
            if let Ok(out) = std::process::Command::new("gzip")
                .args(["-dc", "/proc/config.gz"])
                .output()
            {
                if out.status.success() {
                    return KernelConfig(Some(String::from_utf8_lossy(&out.stdout).into_owned()));
                }
            }
        }
        let release = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        KernelConfig(std::fs::read_to_string(format!("/boot/config-{release}")).ok())
    }

    /// `Some(true)` for `=y` or `=m`, `Some(false)` when unset, `None` without a config.
    fn has(&self, option: &str) -> Option<bool> {
        let text = self.0.as_ref()?;
        let prefix = format!("{option}=");
        Some(text.lines().any(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|v| v == "y" || v == "m")
        }))
    }
}

struct Report {
    missing_essential: bool,
}

impl Report {
    fn line(&mut self, what: &str, yes: bool, meaning: &str, essential: bool) {
        println!("{what:<34} {:<4} {meaning}", if yes { "yes" } else { "no" });
        if essential && !yes {
            self.missing_essential = true;
        }
    }
}

pub fn run(_args: Args) -> Result<i32, CliError> {
    let config = KernelConfig::load();
    let mut r = Report {
        missing_essential: false,
    };
    let ns = |n: &str| Path::new("/proc/self/ns").join(n).exists();
    println!("--- Namespaces ---");
    r.line("Mount namespace", ns("mnt"), "every container", true);
    r.line("PID namespace", ns("pid"), "every container", true);
    r.line(
        "UTS namespace",
        ns("uts"),
        "every container (lxc.uts.name)",
        true,
    );
    r.line("IPC namespace", ns("ipc"), "every container", true);
    r.line(
        "Network namespace",
        ns("net"),
        "lxc.net.* interfaces",
        false,
    );
    r.line(
        "User namespace",
        ns("user"),
        "lxc.idmap (unprivileged containers)",
        false,
    );
    r.line(
        "Cgroup namespace",
        ns("cgroup"),
        "lxc.mount.auto = cgroup",
        false,
    );
    r.line("Time namespace", ns("time"), "lxc.time.offset.*", false);
    println!("--- Control groups ---");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let v1 = v1_controllers(&mounts);
    let v2 = mounts.lines().any(|l| {
        l.split(" - ")
            .nth(1)
            .is_some_and(|t| t.starts_with("cgroup2 "))
    });
    r.line(
        "cgroup2 mounted",
        v2,
        "cgroup.kill, cgroup.freeze, cgroup2 limits",
        false,
    );
    for c in [
        "cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer",
    ] {
        r.line(
            &format!("cgroup v1 {c}"),
            v1.iter().any(|m| m == c),
            &format!("lxc.cgroup.{c}.* limits"),
            false,
        );
    }
    let v2_freeze = cgroup2_freeze(&mounts);
    r.line(
        "Freezer (v1 freezer or cgroup2)",
        v1.iter().any(|m| m == "freezer") || v2_freeze,
        "lxc-freeze, lxc-unfreeze",
        false,
    );
    println!("--- Network ---");
    let kernel = |opt: &str, module: &str| {
        config
            .has(opt)
            .unwrap_or_else(|| Path::new("/sys/module").join(module).exists())
    };
    r.line(
        "veth",
        kernel("CONFIG_VETH", "veth"),
        "lxc.net.N.type = veth",
        false,
    );
    r.line(
        "macvlan",
        kernel("CONFIG_MACVLAN", "macvlan"),
        "lxc.net.N.type = macvlan",
        false,
    );
    r.line(
        "bridge",
        kernel("CONFIG_BRIDGE", "bridge"),
        "veth attached to a bridge (link)",
        false,
    );
    r.line(
        "vlan",
        kernel("CONFIG_VLAN_8021Q", "8021q"),
        "lxc.net.N.type = vlan",
        false,
    );
    r.line(
        "ipvlan",
        kernel("CONFIG_IPVLAN", "ipvlan"),
        "lxc.net.N.type = ipvlan",
        false,
    );
    println!("--- Storage ---");
    let overlay = std::fs::read_to_string("/proc/filesystems")
        .unwrap_or_default()
        .lines()
        .any(|l| l.ends_with("\toverlay"))
        || config.has("CONFIG_OVERLAY_FS") == Some(true);
    r.line(
        "overlayfs",
        overlay,
        "lxc-copy -s, lxc-copy -e, lxc-snapshot of clones",
        false,
    );
    println!("--- Security ---");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let seccomp = config
        .has("CONFIG_SECCOMP_FILTER")
        .unwrap_or_else(|| status.lines().any(|l| l.starts_with("Seccomp:")));
    r.line("seccomp filters", seccomp, "lxc.seccomp.profile", false);
    r.line(
        "Capabilities (bounding set)",
        status.lines().any(|l| l.starts_with("CapBnd:")),
        "lxc.cap.drop, lxc.cap.keep",
        false,
    );
    let user = std::env::var("SUDO_USER").unwrap_or_else(|_| "root".into());
    for (file, what) in [("/etc/subuid", "subuid"), ("/etc/subgid", "subgid")] {
        let has = std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .any(|l| l.split(':').next() == Some(user.as_str()));
        r.line(
            &format!("{what} range for {user}"),
            has,
            "unprivileged containers of that user (root maps its own)",
            false,
        );
    }
    println!("--- Checkpoint/restore ---");
    let criu = which("criu");
    r.line(
        "CONFIG_CHECKPOINT_RESTORE",
        config.has("CONFIG_CHECKPOINT_RESTORE").unwrap_or(false),
        "lxc-checkpoint (with CRIU)",
        false,
    );
    let shown = criu
        .as_deref()
        .map_or("not in PATH".to_string(), |p| p.display().to_string());
    r.line(
        "CRIU",
        criu.is_some(),
        &format!("lxc-checkpoint ({shown})"),
        false,
    );
    if config.0.is_none() {
        println!("(no kernel config found: /proc/config.gz, /boot/config-RELEASE or CONFIG=FILE; network lines from /sys/module)");
    }
    Ok(if r.missing_essential { 1 } else { 0 })
}

/// The v1 controllers mounted (`cpu,cpuacct` counts as both).
fn v1_controllers(mountinfo: &str) -> Vec<String> {
    let mut found = Vec::new();
    for l in mountinfo.lines() {
        let Some(after) = l.split(" - ").nth(1) else {
            continue;
        };
        let mut f = after.split(' ');
        if f.next() != Some("cgroup") {
            continue;
        }
        if let Some(opts) = f.nth(1) {
            found.extend(opts.split(',').map(str::to_string));
        }
    }
    found
}

/// Whether a cgroup2 mount offers `cgroup.freeze` (in a child: the root has none).
fn cgroup2_freeze(mountinfo: &str) -> bool {
    mountinfo.lines().any(|l| {
        let fields: Vec<&str> = l.split(' ').collect();
        l.split(" - ")
            .nth(1)
            .is_some_and(|t| t.starts_with("cgroup2 "))
            && fields.get(4).is_some_and(|mp| {
                std::fs::read_dir(mp).is_ok_and(|rd| {
                    rd.flatten()
                        .any(|e| e.path().join("cgroup.freeze").exists())
                })
            })
    })
}

fn which(exe: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(exe))
        .find(|p| p.is_file());
    found
}
