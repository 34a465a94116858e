//! The system config every command reads: `lxc.conf` and `default.conf` in `/etc/lxc`, or in
//! the directory `LXC_SYSCONF_DIR` names (a packaging and testing switch: the tests point it
//! at a directory of their own). A missing `lxc.conf` means LXC's defaults; a malformed one
//! fails the command with one line naming the file, the line and the key. Read once per
//! process.
use crate::CliError;
use lxc_config::SystemConfig;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable that replaces `/etc/lxc`.
pub const SYSCONF_DIR_ENV: &str = "LXC_SYSCONF_DIR";
/// LXC's system config directory.
pub const DEFAULT_SYSCONF_DIR: &str = "/etc/lxc";
/// The system config's file name in that directory.
pub const SYSTEM_CONF: &str = "lxc.conf";
/// The default container config's file name there (`lxc.default_config` may name another).
pub const DEFAULT_CONF: &str = "default.conf";

/// The system config as read, with where it came from.
pub struct System {
    pub dir: PathBuf,
    pub config: SystemConfig,
}

impl System {
    /// The value of a key of `lxc_config::SYSTEM_KEYS`, as LXC's `lxc-config` reports it.
    pub fn value(&self, key: &str) -> Option<String> {
        let default_config = self.dir.join(DEFAULT_CONF);
        let lxcpath = default_lxcpath();
        self.config.value(
            key,
            &lxcpath.to_string_lossy(),
            &default_config.to_string_lossy(),
        )
    }

    /// The default lxcpath: `lxc.lxcpath`, else `/var/lib/lxc` (a regular user's:
    /// `~/.local/share/lxc`).
    pub fn lxcpath(&self) -> PathBuf {
        match self.config.get("lxc.lxcpath") {
            Some(p) => PathBuf::from(p),
            None => default_lxcpath(),
        }
    }

    /// The default container config: `lxc.default_config`, else `default.conf` of the
    /// directory.
    pub fn default_config(&self) -> PathBuf {
        match self.config.get("lxc.default_config") {
            Some(path) => PathBuf::from(path),
            None => self.dir.join(DEFAULT_CONF),
        }
    }
}

/// The system config directory: `$LXC_SYSCONF_DIR` when set and not empty, else `/etc/lxc`
/// (a regular user's: `~/.config/lxc`).
pub fn dir() -> PathBuf {
    match std::env::var_os(SYSCONF_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ if crate::unpriv::is_user() => crate::unpriv::config_dir(),
        _ => PathBuf::from(DEFAULT_SYSCONF_DIR),
    }
}

/// The lxcpath when the system config names none.
fn default_lxcpath() -> PathBuf {
    if crate::unpriv::is_user() {
        crate::unpriv::default_lxcpath()
    } else {
        PathBuf::from(crate::DEFAULT_LXCPATH)
    }
}

/// The system config, read at the first call.
pub fn get() -> Result<&'static System, CliError> {
    static SYSTEM: OnceLock<Result<System, String>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| load(&dir()))
        .as_ref()
        .map_err(|e| CliError::failed(e.clone()))
}

/// The default container config for `lxc-create` without `-f`, when that file exists (a
/// missing one leaves the built-in default, as with LXC).
pub fn default_config_file() -> Result<Option<PathBuf>, CliError> {
    let path = get()?.default_config();
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => Ok(Some(path)),
    }
}

fn load(dir: &Path) -> Result<System, String> {
    let path = dir.join(SYSTEM_CONF);
    let config = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SystemConfig::default(),
        _ => {
            let text = lxc_config::read_file(&path).map_err(|e| e.to_string())?;
            SystemConfig::parse(&text, &path.to_string_lossy()).map_err(|e| e.to_string())?
        }
    };
    Ok(System {
        dir: dir.to_path_buf(),
        config,
    })
}
