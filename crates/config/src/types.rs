//! The typed values `Settings` holds besides the network's. Each is checked once by the parser
//! (`value/`), so that no consumer re-parses a string; Display gives the config-file form that
//! parses back to an equal value.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a setting was written: a file (or `-s option`) and its 1-based line. Displays as
/// `FILE:LINE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Origin {
    pub source: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.line)
    }
}

/// `lxc.mount.fstab` (2008: `lxc.mount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fstab {
    /// The file to read: the value as written when absolute, else relative to the directory of
    /// the config file that set it (as written, so relative to the current directory, for
    /// `-s` options and text parsed without a file).
    pub path: PathBuf,
    /// The value as written.
    pub written: String,
    pub origin: Origin,
}

/// `lxc.seccomp.profile` (LXC 2: `lxc.seccomp`): the profile file, resolved as an fstab is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFile {
    /// The file to read (see `Fstab::path`).
    pub path: PathBuf,
    /// The value as written.
    pub written: String,
    pub origin: Origin,
}

/// How `lxc.mount.auto` mounts one filesystem (lxc.container.conf(5): `:ro`, `:rw`, `:mixed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Ro,
    Rw,
    /// proc: /proc/sys and /proc/sysrq-trigger read-only; sys: read-only (LXC also leaves
    /// /sys/devices/virtual/net writable); cgroup: the container's own groups writable.
    Mixed,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Ro => "ro",
            Access::Rw => "rw",
            Access::Mixed => "mixed",
        }
    }
}

/// `lxc.mount.auto`: which kernel filesystems are mounted, and how; None = not mounted.
/// Tokens accumulate over lines, the last one for a filesystem wins. `proc` means
/// `proc:mixed`, `sys` `sys:mixed`; a bare `cgroup` means `cgroup:ro` (LXC decides by
/// CAP_SYS_ADMIN, which every container keeps today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MountAuto {
    /// Only `Rw` and `Mixed` occur.
    pub proc: Option<Access>,
    pub sys: Option<Access>,
    pub cgroup: Option<Access>,
}

impl MountAuto {
    /// What a config without `lxc.mount.auto` gets: a private /proc for the new pid namespace.
    pub const DEFAULT: MountAuto = MountAuto {
        proc: Some(Access::Mixed),
        sys: None,
        cgroup: None,
    };
}

impl fmt::Display for MountAuto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = [
            ("proc", self.proc),
            ("sys", self.sys),
            ("cgroup", self.cgroup),
        ];
        let mut first = true;
        for (name, access) in tokens {
            if let Some(access) = access {
                let gap = if first { "" } else { " " };
                write!(f, "{gap}{name}:{}", access.as_str())?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Which cgroup interface a `lxc.cgroup*` key writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupVersion {
    /// `lxc.cgroup.<controller>.<file>`: a v1 hierarchy.
    V1,
    /// `lxc.cgroup2.<controller>.<file>`: the unified hierarchy.
    V2,
}

/// One `lxc.cgroup.<controller>.<file>` or `lxc.cgroup2.<controller>.<file>` line; all are
/// kept in config order (LXC writes them in that order, and a later one may depend on an
/// earlier one, e.g. `memory.memsw.limit_in_bytes` after `memory.limit_in_bytes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupSetting {
    pub version: CgroupVersion,
    /// The cgroup file: `memory.max`, `cpuset.cpus`, `devices.allow`.
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// `u` or `g` of an `lxc.idmap` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdKind {
    User,
    Group,
}

/// `lxc.idmap = u|g CONTAINER_ID HOST_ID RANGE` (LXC 2: `lxc.id_map`): ids
/// `container..container+range` inside are `host..host+range` outside. Both ranges fit in
/// 32 bits and `range` is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdMap {
    pub kind: IdKind,
    pub container: u32,
    pub host: u32,
    pub range: u32,
}

impl fmt::Display for IdMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            IdKind::User => 'u',
            IdKind::Group => 'g',
        };
        write!(f, "{kind} {} {} {}", self.container, self.host, self.range)
    }
}

/// When a hook runs (lxc.container.conf(5), "Container hooks").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookKind {
    PreStart,
    PreMount,
    Mount,
    Autodev,
    StartHost,
    Start,
    Stop,
    PostStop,
    Clone,
    Destroy,
}

