//! The container's cgroups as one unit: `<own>/lxc/NAME` in every mounted v1 hierarchy and in
//! the cgroup2 tree, where `<own>` is the cgroup the shim was started in (as a delegated
//! service does). It creates, joins, lists (the whole subtree), kills, freezes and removes
//! (bottom-up, so that groups the container made inside go too). The shims move to a cgroup2
//! leaf of theirs, `<own>/lxc.monitor`, so that they never hold `<own>` or `<own>/lxc`:
//! cgroup2's no-internal-process rule would otherwise keep controllers from being enabled for
//! containers (docs/ARCHITECTURE.md, "Cgroups"). Our own module rather than
//! cgroups-rs: see docs/ARCHITECTURE.md.
mod devices;
pub mod files;
mod freezer;
mod hierarchy;
mod limits;
pub mod oom;
mod stale;
pub mod stats;
mod tree;

pub use freezer::{parse_events, Freezer, CGROUP_EVENTS};
pub use hierarchy::{own_hierarchies, parse_hierarchies, Hierarchy, Kind};
pub use stale::clean_stale;
pub use tree::{CgroupError, CGROUP_KILL, CGROUP_PROCS};

use tree::{procs_recursive, read_file, remove_tree, write_file};

use nix::unistd::Pid;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const CPUSET_CPUS: &str = "cpuset.cpus";
const CPUSET_MEMS: &str = "cpuset.mems";
/// The containers' shared parent below `<own>`.
pub const CONTAINERS: &str = "lxc";
/// The shims' shared leaf below `<own>` in the cgroup2 tree.
pub const SHIMS: &str = "lxc.monitor";

/// Which cgroup version's freezer and kill to use on a host that has both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// One of the container's groups.
#[derive(Debug, Clone)]
struct Group {
    dir: PathBuf,
    unified: bool,
    cpuset: bool,
    freezer: bool,
    /// A v1 hierarchy's controllers, as `files::controller_bit`s (0 for cgroup2).
    controllers: u32,
}

/// The container's cgroups in every hierarchy, and the shim's own leaf.
#[derive(Debug, Clone)]
pub struct ContainerCgroup {
    groups: Vec<Group>,
    shim_leaf: Option<PathBuf>,
    prefer: Option<Version>,
    freezer: Option<Freezer>,
    /// Given to a container's mapped root (uid, gid) by a regular user's shim: what that root
    /// makes below, the user removes only through a user namespace (`usernsexec`).
    owner: Option<(u32, u32)>,
    /// The config's `lxc.cgroup*` lines, resolved (empty without any: nothing allocated).
    limits: limits::Limits,
}

impl ContainerCgroup {
    /// Where container `name` goes (nothing is made yet).
    pub fn plan(hierarchies: &[Hierarchy], name: &str, prefer: Option<Version>) -> Self {
        let groups = hierarchies
            .iter()
            .map(|h| Group {
                dir: h.own_dir().join(CONTAINERS).join(name),
                unified: h.is_unified(),
                cpuset: h.has_v1("cpuset"),
                freezer: h.has_v1("freezer"),
                controllers: match &h.kind {
                    Kind::V1 { controllers } => controllers
                        .iter()
                        .map(|c| files::controller_bit(c))
                        .fold(0, |a, b| a | b),
                    Kind::Unified => 0,
                },
            })
            .collect();
        let shim_leaf = hierarchies
            .iter()
            .find(|h| h.is_unified())
            .map(|h| h.own_dir().join(SHIMS));
        ContainerCgroup {
            groups,
            shim_leaf,
            prefer,
            freezer: None,
            owner: None,
            limits: limits::Limits::default(),
        }
    }

    /// Resolves the config's `lxc.cgroup.*` / `lxc.cgroup2.*` lines to the container's files
    /// (written by [`ContainerCgroup::apply_limits`]); a key whose hierarchy this host lacks
    /// is refused here, before anything is made.
    pub fn set_limits(&mut self, settings: &[lxc_config::CgroupSetting]) -> Result<(), String> {
        self.limits = limits::plan(&self.views(), settings)?;
        Ok(())
    }

    /// Writes the limits, in config order (after `create`, before the init joins).
    pub fn apply_limits(&self) -> Result<(), String> {
        limits::apply(&self.limits)
    }

    /// Where cgroup file `name` of the container is (`want`: which interface).
    pub fn locate(&self, want: files::Want, name: &str) -> Result<files::Located, String> {
        files::locate(&self.views(), want, name)
    }

