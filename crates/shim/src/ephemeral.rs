//! `lxc.ephemeral = 1` (lxc-copy -e): the container's directory goes when it has stopped for
//! good (not at a reboot), and with it its entry in its original's `lxc_snapshots`. Also the
//! bookkeeping of overlay clones the commands share (LXC's file names and format).
use std::path::{Path, PathBuf};

/// In a container with overlay clones: `LXCPATH\nNAME\n` for each.
pub const SNAPSHOTS_FILE: &str = "lxc_snapshots";
/// In an overlay clone: its original's `LXCPATH\nNAME\n`.
pub const RDEPENDS_FILE: &str = "lxc_rdepends";

/// The directory to remove at the end, for `lxc.ephemeral = 1`: only a container's own
/// directory (`DIR/config` its stored config, DIR named after it) whose rootfs is an overlay
/// with its upper directory inside DIR (what `lxc-copy -e` makes). Anything else with
/// `lxc.ephemeral = 1` is refused: a config file given with `-f` must never make the shim
/// remove the directory it happens to be in.
pub fn dir_to_remove(spec: &crate::spec::LaunchSpec) -> Result<Option<PathBuf>, String> {
    let on = spec
        .config
        .settings
        .other
        .iter()
        .rev()
        .find(|r| r.key == "lxc.ephemeral")
        .is_some_and(|r| r.value == "1");
    if !on {
        return Ok(None);
    }
    let dir = spec
        .config_file
        .as_deref()
        .filter(|f| f.file_name().is_some_and(|n| n == "config"))
        .and_then(Path::parent)
        .filter(|d| d.file_name().is_some_and(|n| *n == *spec.name));
    let upper = spec
        .config
        .settings
        .rootfs_overlay_upper
        .as_deref()
        .map(Path::new);
    match (dir, upper) {
        (Some(dir), Some(upper)) if upper.starts_with(dir) => Ok(Some(dir.to_path_buf())),
        _ => Err("lxc.ephemeral = 1: not supported yet except for an overlay clone's stored config (lxc-copy -e)".to_string()),
    }
}

/// Removes the ephemeral container's directory and its entry at its original.
pub fn remove(dir: &Path) {
    if let Some((origin, _)) = origin_of(dir) {
        if let (Some(lxcpath), Some(name)) = (dir.parent(), dir.file_name()) {
            forget_clone(&origin, lxcpath, &name.to_string_lossy());
        }
    }
    match std::fs::remove_dir_all(dir) {
        Ok(()) => log::info!("ephemeral: removed {}", dir.display()),
        Err(e) => log::error!(
            "ephemeral: remove {}: {}",
            dir.display(),
            lxc_proto::strerror(&e)
        ),
    }
}

/// The directory of the original a clone in `dir` was made from (its `lxc_rdepends`), and
/// its name.
pub fn origin_of(dir: &Path) -> Option<(PathBuf, String)> {
    let text = std::fs::read_to_string(dir.join(RDEPENDS_FILE)).ok()?;
    let mut l = text.lines();
    let lxcpath = PathBuf::from(l.next()?);
    let name = l.next()?.to_string();
    Some((lxcpath.join(&name), name))
}

/// Removes the clone `lxcpath`/`name` from `origin/lxc_snapshots` (the file goes once empty).
pub fn forget_clone(origin: &Path, lxcpath: &Path, name: &str) {
    let file = origin.join(SNAPSHOTS_FILE);
    let Ok(text) = std::fs::read_to_string(&file) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = String::new();
    for p in lines.chunks(2) {
        if let [path, n] = p {
            if !(Path::new(path) == lxcpath && *n == name) {
                kept.push_str(path);
                kept.push('\n');
                kept.push_str(n);
                kept.push('\n');
            }
        }
    }
    let _ = if kept.is_empty() {
        std::fs::remove_file(&file)
    } else {
        std::fs::write(&file, kept)
    };
}
