//! Where things are, as every client sees them: a run root holds one run directory per running
//! container and the monitors' socket directory. A container is its lxcpath and its name: the
//! containers of the default lxcpath have `/var/run/lxc/NAME`, those of any other lxcpath a run
//! root of their own, `/var/run/lxc/.p-HASH/NAME` (a name never starts with `.`, so the two
//! never meet). Pure path arithmetic and name rules; the file operations live with their users
//! (the shim's `rundir`).
use std::path::{Component, Path, PathBuf};

/// The default run root.
pub const DEFAULT_RUN_ROOT: &str = "/var/run/lxc";
/// The default lxcpath (`/etc/lxc/lxc.conf` may name another).
pub const DEFAULT_LXCPATH: &str = "/var/lib/lxc";
/// In another lxcpath's run root: the lxcpath it stands for, for people.
pub const LXCPATH_FILE: &str = "lxcpath";
/// The control socket's file name in a run directory.
pub const SOCKET: &str = "control.sock";
/// The lock file's name in a run directory.
pub const LOCK: &str = "lock";
/// The record's file name in a run directory (see [`crate::record::Record`]).
pub const RECORD: &str = "state.json";
/// Where a kept network namespace is bind-mounted in a run directory.
pub const NETNS: &str = "netns";
/// The monitors' directory below the run root.
pub const MONITOR_DIR: &str = ".monitor";
/// The longest container name.
pub const MAX_NAME: usize = 64;

/// A run root: the directory below which shims keep their run directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRoot {
    root: PathBuf,
}

impl Default for RunRoot {
    fn default() -> Self {
        RunRoot::new(DEFAULT_RUN_ROOT)
    }
}

impl RunRoot {
    /// A run root at `root`.
    pub fn new(root: impl Into<PathBuf>) -> RunRoot {
        RunRoot { root: root.into() }
    }

    /// The run root of the containers stored under `lxcpath`: the default run root when it is
    /// the system's default lxcpath (`default_lxcpath`), else `/var/run/lxc/.p-HASH` where HASH
    /// is 12 hex digits of a hash of the lxcpath made absolute and normal (so `/srv/ct/` and
    /// `/srv/./ct` are one lxcpath; symlinks are not followed). Short enough that a control
    /// socket's path fits the 108 bytes of `sun_path` with a 64-character name.
    pub fn for_lxcpath(lxcpath: &Path, default_lxcpath: &Path) -> RunRoot {
        RunRoot::for_lxcpath_under(Path::new(DEFAULT_RUN_ROOT), lxcpath, default_lxcpath)
    }

    /// The same below `base` rather than `/var/run/lxc`: a regular user's run roots
    /// (`$XDG_RUNTIME_DIR/lxc`), the default lxcpath's being `base` itself.
    pub fn for_lxcpath_under(base: &Path, lxcpath: &Path, default_lxcpath: &Path) -> RunRoot {
        let (path, default) = (normal(lxcpath), normal(default_lxcpath));
        if path == default {
            return RunRoot::new(base);
        }
        let hash = fnv1a(path.as_os_str().as_encoded_bytes());
        RunRoot::new(base.join(format!(".p-{:012x}", hash >> 16)))
    }

    /// Where the run roots of every lxcpath live (the default run root; the parent of a
    /// `.p-HASH` one): the place for what all containers share.
    pub fn base(&self) -> &Path {
        let hashed = self
            .root
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b".p-"));
        match self.root.parent() {
            Some(parent) if hashed => parent,
            _ => &self.root,
        }
    }

    /// The root directory itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The run directory of container `name` (which must be valid: see [`validate_name`]).
    pub fn container(&self, name: &str) -> ContainerPaths {
        ContainerPaths {
            dir: self.root.join(name),
        }
    }

    /// The directory where monitors bind their datagram sockets.
    pub fn monitor_dir(&self) -> PathBuf {
        self.root.join(MONITOR_DIR)
    }

    /// The run root of another lxcpath goes when its last container and monitor have: its
    /// monitor directory and itself are removed if empty (the default run root stays). Whoever
    /// makes something in it concurrently finds it gone and makes it again.
    pub fn remove_if_empty(&self) {
        if self.root == Path::new(DEFAULT_RUN_ROOT) {
            return;
        }
        let _ = std::fs::remove_dir(self.monitor_dir());
        let _ = std::fs::remove_dir(&self.root);
    }
}