impl HookKind {
    pub const ALL: [HookKind; 10] = [
        HookKind::PreStart,
        HookKind::PreMount,
        HookKind::Mount,
        HookKind::Autodev,
        HookKind::StartHost,
        HookKind::Start,
        HookKind::Stop,
        HookKind::PostStop,
        HookKind::Clone,
        HookKind::Destroy,
    ];

    /// The word after `lxc.hook.`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::PreStart => "pre-start",
            HookKind::PreMount => "pre-mount",
            HookKind::Mount => "mount",
            HookKind::Autodev => "autodev",
            HookKind::StartHost => "start-host",
            HookKind::Start => "start",
            HookKind::Stop => "stop",
            HookKind::PostStop => "post-stop",
            HookKind::Clone => "clone",
            HookKind::Destroy => "destroy",
        }
    }
}

/// One `lxc.hook.<kind> = COMMAND`; hooks run in config order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub kind: HookKind,
    pub command: String,
}

/// One side of a resource limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Limit {
    Unlimited,
    Value(u64),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Unlimited => f.write_str("unlimited"),
            Limit::Value(n) => n.fmt(f),
        }
    }
}

/// `lxc.prlimit.<resource> = SOFT[:HARD]` (LXC 2: `lxc.limit.*`), resource as in
/// getrlimit(2) without `RLIMIT_`, lowercase (`nofile`, `nproc`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prlimit {
    pub resource: String,
    pub soft: Limit,
    pub hard: Limit,
}

impl Prlimit {
    /// The value in config form: `SOFT`, or `SOFT:HARD` when they differ.
    pub fn value(&self) -> String {
        if self.soft == self.hard {
            self.soft.to_string()
        } else {
            format!("{}:{}", self.soft, self.hard)
        }
    }
}

/// One `lxc.sysctl.<key> = VALUE`; a later line for the same key replaces the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sysctl {
    /// Dotted as in sysctl(8): `net.ipv4.ip_forward`.
    pub key: String,
    pub value: String,
}

/// A key LXC has that we check but do not model (its status is NotYet): the key in its modern
/// spelling and the value as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSetting {
    pub key: String,
    pub value: String,
}

/// A byte size that may be left to LXC's choice (`auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    Auto,
    Bytes(u64),
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Auto => f.write_str("auto"),
            Size::Bytes(n) => n.fmt(f),
        }
    }
}

/// `lxc.console.*`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Console {
    /// `lxc.console.path` (LXC 2: `lxc.console`); application containers carry `none`.
    pub path: Option<String>,
    pub logfile: Option<String>,
    pub buffer_size: Option<Size>,
    pub size: Option<Size>,
    pub rotate: Option<bool>,
}

/// `lxc.init.*` (LXC 2: `lxc.init_cmd`, `lxc.init_uid`, `lxc.init_gid`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Init {
    pub cmd: Option<String>,
    /// Absolute.
    pub cwd: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// `lxc.start.*`: autostart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Start {
    pub auto: Option<bool>,
    /// Seconds to wait after starting this container.
    pub delay: Option<u32>,
    pub order: Option<i32>,
}

/// LXC's log priorities, lowest first (`lxc.log.level` takes the name or the number 0..=8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Crit,
    Alert,
    Fatal,
}

impl LogLevel {
    /// In LXC's numeric order: `ALL[n]` is priority n.
    pub const ALL: [LogLevel; 9] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Crit,
        LogLevel::Alert,
        LogLevel::Fatal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Notice => "NOTICE",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Crit => "CRIT",
            LogLevel::Alert => "ALERT",
            LogLevel::Fatal => "FATAL",
        }
    }
}

/// `lxc.log.*` (LXC 2: `lxc.loglevel`, `lxc.logfile`, `lxc.syslog`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Log {
    pub level: Option<LogLevel>,
    pub file: Option<String>,
    /// A syslog facility (`daemon`, `local0`, ...).
    pub syslog: Option<String>,
}

/// `lxc.apparmor.*` (LXC 2: `lxc.aa_profile`, `lxc.aa_allow_incomplete`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Apparmor {
    pub profile: Option<String>,
    pub allow_incomplete: Option<bool>,
    pub allow_nesting: Option<bool>,
    /// `lxc.apparmor.raw` lines, in order.
    pub raw: Vec<String>,
}

/// `lxc.selinux.*` (LXC 2: `lxc.se_context`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selinux {
    pub context: Option<String>,
    pub context_keyring: Option<String>,
}
