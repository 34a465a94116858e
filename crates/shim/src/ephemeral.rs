//! `lxc.ephemeral = 1` (lxc-copy -e): the container's directory goes when it has stopped for
//! good (not at a reboot), and with it its entry in its original's `lxc_snapshots`. Also the
//! bookkeeping of overlay clones the commands share (LXC's file names and format).
use std::path::{Path, PathBuf};

/// In a container with overlay clones: `LXCPATH\nNAME\n` for each.
pub const SNAPSHOTS_FILE: &str = "lxc_snapshots";
/// In an overlay clone: its original's `LXCPATH\nNAME\n`.
pub const RDEPENDS_FILE: &str = "lxc_rdepends";

/// The directory to remove at the end: that of the stored config, when the config says
/// `lxc.ephemeral = 1` and was read from `DIR/config`.
pub fn dir_to_remove(config: &lxc_config::Config, file: Option<&Path>) -> Option<PathBuf> {
    let on = config
        .settings
        .other
        .iter()
        .rev()
        .find(|r| r.key == "lxc.ephemeral")
        .is_some_and(|r| r.value == "1");
    let file = file?;
    (on && file.file_name().is_some_and(|n| n == "config"))
        .then(|| file.parent().map(Path::to_path_buf))
        .flatten()
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
