//! Copying a stored container, as LXC's lxc-copy and lxc-snapshot do: a full copy (its rootfs
//! copied with `cp -a`, owners, modes, links and devices kept) or an overlay clone (an
//! overlayfs of the original's rootfs with an upper directory `delta0` of its own: the clone
//! records itself in the original's `lxc_snapshots`, the original in its `lxc_rdepends`, as
//! LXC's files). The config is rewritten: paths into the old container's directory point to
//! the new one, `lxc.uts.name` is the new name and every `hwaddr` a new random MAC unless
//! asked to keep them. `lxc.hook.clone` hooks then run with the new rootfs mounted. What
//! fails leaves nothing of the copy behind.
use crate::container::Container;
use crate::CliError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use lxc_shim::ephemeral::{origin_of, RDEPENDS_FILE, SNAPSHOTS_FILE};
/// The upper directory of an overlay clone, and the work directory overlayfs needs.
pub const DELTA: &str = "delta0";
pub const WORK: &str = "olwork";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Full,
    Overlay,
}

/// How to copy.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub kind: Kind,
    /// Keep `lxc.uts.name` (and /etc/hostname).
    pub keep_name: bool,
    /// Keep the MAC addresses.
    pub keep_mac: bool,
    /// Mark the copy `lxc.ephemeral = 1`: destroyed when it stops.
    pub ephemeral: bool,
    /// The destination directory exists already (lxc-snapshot -r over the container): only
    /// its `config` and rootfs are replaced.
    pub into_existing: bool,
}

/// The rootfs of a container config: `(lower, upper)` of an overlay, or the directory.
pub fn rootfs_of(settings: &lxc_config::Settings) -> Option<(PathBuf, Option<PathBuf>)> {
    let r = settings.rootfs.as_ref()?;
    Some((
        PathBuf::from(r),
        settings.rootfs_overlay_upper.as_ref().map(PathBuf::from),
    ))
}

/// Copies `src` (stored, not running) to `dst`.
pub fn copy(src: &Container, dst: &Container, opts: Opts) -> Result<(), CliError> {
    let failed = |e: lxc_config::ConfigError| CliError::failed(e.to_string());
    let text = lxc_config::read_file(&src.config_path()).map_err(failed)?;
    let config = lxc_config::parse_file_text(&text, &src.config_path()).map_err(failed)?;
    let rootfs = rootfs_of(&config.settings);
    if opts.kind == Kind::Overlay && rootfs.is_none() {
        return Err(CliError::failed(
            "has no rootfs (lxc.rootfs.path): nothing to make an overlay of",
        ));
    }
    if !opts.into_existing {
        fs::create_dir_all(&dst.lxcpath).map_err(|e| io("create", &dst.lxcpath, e))?;
        match fs::create_dir(dst.dir()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CliError {
                    names_container: true,
                    ..CliError::failed(format!("{} already exists", dst.name))
                })
            }
            Err(e) => return Err(io("create", &dst.dir(), e)),
        }
    }
    let made = fill(src, dst, &text, rootfs, opts);
    if made.is_err() && !opts.into_existing {
        let _ = fs::remove_dir_all(dst.dir());
        forget_clone(&src.dir(), dst);
        if let Some((origin, _)) = origin_of(&src.dir()) {
            forget_clone(&origin, dst);
        }
    }
    made
}

fn fill(
    src: &Container,
    dst: &Container,
    text: &str,
    rootfs: Option<(PathBuf, Option<PathBuf>)>,
    opts: Opts,
) -> Result<(), CliError> {
    let new_rootfs = match (&rootfs, opts.kind) {
        (None, _) => None,
        (Some(_), Kind::Full) => Some(format!("dir:{}", dst.dir().join("rootfs").display())),
        (Some((lower, _)), Kind::Overlay) => Some(format!(
            "overlay:{}:{}",
            lower.display(),
            dst.dir().join(DELTA).display()
        )),
    };
    let mut out = rewrite(text, src, dst, new_rootfs.as_deref(), opts)?;
    if opts.ephemeral {
        out.push_str("lxc.ephemeral = 1\n");
    }
    if !opts.into_existing {
        copy_extra_files(&src.dir(), &dst.dir())?;
    }
    match (&rootfs, opts.kind) {
        (None, _) => {}
        (Some((from, None)), Kind::Full) => {
            let to = dst.dir().join("rootfs");
            make_dir(&to)?;
            cp_a(&from.join("."), &to)?;
        }
        (Some((lower, Some(upper))), Kind::Full) => {
            // A full copy of an overlay clone: what it sees, its overlay mounted in a mount
            // namespace of ours.
            let to = dst.dir().join("rootfs");
            make_dir(&to)?;
            crate::template::in_private_mounts(|| {
                mount_overlay(lower, upper, &work_of(upper)).map_err(CliError::failed)?;
                cp_a(&lower.join("."), &to)
            })?;
        }
        (Some((_, upper)), Kind::Overlay) => {
            make_dir(&dst.dir().join(DELTA))?;
            make_dir(&dst.dir().join(WORK))?;
            // A clone of a clone shares the first one's lower directory, with a copy of its
            // delta: it depends on the container that owns the lower directory.
            let (origin_dir, origin_lxcpath, origin_name) = match upper {
                Some(upper) => {
                    cp_a(&upper.join("."), &dst.dir().join(DELTA))?;
                    let (dir, name) = origin_of(&src.dir()).ok_or_else(|| {
                        CliError::failed(format!(
                            "an overlay clone without its {RDEPENDS_FILE}: its original is unknown"
                        ))
                    })?;
                    let lxcpath = dir.parent().map(Path::to_path_buf).unwrap_or_default();
                    (dir, lxcpath, name)
                }
                None => (src.dir(), src.lxcpath.clone(), src.name.clone()),
            };
            record_clone(&origin_dir, dst)?;
            fs::write(
                dst.dir().join(RDEPENDS_FILE),
                format!("{}\n{}\n", origin_lxcpath.display(), origin_name),
            )
            .map_err(|e| io("write", &dst.dir().join(RDEPENDS_FILE), e))?;
        }
    }
    let config_path = dst.config_path();
    let tmp = dst.dir().join(".config.tmp");
    fs::write(&tmp, &out)
        .and_then(|_| fs::rename(&tmp, &config_path))
        .map_err(|e| io("write", &config_path, e))?;
    let config = lxc_config::parse_file(&config_path)
        .map_err(|e| CliError::failed(format!("the copy's config is not valid: {e}")))?;
    after_copy(src, dst, &config, opts)
}