/// `p` absolute (against the current directory) with `.` and `..` resolved by name and no
/// trailing slash.
pub fn normal(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::from("/");
    for c in abs.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// FNV-1a, 64 bits: a stable hash (the same in every build and on every machine).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The files of one container's run directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPaths {
    dir: PathBuf,
}

impl ContainerPaths {
    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join(SOCKET)
    }

    /// The lock file, held by the shim for its whole life.
    pub fn lock(&self) -> PathBuf {
        self.dir.join(LOCK)
    }

    /// The record of what the shim made.
    pub fn record(&self) -> PathBuf {
        self.dir.join(RECORD)
    }

    /// The bind mount of a kept network namespace.
    pub fn netns(&self) -> PathBuf {
        self.dir.join(NETNS)
    }
}

/// Names: 1 to 64 of `A-Z a-z 0-9 _ . -`, not starting with `.`. Checked before any file is
/// touched, so a name can never lead out of a directory.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("container name is empty".into());
    }
    let shown: String = name.chars().take(MAX_NAME + 1).collect();
    let shown = shown.escape_debug();
    if name.len() > MAX_NAME {
        return Err(format!(
            "container name \"{shown}...\" is longer than {MAX_NAME} characters"
        ));
    }
    if name.starts_with('.') {
        return Err(format!("container name \"{shown}\" starts with '.'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        return Err(format!(
            "container name \"{shown}\" contains {c:?}: only A-Z a-z 0-9 _ . - are allowed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "web1", "A_b.c-d", "x..y", &"n".repeat(64)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "a b",
            "é",
            "a\nb",
            &"n".repeat(65),
            "..",
            "x*",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let long = validate_name(&"n".repeat(100_000)).unwrap_err();
        assert!(long.len() < 200, "a long name is not echoed in full");
    }

    #[test]
    fn layout() {
        let root = RunRoot::default();
        let c = root.container("web");
        assert_eq!(c.socket(), Path::new("/var/run/lxc/web/control.sock"));
        assert_eq!(c.lock(), Path::new("/var/run/lxc/web/lock"));
        assert_eq!(c.record(), Path::new("/var/run/lxc/web/state.json"));
        assert_eq!(root.monitor_dir(), Path::new("/var/run/lxc/.monitor"));
    }

    #[test]
    fn lxcpaths() {
        let def = Path::new(DEFAULT_LXCPATH);
        assert_eq!(RunRoot::for_lxcpath(def, def), RunRoot::default());
        assert_eq!(
            RunRoot::for_lxcpath(Path::new("/var/lib/lxc/"), def),
            RunRoot::default()
        );
        let a = RunRoot::for_lxcpath(Path::new("/srv/ct"), def);
        assert_eq!(a, RunRoot::for_lxcpath(Path::new("/srv/./x/../ct/"), def));
        assert_ne!(a, RunRoot::for_lxcpath(Path::new("/srv/ct2"), def));
        // Stable across builds: a running container must be found by the next version too.
        assert_eq!(a.path(), Path::new("/var/run/lxc/.p-14b3ca5d68f9"));
        let longest = a.container(&"n".repeat(MAX_NAME)).socket();
        assert!(longest.as_os_str().len() < 108, "{}", longest.display());
        // Another lxcpath's run root can never be a container's run directory.
        let dir = a.path().file_name().unwrap().to_str().unwrap();
        assert!(validate_name(dir).is_err());
    }
}
