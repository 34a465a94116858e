//! The container's cgroup: `<own>/lxc/NAME` in every mounted v1 hierarchy and in the cgroup2
//! tree, where `<own>` is the cgroup the shim itself was started in (as a delegated service
//! does). Our own small module: cgroups-rs places groups relative to each hierarchy's root, skips
//! the cgroup2 tree on hybrid hosts, and writes the root's `cgroup.subtree_control` (see
//! docs/ARCHITECTURE.md).
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that lists a group's processes, in both versions.
pub const CGROUP_PROCS: &str = "cgroup.procs";
const CPUSET_CPUS: &str = "cpuset.cpus";
const CPUSET_MEMS: &str = "cpuset.mems";

/// One mounted hierarchy the shim is a member of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where the hierarchy is mounted.
    pub mount: PathBuf,
    /// The shim's own group, relative to the mount.
    pub own: PathBuf,
    /// True for the cgroup2 tree.
    pub unified: bool,
    /// True for the v1 cpuset hierarchy, whose new groups start without cpus and mems.
    pub cpuset: bool,
    /// True for the v1 freezer hierarchy.
    pub freezer: bool,
}

impl Hierarchy {
    /// The directory of container `name` in this hierarchy.
    pub fn container_dir(&self, name: &str) -> PathBuf {
        self.mount.join(&self.own).join("lxc").join(name)
    }
}

/// Finds the hierarchies of the calling process from `/proc/self/mountinfo` and
/// `/proc/self/cgroup`.
pub fn own_hierarchies() -> io::Result<Vec<Hierarchy>> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")?;
    let cgroup = fs::read_to_string("/proc/self/cgroup")?;
    Ok(parse_hierarchies(&mountinfo, &cgroup))
}

/// Pairs each cgroup mount with the calling process's membership line. A hierarchy mounted
/// twice is used once; a mount whose root does not contain our group (a bind of a subtree we
/// are not in) is skipped.
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
        let v1_has = |ctl: &str| fstype == "cgroup" && ctls.split(',').any(|c| c == ctl);
        let (cpuset, freezer) = (v1_has("cpuset"), v1_has("freezer"));
        out.push(Hierarchy {
            mount: PathBuf::from(mount),
            own,
            unified: fstype == "cgroup2",
            cpuset,
            freezer,
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

/// Creates the container's directory in every hierarchy. The shared parent `lxc` is made
/// when missing and left in place afterwards (as the place every container of this starter
/// goes), which keeps a start to one mkdir per hierarchy. On v1 cpuset a new group starts with
/// no cpus and no mems (unless `cgroup.clone_children` is set), and tasks cannot join it: copy
/// the parent's.
pub fn create(hierarchies: &[Hierarchy], name: &str) -> io::Result<()> {
    for h in hierarchies {
        let dir = h.container_dir(name);
        let parent = dir.parent().unwrap_or(&dir);
        // The parent can vanish between our two mkdirs (a sweep removing empty `lxc`
        // directories): make it again then.
        let mut attempts = 0;
        loop {
            match make_dir(&dir, h.cpuset) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 10 => {
                    attempts += 1;
                    make_dir(parent, h.cpuset)?;
                }
                other => break other?,
            }
        }
    }
    Ok(())
}

fn make_dir(d: &Path, cpuset: bool) -> io::Result<()> {
    match fs::create_dir(d) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("create {}: {e}", d.display()),
            ))
        }
    }
    if cpuset {
        inherit_cpuset(d)?;
    }
    Ok(())
}