/// With the new rootfs in view (an overlay mounted in a mount namespace of this process's
/// own): /etc/hostname gets the new name, then the `lxc.hook.clone` hooks run.
fn after_copy(
    src: &Container,
    dst: &Container,
    config: &lxc_config::Config,
    opts: Opts,
) -> Result<(), CliError> {
    let hooks = lxc_shim::hooks::Hooks::new(&dst.name, config, Some(&dst.config_path()));
    let has_hooks = hooks.has(lxc_config::HookKind::Clone);
    let Some((lower, upper)) = rootfs_of(&config.settings) else {
        return run_clone_hooks(&hooks, src, None);
    };
    if opts.keep_name && !has_hooks {
        return Ok(());
    }
    let in_view = |root: &Path| -> Result<(), CliError> {
        if !opts.keep_name {
            rename_host(root, &src.name, &dst.name);
        }
        run_clone_hooks(&hooks, src, Some(root))
    };
    match upper {
        None => in_view(&lower),
        Some(upper) => {
            let work = work_of(&upper);
            crate::template::in_private_mounts(|| {
                mount_overlay(&lower, &upper, &work).map_err(CliError::failed)?;
                in_view(&lower)
            })
            .map_err(|e: CliError| e)
        }
    }
}

fn run_clone_hooks(
    hooks: &lxc_shim::hooks::Hooks,
    src: &Container,
    root: Option<&Path>,
) -> Result<(), CliError> {
    let mut extra = lxc_shim::hooks::Extra::default();
    extra
        .env
        .push(("LXC_SRC_NAME".to_string(), src.name.clone()));
    if let Some(root) = root {
        extra
            .env
            .push(("LXC_ROOTFS_MOUNT".to_string(), root.display().to_string()));
    }
    hooks
        .run_now(lxc_config::HookKind::Clone, &extra, &mut |l| {
            log::info!("{l}")
        })
        .map_err(CliError::failed)
}

/// The work directory of an overlay whose upper directory is `upper` (LXC's `olwork` beside it).
fn work_of(upper: &Path) -> PathBuf {
    upper.parent().map(|p| p.join(WORK)).unwrap_or_default()
}

/// Mounts the overlay of a clone onto its lower directory (in this process's private mount
/// namespace: the host never sees it).
pub fn mount_overlay(lower: &Path, upper: &Path, work: &Path) -> Result<(), String> {
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    nix::mount::mount(
        Some("overlay"),
        lower,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(data.as_str()),
    )
    .map_err(|e| format!("mount the overlay on {}: {}", lower.display(), e.desc()))
}

/// `/etc/hostname` holding the old name gets the new one.
fn rename_host(root: &Path, old: &str, new: &str) {
    let file = root.join("etc/hostname");
    // Never through a symlink of the rootfs: it could point anywhere on the host.
    if fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
        && fs::read_to_string(&file).is_ok_and(|t| t.trim() == old)
    {
        let _ = fs::write(&file, format!("{new}\n"));
    }
}