    fn views(&self) -> Vec<files::GroupView<'_>> {
        self.groups
            .iter()
            .map(|g| files::GroupView {
                dir: &g.dir,
                unified: g.unified,
                controllers: g.controllers,
            })
            .collect()
    }

    /// The container's directories, one per hierarchy.
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.groups.iter().map(|g| g.dir.clone()).collect()
    }

    /// The shims' cgroup2 leaf, if there is a cgroup2 tree.
    #[cfg(test)]
    pub fn shim_leaf(&self) -> Option<&Path> {
        self.shim_leaf.as_deref()
    }

    /// The freezer, once the groups exist.
    pub fn freezer(&self) -> Option<&Freezer> {
        self.freezer.as_ref()
    }

    /// Moves the calling process (the shim) into the shims' cgroup2 leaf, shared by every
    /// shim of this starter and left in place (one mkdir less per start, as for `lxc`).
    pub fn enter_shim_leaf(&self) -> Result<(), CgroupError> {
        let Some(leaf) = &self.shim_leaf else {
            return Ok(());
        };
        make_dir(leaf, false)?;
        let procs = leaf.join(CGROUP_PROCS);
        fs::write(&procs, std::process::id().to_string()).map_err(|e| CgroupError::Join(procs, e))
    }

    /// Creates the container's group in every hierarchy and picks its freezer. The shared
    /// parent `lxc` is made when missing and left in place afterwards, which keeps a start to
    /// one mkdir per hierarchy.
    pub fn create(&mut self) -> Result<(), CgroupError> {
        // A regular user's shim makes groups only where the host delegated it a cgroup: the
        // others are left out (the container then stays in the starter's group there).
        let user = !nix::unistd::geteuid().is_root();
        let mut denied = Vec::new();
        for g in &self.groups {
            match make_dir_with_parent(&g.dir, g.cpuset) {
                Ok(()) => {}
                Err(CgroupError::Create(at, e)) if user && not_ours(&e) => {
                    denied.push((g.dir.clone(), at))
                }
                Err(e) => return Err(e),
            }
        }
        if !denied.is_empty() {
            self.groups
                .retain(|g| !denied.iter().any(|(d, _)| *d == g.dir));
            let at: Vec<String> = denied
                .iter()
                .map(|(_, at)| at.display().to_string())
                .collect();
            log::warn!(
                "no delegated cgroup: not made (permission denied): {}",
                at.join(", ")
            );
        }
        let v2 = self
            .groups
            .iter()
            .find(|g| g.unified && g.dir.join(freezer::CGROUP_FREEZE).exists())
            .map(|g| Freezer::V2(g.dir.clone()));
        let v1 = self
            .groups
            .iter()
            .find(|g| g.freezer)
            .map(|g| Freezer::V1(g.dir.clone()));
        self.freezer = match self.prefer {
            Some(Version::V1) => v1.or(v2),
            _ => v2.or(v1),
        };
        Ok(())
    }

    /// Moves process `pid` (and its threads) into every one of the container's groups.
    pub fn join(&self, pid: Pid) -> Result<(), CgroupError> {
        let pid = pid.as_raw().to_string();
        for g in &self.groups {
            let file = g.dir.join(CGROUP_PROCS);
            fs::write(&file, &pid).map_err(|e| CgroupError::Join(file, e))?;
        }
        Ok(())
    }

    /// Every process of the container, in its group and every group below it (a container
    /// may make its own), read from the cgroup2 tree when there is one.
    pub fn procs(&self) -> Result<Vec<Pid>, CgroupError> {
        let main = self
            .groups
            .iter()
            .find(|g| g.unified)
            .or(self.groups.first());
        match main {
            Some(g) => procs_recursive(&g.dir),
            None => Ok(Vec::new()),
        }
    }

    /// Kills every process with cgroup2's `cgroup.kill`; false when that cannot be used (no
    /// such file, or the v1 path is preferred) and the caller must kill in rounds.
    pub fn kill_v2(&self) -> Result<bool, CgroupError> {
        if self.prefer == Some(Version::V1) {
            return Ok(false);
        }
        let Some(g) = self.groups.iter().find(|g| g.unified) else {
            return Ok(false);
        };
        let file = g.dir.join(CGROUP_KILL);
        if !file.exists() {
            return Ok(false);
        }
        write_file(&file, "1")?;
        Ok(true)
    }

    /// One attempt at removing every group, deepest first; `Ok(false)` while the kernel still
    /// holds exiting tasks (EBUSY): try again a little later.
    pub fn try_remove(&self) -> Result<bool, CgroupError> {
        let mut done = true;
        for g in &self.groups {
            done &= match (remove_tree(&g.dir), self.owner) {
                (Err(CgroupError::Remove(_, e)), Some(owner)) if not_ours(&e) => {
                    crate::usernsexec::remove_below_as(&g.dir, owner)
                        .map_err(|m| CgroupError::Remove(g.dir.clone(), io::Error::other(m)))?;
                    remove_tree(&g.dir)?
                }
                (result, _) => result?,
            };
        }
        Ok(done)
    }

    /// The groups were given to a container's mapped root by a regular user's shim.
    pub fn given_to(&mut self, uid: u32, gid: u32) {
        self.owner = Some((uid, gid));
    }
}

