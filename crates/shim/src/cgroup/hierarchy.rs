//! Which cgroup hierarchies this process belongs to, from `/proc/self/mountinfo` and
//! `/proc/self/cgroup`: the cgroup2 tree and every mounted v1 hierarchy, each with the
//! process's own group in it. Pure parsing, tested on fixtures of hybrid and pure-v2 hosts.
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What a hierarchy is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The cgroup2 tree.
    Unified,
    /// A v1 hierarchy and its controllers (`name=systemd` for a named one).
    V1 { controllers: Vec<String> },
}

/// One mounted hierarchy the process is a member of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where the hierarchy is mounted.
    pub mount: PathBuf,
    /// The process's own group, relative to the mount.
    pub own: PathBuf,
    /// What it is.
    pub kind: Kind,
}

impl Hierarchy {
    /// Whether this is the cgroup2 tree.
    pub fn is_unified(&self) -> bool {
        self.kind == Kind::Unified
    }

    /// Whether this is the v1 hierarchy of `controller`.
    pub fn has_v1(&self, controller: &str) -> bool {
        matches!(&self.kind, Kind::V1 { controllers } if controllers.iter().any(|c| c == controller))
    }

    /// The process's own group: the base below which its containers go.
    pub fn own_dir(&self) -> PathBuf {
        self.mount.join(&self.own)
    }

    /// The directory name the hierarchy is mounted under (`unified`, `cpu,cpuacct`...), as a
    /// container sees it below its /sys/fs/cgroup.
    pub fn mount_name(&self) -> String {
        self.mount
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cgroup".into())
    }
}

/// The hierarchies of the calling process.
pub fn own_hierarchies() -> io::Result<Vec<Hierarchy>> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")?;
    let cgroup = fs::read_to_string("/proc/self/cgroup")?;
    Ok(parse_hierarchies(&mountinfo, &cgroup))
}

/// Pairs each cgroup mount with the process's membership line. A hierarchy mounted twice is
/// used once; a mount whose root does not contain our group (a bind of a subtree we are not
/// in) is skipped.
pub fn parse_hierarchies(mountinfo: &str, proc_cgroup: &str) -> Vec<Hierarchy> {
    let members: Vec<(&str, &str)> = proc_cgroup
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let _id = it.next()?;
            Some((it.next()?, it.next()?))
        })
        .collect();
    let mut out: Vec<Hierarchy> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for line in mountinfo.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let pre: Vec<&str> = pre.split(' ').collect();
        let post: Vec<&str> = post.split(' ').collect();
        if pre.len() < 5 || post.len() < 3 {
            continue;
        }
        let (root, mount, fstype, superopts) = (pre[3], unescape(pre[4]), post[0], post[2]);
        let member = match fstype {
            "cgroup2" => members.iter().find(|(c, _)| c.is_empty()),
            "cgroup" => {
                let opts: Vec<&str> = superopts.split(',').collect();
                members
                    .iter()
                    .find(|(c, _)| !c.is_empty() && c.split(',').all(|ctl| opts.contains(&ctl)))
            }
            _ => continue,
        };
        let Some((ctls, path)) = member else { continue };
        if used.contains(ctls) {
            continue;
        }
        let Some(own) = strip_root(path, root) else {
            continue;
        };
        used.push(ctls);
        let kind = if fstype == "cgroup2" {
            Kind::Unified
        } else {
            Kind::V1 {
                controllers: ctls.split(',').map(String::from).collect(),
            }
        };
        out.push(Hierarchy {
            mount: PathBuf::from(mount),
            own,
            kind,
        });
    }
    out
}

/// `path` relative to the mount's `root`, if it lies below it.
fn strip_root(path: &str, root: &str) -> Option<PathBuf> {
    let rel = Path::new(path).strip_prefix(root).ok()?;
    Some(rel.to_path_buf())
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const MOUNTINFO: &str = "\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 24 0:24 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
27 26 0:25 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
28 26 0:26 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
31 26 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
32 26 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
33 26 0:31 / /sys/fs/cgroup/freezer rw,nosuid shared:16 - cgroup cgroup rw,freezer
34 26 0:31 / /mnt/again rw,nosuid shared:16 - cgroup cgroup rw,freezer
35 26 0:32 /sub /mnt/sub rw,nosuid shared:17 - cgroup cgroup rw,pids
36 26 0:33 / /sys/fs/cgroup/cpuset rw,nosuid shared:18 - cgroup cgroup rw,cpuset
";
    pub const CGROUP: &str = "\
10:cpuset:/
9:name=systemd:/
8:pids:/other
6:freezer:/a/b
4:memory:/process_api/fbb0
2:cpu,cpuacct:/
0::/user.slice
";

    #[test]
    fn hybrid_layout() {
        let h = parse_hierarchies(MOUNTINFO, CGROUP);
        let dirs: Vec<String> = h
            .iter()
            .map(|h| h.own_dir().display().to_string())
            .collect();
        assert_eq!(
            dirs,
            [
                "/sys/fs/cgroup/unified/user.slice",
                "/sys/fs/cgroup/systemd/",
                "/sys/fs/cgroup/memory/process_api/fbb0",
                "/sys/fs/cgroup/cpu,cpuacct/",
                "/sys/fs/cgroup/freezer/a/b",
                "/sys/fs/cgroup/cpuset/",
            ]
        );
        assert!(h[0].is_unified() && !h[1].is_unified());
        assert!(h[3].has_v1("cpuacct") && !h[3].has_v1("cpuset"));
        assert_eq!(h[3].mount_name(), "cpu,cpuacct");
    }

    #[test]
    fn pure_cgroup2() {
        let mi = "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = parse_hierarchies(mi, "0::/system.slice/x.service\n");
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0].own_dir(),
            Path::new("/sys/fs/cgroup/system.slice/x.service")
        );
    }

    #[test]
    fn escaped_mount_point() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/plain\"), r"/plain\");
    }
}
