//! The result of a parse: `Config` (settings plus the accepted lines) and `Settings`, every
//! key's value typed and checked. Values stored here have passed `value/`, so consumers never
//! re-check or re-parse them; `networks` is kept sorted by `index` with no duplicates.
//! Data only: what a `Config` does (`set`, `mounts`, ...) is in `config.rs`, which needs the
//! parser and the key table, both of which build on these types.

use serde::{Deserialize, Serialize};

use crate::mount::MountEntry;
use crate::network::{NetType, Network};
use crate::types::{
    Apparmor, CgroupSetting, Console, Fstab, Hook, IdMap, Init, Log, MountAuto, Prlimit,
    ProfileFile, RawSetting, Selinux, Start, Sysctl,
};

/// A parsed config: the resulting settings and every accepted line that led to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub settings: Settings,
    pub entries: Vec<Entry>,
}

/// One accepted `key = value` line (or `-s` option): key as written, value trimmed and
/// unquoted. An `lxc.include` line is an entry too, followed by the entries of what it read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// File name (or e.g. `-s option`) the line came from.
    pub source: String,
    /// 1-based line number (for `-s`, the position of the option).
    pub line: usize,
}

/// Everything a config says, whichever spelling (2008, LXC 2 or modern) it used. An empty
/// value resets a key: `None`, an empty list, or `false`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// `lxc.uts.name` (2008: `lxc.utsname`).
    pub utsname: Option<String>,
    /// `lxc.rootfs.path` (2008: `lxc.chroot`; LXC 2: `lxc.rootfs`); absolute, a leading `dir:`
    /// already stripped.
    pub rootfs: Option<String>,
    /// The upper directory of an `overlay:LOWER:UPPER` rootfs (`rootfs` is LOWER).
    pub rootfs_overlay_upper: Option<String>,
    /// `ro` in `lxc.rootfs.options` (a later `rw` clears it).
    pub rootfs_readonly: bool,
    /// The other `lxc.rootfs.options`, in order; not applied yet (refused at start).
    pub rootfs_options: Vec<String>,
    /// `lxc.mount.fstab` (2008: `lxc.mount`); `Config::mounts` reads it.
    pub fstab: Option<Fstab>,
    /// `lxc.mount.entry` lines, in order, each with its origin.
    pub mount_entries: Vec<MountEntry>,
    /// `lxc.mount.auto` as written; `Settings::mount_auto()` gives the effective value.
    pub mount_auto: Option<MountAuto>,
    /// `lxc.autodev`.
    pub autodev: Option<bool>,
    /// `lxc.signal.halt` (LXC 2: `lxc.haltsignal`) as a Linux signal number (1..=64).
    pub signal_halt: Option<i32>,
    /// `lxc.signal.stop` (LXC 2: `lxc.stopsignal`).
    pub signal_stop: Option<i32>,
    /// `lxc.signal.reboot` (LXC 2: `lxc.rebootsignal`).
    pub signal_reboot: Option<i32>,
    pub console: Console,
    /// Network interfaces, sorted by `index`.
    pub networks: Vec<Network>,
    /// `lxc.arch`, as written (one of LXC's names).
    pub arch: Option<String>,
    /// `lxc.execute.cmd`.
    pub execute_cmd: Option<String>,
    pub init: Init,
    /// `lxc.tty.max` (LXC 2: `lxc.tty`).
    pub tty_max: Option<u32>,
    /// `lxc.pty.max` (LXC 2: `lxc.pts`).
    pub pty_max: Option<u32>,
    /// `lxc.cgroup.*` and `lxc.cgroup2.*` lines, in config order.
    pub cgroups: Vec<CgroupSetting>,
    /// `lxc.idmap` (LXC 2: `lxc.id_map`), in order.
    pub idmaps: Vec<IdMap>,
    /// `lxc.hook.*`, in order.
    pub hooks: Vec<Hook>,
    /// `lxc.prlimit.*` (LXC 2: `lxc.limit.*`), one per resource, in order of first mention.
    pub prlimits: Vec<Prlimit>,
    /// `lxc.sysctl.*`, one per key, in order of first mention.
    pub sysctls: Vec<Sysctl>,
    /// `lxc.cap.drop`: capability names without `cap_`, lowercase, or numbers (as written:
    /// `CAP_SYS_ADMIN` and `sys_admin` both give `sys_admin`).
    pub cap_drop: Vec<String>,
    /// `lxc.cap.keep`, as `cap_drop`.
    pub cap_keep: Vec<String>,
    /// `lxc.environment`: `NAME=VALUE`, or `NAME` to pass the starter's value on.
    pub environment: Vec<String>,
    pub start: Start,
    /// `lxc.group`, in order.
    pub groups: Vec<String>,
    pub log: Log,
    /// `lxc.no_new_privs`.
    pub no_new_privs: Option<bool>,
    /// `lxc.seccomp.profile` (LXC 2: `lxc.seccomp`).
    pub seccomp_profile: Option<ProfileFile>,
    /// `lxc.seccomp.allow_nesting`: install the profile even where a filter is already in
    /// place (by default a process that is already confined keeps its filter alone, as LXC's).
    pub seccomp_allow_nesting: Option<bool>,
    /// `lxc.seccomp.notify.proxy`: where the profile's `notify` calls are forwarded, as
    /// written (`unix:/PATH` or `unix:@ABSTRACT`, LXC's forms; checked when set).
    pub seccomp_notify_proxy: Option<String>,
    /// `lxc.seccomp.notify.cookie`: sent with every forwarded call.
    pub seccomp_notify_cookie: Option<String>,
    pub apparmor: Apparmor,
    pub selinux: Selinux,
    /// Keys LXC has that are checked but not modelled (`lxc.proc.*`, `lxc.namespace.*`,
    /// `lxc.cgroup.dir`, ...), modern spelling, one per key, sorted by key.
    pub other: Vec<RawSetting>,
}

impl Settings {
    /// What `lxc.mount.auto` mounts: the config's list exactly, or `proc:mixed` when the key
    /// is unset.
    pub fn mount_auto(&self) -> MountAuto {
        self.mount_auto.unwrap_or(MountAuto::DEFAULT)
    }

    /// Whether the container gets its own network namespace: it has an interface other than
    /// `none` (no interfaces, or only `none`, share the host's network, as the 2008 spec says).
    pub fn network_namespace(&self) -> bool {
        self.networks.iter().any(|n| n.kind != NetType::None)
    }

    /// The interfaces to make in the container's network namespace, in index order: every
    /// one but `none` (which stands for the host's network, not an interface).
    pub fn interfaces(&self) -> Vec<Network> {
        self.networks
            .iter()
            .filter(|n| n.kind != NetType::None)
            .cloned()
            .collect()
    }
}