/// The config with paths, name, MACs and rootfs of the copy; comments and order kept.
fn rewrite(
    text: &str,
    src: &Container,
    dst: &Container,
    rootfs: Option<&str>,
    opts: Opts,
) -> Result<String, CliError> {
    let old_dir = src.dir().display().to_string();
    let new_dir = dst.dir().display().to_string();
    let mut out = String::with_capacity(text.len() + 128);
    let mut named = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let Some((key, value)) = trimmed
            .split_once('=')
            .filter(|_| !trimmed.starts_with('#'))
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        let new_value = if key == "lxc.rootfs.path" || key == "lxc.rootfs" || key == "lxc.chroot" {
            rootfs.map(str::to_string)
        } else if (key == "lxc.uts.name" || key == "lxc.utsname") && !opts.keep_name {
            named = true;
            Some(dst.name.clone())
        } else if key.ends_with(".hwaddr") && !opts.keep_mac && !value.is_empty() {
            Some(random_mac()?)
        } else if value.contains(&old_dir) {
            Some(replace_dir(value, &old_dir, &new_dir))
        } else {
            None
        };
        match new_value {
            Some(v) => out.push_str(&format!("{key} = {v}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !named && !opts.keep_name {
        out.push_str(&format!("lxc.uts.name = {}\n", dst.name));
    }
    Ok(out)
}

/// `value` with `old` (a directory, followed by `/` or nothing) as `new`.
fn replace_dir(value: &str, old: &str, new: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find(old) {
        let (before, after) = rest.split_at(i);
        let after = after.get(old.len()..).unwrap_or_default();
        out.push_str(before);
        if after.is_empty() || after.starts_with('/') || after.starts_with(' ') {
            out.push_str(new);
        } else {
            out.push_str(old);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// LXC's MAC prefix 00:16:3e and three random bytes.
fn random_mac() -> Result<String, CliError> {
    let mut b = [0u8; 3];
    let mut f =
        fs::File::open("/dev/urandom").map_err(|e| io("open", Path::new("/dev/urandom"), e))?;
    std::io::Read::read_exact(&mut f, &mut b)
        .map_err(|e| io("read", Path::new("/dev/urandom"), e))?;
    Ok(format!("00:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2]))
}

/// Files of the container's directory other than its rootfs, config, snapshots and LXC's
/// bookkeeping (an fstab, say).
fn copy_extra_files(from: &Path, to: &Path) -> Result<(), CliError> {
    let Ok(rd) = fs::read_dir(from) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let n = name.to_string_lossy();
        if matches!(
            n.as_ref(),
            "rootfs" | "config" | "snaps" | "partial" | ".config.tmp"
        ) || n == SNAPSHOTS_FILE
            || n == RDEPENDS_FILE
            || n == DELTA
            || n == WORK
        {
            continue;
        }
        cp_a(&e.path(), to)?;
    }
    Ok(())
}

/// `cp -a FROM TO`.
fn cp_a(from: &Path, to: &Path) -> Result<(), CliError> {
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg("--")
        .arg(from)
        .arg(to)
        .output()
        .map_err(|e| CliError::failed(format!("run cp: {}", lxc_proto::strerror(&e))))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(CliError::failed(format!(
            "copy {}: {}",
            from.display(),
            lxc_proto::shorten(err.lines().last().unwrap_or("failed"), 200)
        )));
    }
    Ok(())
}

fn make_dir(dir: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .mode(0o755)
        .create(dir)
        .map_err(|e| io("create", dir, e))
}

fn io(what: &str, p: &Path, e: std::io::Error) -> CliError {
    CliError::failed(format!(
        "{what} {}: {}",
        p.display(),
        lxc_proto::strerror(&e)
    ))
}

/// The overlay clones recorded in `dir/lxc_snapshots` that still exist: `(lxcpath, name)`.
pub fn clones_of(dir: &Path) -> Vec<(PathBuf, String)> {
    let text = fs::read_to_string(dir.join(SNAPSHOTS_FILE)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .filter_map(|p| match p {
            [path, name] => Some((PathBuf::from(path), name.to_string())),
            _ => None,
        })
        .filter(|(p, n)| p.join(n).join("config").is_file())
        .collect()
}

fn record_clone(origin: &Path, clone: &Container) -> Result<(), CliError> {
    let file = origin.join(SNAPSHOTS_FILE);
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| writeln!(f, "{}\n{}", clone.lxcpath.display(), clone.name))
        .map_err(|e| io("write", &file, e))
}

/// Removes `clone` from `origin/lxc_snapshots`.
pub fn forget_clone(origin: &Path, clone: &Container) {
    lxc_shim::ephemeral::forget_clone(origin, &clone.lxcpath, &clone.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_replaced_only_as_a_whole() {
        assert_eq!(replace_dir("/l/a/fstab", "/l/a", "/m/b"), "/m/b/fstab");
        assert_eq!(replace_dir("/l/ab/x", "/l/a", "/m/b"), "/l/ab/x");
        assert_eq!(
            replace_dir("/l/a dev none bind", "/l/a", "/m/b"),
            "/m/b dev none bind"
        );
    }

    #[test]
    fn macs_are_lxc_ones() {
        let m = random_mac().unwrap_or_default();
        assert!(m.starts_with("00:16:3e:") && m.len() == 17, "{m}");
    }
}
