//! A regular user's places, as LXC keeps them for unprivileged containers: the system config
//! in `~/.config/lxc` (`$XDG_CONFIG_HOME/lxc`), containers in `~/.local/share/lxc`
//! (`$XDG_DATA_HOME/lxc`), run directories below `$XDG_RUNTIME_DIR/lxc` (else
//! `~/.cache/lxc/run`). Root keeps `/etc/lxc`, `/var/lib/lxc` and `/var/run/lxc`.
use std::path::PathBuf;

/// Whether the commands run for a regular user (not root).
pub fn is_user() -> bool {
    !nix::unistd::geteuid().is_root()
}

/// The user's home: `$HOME`, else /etc/passwd's (see `lxc_shim::subid` for why not getpwuid).
fn home() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h),
        _ => lxc_shim::subid::passwd_entry(nix::unistd::geteuid().as_raw())
            .map(|(_, home)| home)
            .unwrap_or_else(|| PathBuf::from("/")),
    }
}

/// `$VAR` when set to an absolute path, else `~/rel`.
fn xdg(var: &str, rel: &str) -> PathBuf {
    match std::env::var_os(var).map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => home().join(rel),
    }
}

/// The user's system config directory.
pub fn config_dir() -> PathBuf {
    xdg("XDG_CONFIG_HOME", ".config").join("lxc")
}

/// The user's default lxcpath.
pub fn default_lxcpath() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share").join("lxc")
}

/// Where the user's run roots are.
pub fn run_base() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p.join("lxc"),
        _ => home().join(".cache/lxc/run"),
    }
}
