//! A cgroup file of the container by name (`memory.limit_in_bytes`, `memory.max`): which of
//! its groups holds it, whether the name may be written, and reading and writing it with
//! errors that name the file and the kernel's reason. Shared by the config's limits
//! (`limits.rs`) and the live `cgroup-get` / `cgroup-set` methods.
use super::tree::CgroupError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The longest value a client may write to a cgroup file, in bytes (cgroup files take a
/// page at most).
pub const MAX_VALUE: usize = 4096;

/// Files the shim manages itself: a limit or a client writing them would move processes in,
/// kill or freeze behind the lifecycle's back.
const MANAGED: &str = "cgroup.procs cgroup.threads tasks cgroup.kill cgroup.freeze freezer.state \
                       cgroup.subtree_control release_agent notify_on_release";

/// Which cgroup interface a file is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// `lxc.cgroup.*`: the v1 hierarchy of the file's controller.
    V1,
    /// `lxc.cgroup2.*`: the cgroup2 tree.
    V2,
    /// `lxc-cgroup KEY`: the v1 hierarchy of the controller if there is one, else cgroup2.
    Any,
}

/// A file of the container's, found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    /// For a cgroup2 file of a controller (not `cgroup.*`): the controller, and the parent
    /// whose `cgroup.subtree_control` must enable it before the file exists.
    pub enable: Option<(String, PathBuf)>,
}

/// One of the container's groups, as the lookup sees it.
pub struct GroupView<'a> {
    pub dir: &'a Path,
    pub unified: bool,
    /// A v1 hierarchy's controllers, as [`controller_bit`]s (0 for cgroup2).
    pub controllers: u32,
}

/// The bit of v1 controller `name` in [`GroupView::controllers`]; 0 for a name no kernel has.
/// A mask rather than a list: the shim keeps one per group for its whole life, allocation-free.
pub fn controller_bit(name: &str) -> u32 {
    let n = match name {
        "cpu" => 0,
        "cpuacct" => 1,
        "cpuset" => 2,
        "memory" => 3,
        "devices" => 4,
        "freezer" => 5,
        "net_cls" => 6,
        "net_prio" => 7,
        "blkio" => 8,
        "perf_event" => 9,
        "hugetlb" => 10,
        "pids" => 11,
        "rdma" => 12,
        "misc" => 13,
        _ => return 0,
    };
    1 << n
}

/// Whether `name` is a cgroup file name: `CONTROLLER.FILE` of letters, digits, `_`, `-` and
/// dots, no empty part (so no `..`, no `/`).
pub fn valid_name(name: &str) -> bool {
    name.len() <= 255
        && name.contains('.')
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// Whether the shim keeps `name` to itself (it may be read, never written by a limit).
pub fn managed(name: &str) -> bool {
    MANAGED
        .split(' ')
        .filter(|w| !w.is_empty())
        .any(|w| w == name)
}

/// The controller a file belongs to: the part before the first dot (`cgroup` for core files).
pub fn controller(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Finds `name` among `groups`; the error says why it cannot be (no such hierarchy here).
pub fn locate(groups: &[GroupView<'_>], want: Want, name: &str) -> Result<Located, String> {
    if !valid_name(name) {
        return Err(format!("{name:?} is not a cgroup file name"));
    }
    let ctl = controller(name);
    let v1 = groups
        .iter()
        .find(|g| !g.unified && g.controllers & controller_bit(ctl) != 0);
    let v2 = groups.iter().find(|g| g.unified);
    let in_v2 = |g: &GroupView<'_>| Located {
        path: g.dir.join(name),
        enable: (ctl != "cgroup")
            .then(|| g.dir.parent().map(|p| (ctl.to_owned(), p.to_path_buf())))
            .flatten(),
    };
    match want {
        Want::V1 => v1
            .map(|g| Located {
                path: g.dir.join(name),
                enable: None,
            })
            .ok_or_else(|| format!("this host has no cgroup v1 {ctl} hierarchy")),
        Want::V2 => v2
            .map(in_v2)
            .ok_or_else(|| "this host has no cgroup2 hierarchy".to_owned()),
        Want::Any => match (v1, v2) {
            (Some(g), _) => Ok(Located {
                path: g.dir.join(name),
                enable: None,
            }),
            (None, Some(g)) => Ok(in_v2(g)),
            (None, None) => Err(format!("this host has no cgroup hierarchy for {ctl}")),
        },
    }
}

/// Makes a cgroup2 controller's files appear in the container's group: enables it in the
/// parent's `cgroup.subtree_control` when it is available there (listed in the parent's
/// `cgroup.controllers`); otherwise says that it is not, and where to look.
pub fn enable_v2(controller: &str, parent: &Path) -> Result<(), String> {
    let listed = |file: &str| -> Result<bool, String> {
        let path = parent.join(file);
        let text = fs::read_to_string(&path).map_err(|e| CgroupError::Read(path, e).to_string())?;
        Ok(text.split_whitespace().any(|c| c == controller))
    };
    if listed("cgroup.subtree_control")? {
        return Ok(());
    }
    if !listed("cgroup.controllers")? {
        return Err(format!(
            "the cgroup2 controller {controller} is not available to {} (see its \
             cgroup.controllers)",
            parent.display()
        ));
    }
    write(
        &parent.join("cgroup.subtree_control"),
        &format!("+{controller}"),
    )
    .map_err(|e| e.to_string())
}

/// Writes `value` in one write(2), as the kernel wants a cgroup file written; never creates
/// the file (a missing one is ENOENT, not a confusing EACCES from cgroupfs).
pub fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| CgroupError::Write(path.to_path_buf(), e))?;
    f.write_all(value.as_bytes())
        .map_err(|e| CgroupError::Write(path.to_path_buf(), e))
}

