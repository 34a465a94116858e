//! Resolving and creating inside a root as if it were `/`: `openat2(RESOLVE_IN_ROOT)` from a
//! descriptor of the root, and mkdirat/openat in directories resolved that way, so that no
//! symlink, even one swapped meanwhile, leads out of it.
use super::error::{step, StepError};
use nix::errno::Errno;
use nix::fcntl::{openat, openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{mkdirat, Mode};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The root every target is resolved in: the rootfs, or the host's `/`.
pub(super) struct Root {
    pub(super) path: PathBuf,
    pub(super) fd: OwnedFd,
}

/// A resolved target: its descriptor (O_PATH) and how to name it in messages.
pub(super) struct Target {
    pub(super) fd: OwnedFd,
    pub(super) shown: PathBuf,
}

impl Target {
    /// The path mount(2) follows to the resolved object.
    pub(super) fn proc_path(&self) -> String {
        format!("/proc/self/fd/{}", self.fd.as_raw_fd())
    }
}

fn in_root() -> OpenHow {
    OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS)
}

impl Root {
    pub(super) fn open(path: &Path) -> Result<Root, StepError> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(step(|| format!("open the root {}", path.display())))?;
        Ok(Root {
            path: path.to_path_buf(),
            fd,
        })
    }

    /// `rel` as a user reads it: below the root's path.
    pub(super) fn show(&self, rel: &str) -> PathBuf {
        self.path.join(rel.trim_start_matches('/'))
    }

    /// Resolves `rel` inside the root (as if the root were `/`).
    pub(super) fn resolve(&self, rel: &str) -> Result<Target, StepError> {
        let clean = rel.trim_start_matches('/');
        let path = if clean.is_empty() { "." } else { clean };
        let fd = openat2(self.fd.as_fd(), path, in_root()).map_err(step(|| {
            format!("mount target {}", self.show(rel).display())
        }))?;
        Ok(Target {
            fd,
            shown: self.show(rel),
        })
    }

    /// Makes directory `rel` and its missing parents inside the root, like `mkdir -p` in a
    /// chroot: each missing component is made with mkdirat in its parent as resolved inside
    /// the root, so a symlink can redirect a component only to another place inside it.
    pub(super) fn make_dirs(&self, rel: &str) -> Result<(), StepError> {
        let what = || format!("create {}", self.show(rel).display());
        let mut parent = self.resolve("/")?.fd;
        let mut so_far = String::new();
        for comp in rel.split('/').filter(|c| !c.is_empty() && *c != ".") {
            so_far.push('/');
            so_far.push_str(comp);
            let dir_how = in_root().flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC);
            parent = match openat2(self.fd.as_fd(), so_far.as_str(), dir_how) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => {
                    match mkdirat(parent.as_fd(), comp, Mode::from_bits_truncate(0o755)) {
                        // EEXIST with ENOENT above: a dangling symlink. Creating its target
                        // would mean following it by hand; refuse instead.
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err((what(), e)),
                    }
                    openat2(self.fd.as_fd(), so_far.as_str(), dir_how).map_err(step(what))?
                }
                Err(e) => return Err((what(), e)),
            };
        }
        Ok(())
    }

    /// Makes an empty file `rel` (and its directory) inside the root unless something is
    /// there already; never through a dangling symlink.
    pub(super) fn make_file(&self, rel: &str) -> Result<(), StepError> {
        let clean = rel.trim_start_matches('/');
        if self.resolve(clean).is_ok() {
            return Ok(());
        }
        let (dir, name) = clean.rsplit_once('/').unwrap_or(("", clean));
        self.make_dirs(dir)?;
        // An O_PATH descriptor serves as the base of an *at call (openat(2)).
        let parent = self.resolve(dir)?;
        let flags =
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        openat(
            parent.fd.as_fd(),
            name,
            flags,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
        .map_err(step(|| format!("create {}", self.show(rel).display())))
    }
}