fn inherit_cpuset(dir: &Path) -> io::Result<()> {
    for file in [CPUSET_CPUS, CPUSET_MEMS] {
        let path = dir.join(file);
        let Ok(current) = fs::read_to_string(&path) else {
            return Ok(());
        };
        if !current.trim().is_empty() {
            continue;
        }
        let Some(parent) = dir.parent() else { continue };
        let value = fs::read_to_string(parent.join(file))?;
        fs::write(&path, value.trim())
            .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Moves process `pid` (and its threads) into every one of `dirs`.
pub fn join(dirs: &[PathBuf], pid: nix::unistd::Pid) -> io::Result<()> {
    let pid = pid.as_raw().to_string();
    for dir in dirs {
        let file = dir.join(CGROUP_PROCS);
        fs::write(&file, &pid)
            .map_err(|e| io::Error::new(e.kind(), format!("join {}: {e}", file.display())))?;
    }
    Ok(())
}

/// Pids listed in a group's `cgroup.procs`; a group that is gone is empty.
pub fn procs(dir: &Path) -> io::Result<Vec<i32>> {
    match fs::read_to_string(dir.join(CGROUP_PROCS)) {
        Ok(s) => Ok(s.lines().filter_map(|l| l.trim().parse().ok()).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 24 0:24 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
27 26 0:25 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
28 26 0:26 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
31 26 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
32 26 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
33 26 0:31 / /sys/fs/cgroup/freezer rw,nosuid shared:16 - cgroup cgroup rw,freezer
34 26 0:31 / /mnt/again rw,nosuid shared:16 - cgroup cgroup rw,freezer
35 26 0:32 /sub /mnt/sub rw,nosuid shared:17 - cgroup cgroup rw,pids
";
    const CGROUP: &str = "\
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
            .map(|h| h.container_dir("web").display().to_string())
            .collect();
        assert_eq!(
            dirs,
            [
                "/sys/fs/cgroup/unified/user.slice/lxc/web",
                "/sys/fs/cgroup/systemd/lxc/web",
                "/sys/fs/cgroup/memory/process_api/fbb0/lxc/web",
                "/sys/fs/cgroup/cpu,cpuacct/lxc/web",
                "/sys/fs/cgroup/freezer/a/b/lxc/web",
            ]
        );
        assert!(h[0].unified && !h[1].unified);
    }

    #[test]
    fn pure_cgroup2() {
        let mi = "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = parse_hierarchies(mi, "0::/system.slice/x.service\n");
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0].container_dir("c"),
            Path::new("/sys/fs/cgroup/system.slice/x.service/lxc/c")
        );
    }

    #[test]
    fn freezer_choice_and_events() {
        let h = parse_hierarchies(MOUNTINFO, CGROUP);
        // cgroup.freeze does not exist under the fixture's paths: the v1 freezer is used.
        assert_eq!(
            Freezer::find(&h, "web", None),
            Some(Freezer::V1(PathBuf::from(
                "/sys/fs/cgroup/freezer/a/b/lxc/web"
            )))
        );
        assert_eq!(parse_events("populated 1\nfrozen 0\n", "frozen"), Some(0));
        assert_eq!(parse_events("populated 0\n", "frozen"), None);
    }

    #[test]
    fn escaped_mount_point() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/plain\"), r"/plain\");
    }
}

/// v1 freezer state file and its words.
const FREEZER_STATE: &str = "freezer.state";
/// v2 freeze request and event files.
const CGROUP_FREEZE: &str = "cgroup.freeze";
const CGROUP_EVENTS: &str = "cgroup.events";
const CGROUP_KILL: &str = "cgroup.kill";

/// Where the container's freezer lives: the v1 freezer hierarchy or cgroup2's `cgroup.freeze`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freezer {
    V1(PathBuf),
    V2(PathBuf),
}

impl Freezer {
    /// Picks the freezer for container `name`: cgroup2's when its group has `cgroup.freeze`
    /// (kernel 5.2+), else the v1 freezer hierarchy. `prefer` ("v1" or "v2") chooses when
    /// both exist.
    pub fn find(hierarchies: &[Hierarchy], name: &str, prefer: Option<&str>) -> Option<Freezer> {
        let v2 = hierarchies
            .iter()
            .find(|h| h.unified)
            .map(|h| h.container_dir(name))
            .filter(|d| d.join(CGROUP_FREEZE).exists())
            .map(Freezer::V2);
        let v1 = hierarchies
            .iter()
            .find(|h| h.freezer)
            .map(|h| Freezer::V1(h.container_dir(name)));
        match prefer {
            Some("v1") => v1.or(v2),
            _ => v2.or(v1),
        }
    }

    /// Asks for a freeze; it may take a while (see [`Freezer::is_frozen`]).
    pub fn freeze(&self) -> io::Result<()> {
        match self {
            Freezer::V1(d) => write_file(&d.join(FREEZER_STATE), "FROZEN"),
            Freezer::V2(d) => write_file(&d.join(CGROUP_FREEZE), "1"),
        }
    }

    /// Thaws.
    pub fn thaw(&self) -> io::Result<()> {
        match self {
            Freezer::V1(d) => write_file(&d.join(FREEZER_STATE), "THAWED"),
            Freezer::V2(d) => write_file(&d.join(CGROUP_FREEZE), "0"),
        }
    }

    /// Whether every task is frozen now: v1 `freezer.state` reads FROZEN (FREEZING while it
    /// takes); v2 `cgroup.events` says `frozen 1` (`cgroup.freeze` only holds the request).
    pub fn is_frozen(&self) -> io::Result<bool> {
        match self {
            Freezer::V1(d) => Ok(read_file(&d.join(FREEZER_STATE))?.trim() == "FROZEN"),
            Freezer::V2(d) => {
                Ok(parse_events(&read_file(&d.join(CGROUP_EVENTS))?, "frozen") == Some(1))
            }
        }
    }
}

/// A value of `cgroup.events` (`populated 1\nfrozen 0\n`).
pub fn parse_events(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Kills every process of the group in one step with cgroup2's `cgroup.kill` (kernel 5.14+).
/// Returns false when the file does not exist (older kernel, or no cgroup2 group).
pub fn kill_v2(dir: &Path) -> io::Result<bool> {
    let file = dir.join(CGROUP_KILL);
    if !file.exists() {
        return Ok(false);
    }
    write_file(&file, "1")?;
    Ok(true)
}

fn write_file(path: &Path, value: &str) -> io::Result<()> {
    fs::write(path, value)
        .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", path.display())))
}

fn read_file(path: &Path) -> io::Result<String> {
    fs::read_to_string(path)
        .map_err(|e| io::Error::new(e.kind(), format!("read {}: {e}", path.display())))
}