/// A directory a regular user may not make.
fn not_ours(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

fn make_dir_with_parent(dir: &Path, cpuset: bool) -> Result<(), CgroupError> {
    let parent = dir.parent().unwrap_or(dir);
    // The parent can vanish between our two mkdirs (a sweep removing empty `lxc` directories):
    // make it again then.
    for _ in 0..10 {
        match make_dir(dir, cpuset) {
            Err(CgroupError::Create(_, e)) if e.kind() == io::ErrorKind::NotFound => {
                make_dir(parent, cpuset)?
            }
            other => return other,
        }
    }
    make_dir(dir, cpuset)
}

/// On v1 cpuset a new group starts with no cpus and no mems (unless `cgroup.clone_children`
/// is set), and tasks cannot join it: copy the parent's.
fn make_dir(d: &Path, cpuset: bool) -> Result<(), CgroupError> {
    match fs::create_dir(d) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(CgroupError::Create(d.to_path_buf(), e)),
    }
    if cpuset {
        for file in [CPUSET_CPUS, CPUSET_MEMS] {
            let path = d.join(file);
            let Ok(current) = fs::read_to_string(&path) else {
                continue;
            };
            if !current.trim().is_empty() {
                continue;
            }
            let Some(parent) = d.parent() else { continue };
            let value = read_file(&parent.join(file))?;
            write_file(&path, value.trim())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::hierarchy::tests::{CGROUP, MOUNTINFO};
    use super::*;

    #[test]
    fn placement() {
        let h = parse_hierarchies(MOUNTINFO, CGROUP);
        let cg = ContainerCgroup::plan(&h, "web", None);
        let dirs: Vec<String> = cg.dirs().iter().map(|d| d.display().to_string()).collect();
        assert_eq!(
            dirs,
            [
                "/sys/fs/cgroup/unified/user.slice/lxc/web",
                "/sys/fs/cgroup/systemd/lxc/web",
                "/sys/fs/cgroup/memory/process_api/fbb0/lxc/web",
                "/sys/fs/cgroup/cpu,cpuacct/lxc/web",
                "/sys/fs/cgroup/freezer/a/b/lxc/web",
                "/sys/fs/cgroup/cpuset/lxc/web",
            ]
        );
        assert_eq!(
            cg.shim_leaf(),
            Some(Path::new("/sys/fs/cgroup/unified/user.slice/lxc.monitor"))
        );
    }

    #[test]
    fn groups_below_the_container_are_listed_and_removed() {
        let base = std::env::temp_dir().join(format!("lxc-cgtest-{}", std::process::id()));
        let sub = base.join("inner/deeper");
        fs::create_dir_all(&sub).unwrap();
        fs::write(base.join(CGROUP_PROCS), "1\n2\n").unwrap();
        fs::write(base.join("inner").join(CGROUP_PROCS), "3\n").unwrap();
        fs::write(sub.join(CGROUP_PROCS), "4\n").unwrap();
        let mut pids: Vec<i32> = procs_recursive(&base)
            .unwrap()
            .into_iter()
            .map(Pid::as_raw)
            .collect();
        pids.sort();
        assert_eq!(pids, [1, 2, 3, 4]);
        // On a real cgroupfs the files vanish with their directory; here rmdir needs them gone.
        for d in [&sub, &base.join("inner"), &base] {
            fs::remove_file(d.join(CGROUP_PROCS)).unwrap();
        }
        assert!(remove_tree(&base).unwrap());
        assert!(!base.exists());
        assert!(
            procs_recursive(&base).unwrap().is_empty(),
            "a gone group is empty"
        );
    }
}