/// The file's text without its last newline.
pub fn read(path: &Path) -> Result<String, CgroupError> {
    let mut text =
        fs::read_to_string(path).map_err(|e| CgroupError::Read(path.to_path_buf(), e))?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(v: &[&str]) -> u32 {
        v.iter().map(|c| controller_bit(c)).fold(0, |a, b| a | b)
    }

    #[test]
    fn names() {
        for good in [
            "memory.max",
            "hugetlb.2MB.max",
            "cpu.cfs_quota_us",
            "io.bfq-weight",
        ] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "memory",
            "../memory.max",
            "a/b.c",
            "a..b",
            ".x",
            "x.",
            "a b.c",
            "",
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(managed("cgroup.procs") && managed("tasks") && !managed("memory.max"));
        assert_eq!(controller("hugetlb.2MB.max"), "hugetlb");
    }

    #[test]
    fn hybrid_host() {
        let (mem, cpu) = (mask(&["memory"]), mask(&["cpu", "cpuacct"]));
        let groups = [
            GroupView {
                dir: Path::new("/u/lxc/c"),
                unified: true,
                controllers: 0,
            },
            GroupView {
                dir: Path::new("/m/lxc/c"),
                unified: false,
                controllers: mem,
            },
            GroupView {
                dir: Path::new("/cpu/lxc/c"),
                unified: false,
                controllers: cpu,
            },
        ];
        let at = |want, name| locate(&groups, want, name).map(|l| l.path);
        assert_eq!(
            at(Want::V1, "memory.limit_in_bytes"),
            Ok(PathBuf::from("/m/lxc/c/memory.limit_in_bytes"))
        );
        assert_eq!(
            at(Want::Any, "cpuacct.usage"),
            Ok(PathBuf::from("/cpu/lxc/c/cpuacct.usage"))
        );
        assert_eq!(
            at(Want::Any, "hugetlb.2MB.max"),
            Ok(PathBuf::from("/u/lxc/c/hugetlb.2MB.max"))
        );
        assert_eq!(
            at(Want::V1, "pids.max"),
            Err("this host has no cgroup v1 pids hierarchy".into())
        );
        let l = locate(&groups, Want::V2, "memory.max").unwrap();
        assert_eq!(l.enable, Some(("memory".into(), PathBuf::from("/u/lxc"))));
        let core = locate(&groups, Want::V2, "cgroup.max.descendants").unwrap();
        assert_eq!(core.enable, None);
    }

    #[test]
    fn pure_cgroup2_host() {
        let groups = [GroupView {
            dir: Path::new("/sys/fs/cgroup/x/lxc/c"),
            unified: true,
            controllers: 0,
        }];
        assert_eq!(
            locate(&groups, Want::V1, "memory.limit_in_bytes"),
            Err("this host has no cgroup v1 memory hierarchy".into())
        );
        let l = locate(&groups, Want::Any, "memory.max").unwrap();
        assert_eq!(l.path, PathBuf::from("/sys/fs/cgroup/x/lxc/c/memory.max"));
        assert_eq!(
            locate(&[], Want::V2, "memory.max").unwrap_err(),
            "this host has no cgroup2 hierarchy"
        );
    }

    /// A pure cgroup2 host's files, as a fixture: a controller listed in the parent's
    /// `cgroup.controllers` is enabled; one that is not is refused with where to look.
    #[test]
    fn enabling_a_v2_controller() {
        let dir = std::env::temp_dir().join(format!("lxc-cgfiles-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("cgroup.controllers"),
            "cpuset cpu io memory pids\n",
        )
        .unwrap();
        fs::write(dir.join("cgroup.subtree_control"), "cpu\n").unwrap();
        assert_eq!(enable_v2("cpu", &dir), Ok(()));
        assert_eq!(
            fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap(),
            "cpu\n"
        );
        assert_eq!(enable_v2("memory", &dir), Ok(()));
        assert_eq!(
            fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap(),
            "+memory"
        );
        let err = enable_v2("hugetlb", &dir).unwrap_err();
        assert!(
            err.starts_with("the cgroup2 controller hugetlb is not available to "),
            "{err}"
        );
        let missing = write(&dir.join("memory.max"), "1").unwrap_err().to_string();
        assert!(
            missing.ends_with("memory.max: No such file or directory"),
            "{missing}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
