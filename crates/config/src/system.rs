//! LXC's system config, `lxc.conf` (lxc.system.conf(5)): `key = value` lines naming the
//! default lxcpath, the default container config, and storage and cgroup defaults that only
//! `lxc-config` reports. As LXC: '#' lines and blank lines are skipped, an empty value means
//! the default, and the first line of a key wins. Unlike LXC, a line that is not a known
//! `key = value` is an error naming the file, the line and the key, never skipped silently.

use crate::error::{quoted, ConfigError};
use crate::words;

/// Every key, in `lxc-config -l`'s order (LXC 5's).
pub const SYSTEM_KEYS: &str = "lxc.default_config lxc.lxcpath lxc.bdev.lvm.vg \
    lxc.bdev.lvm.thin_pool lxc.bdev.zfs.root lxc.cgroup.use lxc.cgroup.pattern";

/// Keys LXC reads from `lxc.conf` that `lxc-config` does not list: accepted, not reported.
const UNLISTED_KEYS: &str = "lxc.bdev.rbd.rbdpool";

/// LXC's default for the storage keys (`lxc.bdev.lvm.vg`, `.thin_pool`, `lxc.bdev.zfs.root`).
const BDEV_DEFAULT: &str = "lxc";

/// What one `lxc.conf` says: each key as written there (`None` when the file does not set
/// it), in `SYSTEM_KEYS` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemConfig {
    values: Vec<(String, String)>,
}

impl SystemConfig {
    /// Parses the text of `source` (a path, for errors). `lxc.lxcpath` and
    /// `lxc.default_config` must be absolute paths; `lxc.lxcpath` loses trailing slashes.
    pub fn parse(text: &str, source: &str) -> Result<SystemConfig, ConfigError> {
        let mut config = SystemConfig::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, raw) in text.lines().enumerate() {
            let line = number + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fail =
                |key: Option<&str>, message: String| ConfigError::new(source, line, key, message);
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(fail(
                    None,
                    format!("expected KEY = VALUE, got {}", quoted(trimmed)),
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            if words::contains(UNLISTED_KEYS, key) {
                continue;
            }
            if !words::contains(SYSTEM_KEYS, key) {
                let known = words::iter(SYSTEM_KEYS).collect::<Vec<_>>().join(", ");
                return Err(fail(
                    Some(key),
                    format!("unknown key (lxc.conf knows {known})"),
                ));
            }
            if value.contains(|c: char| c.is_control() && c != '\t') {
                return Err(fail(Some(key), "control character in the value".into()));
            }
            let value = match key {
                "lxc.lxcpath" | "lxc.default_config" if !value.is_empty() => {
                    if !value.starts_with('/') {
                        return Err(fail(
                            Some(key),
                            format!("must be an absolute path, got {}", quoted(value)),
                        ));
                    }
                    let trimmed = value.trim_end_matches('/');
                    if trimmed.is_empty() {
                        "/"
                    } else if key == "lxc.lxcpath" {
                        trimmed
                    } else {
                        value
                    }
                }
                _ => value,
            };
            // The first line of a key wins, as LXC reads it; an empty value is the default.
            if !value.is_empty() && config.get(key).is_none() {
                config.values.push((key.to_owned(), value.to_owned()));
            }
        }
        Ok(config)
    }

    /// The value the file gives `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key` as LXC reports it: the file's, else LXC's default (`lxc.lxcpath` and
    /// `lxc.default_config` have defaults that depend on the system config directory, given
    /// here); `None` for a key with no default (`lxc.cgroup.*`) or not of `SYSTEM_KEYS`.
    pub fn value(&self, key: &str, lxcpath: &str, default_config: &str) -> Option<String> {
        if !words::contains(SYSTEM_KEYS, key) {
            return None;
        }
        if let Some(v) = self.get(key) {
            return Some(v.to_owned());
        }
        match key {
            "lxc.lxcpath" => Some(lxcpath.to_owned()),
            "lxc.default_config" => Some(default_config.to_owned()),
            "lxc.bdev.lvm.vg" | "lxc.bdev.lvm.thin_pool" | "lxc.bdev.zfs.root" => {
                Some(BDEV_DEFAULT.to_owned())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_defaults_and_first_wins() {
        let text = "# site settings\n\n  lxc.lxcpath = /srv/lxc//\nlxc.lxcpath = /other\n\
            lxc.bdev.lvm.vg=vg0\nlxc.bdev.rbd.rbdpool = rbd\nlxc.cgroup.use =\nlxc.cgroup.pattern = lxc/%n\n";
        let c = SystemConfig::parse(text, "/etc/lxc/lxc.conf").unwrap();
        let value = |k| c.value(k, "/var/lib/lxc", "/etc/lxc/default.conf");
        assert_eq!(value("lxc.lxcpath").as_deref(), Some("/srv/lxc"));
        assert_eq!(value("lxc.bdev.lvm.vg").as_deref(), Some("vg0"));
        assert_eq!(value("lxc.bdev.lvm.thin_pool").as_deref(), Some("lxc"));
        assert_eq!(value("lxc.bdev.zfs.root").as_deref(), Some("lxc"));
        assert_eq!(
            value("lxc.default_config").as_deref(),
            Some("/etc/lxc/default.conf")
        );
        assert_eq!(value("lxc.cgroup.use"), None);
        assert_eq!(value("lxc.cgroup.pattern").as_deref(), Some("lxc/%n"));
        assert_eq!(value("lxc.nope"), None);
        assert_eq!(words::iter(SYSTEM_KEYS).count(), 7);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let cases = [
            (
                "lxc.lxcpath = /a\nlxc.lxcpth = /b\n",
                "x.conf:2: lxc.lxcpth: unknown key",
            ),
            (
                "\nnonsense\n",
                "x.conf:2: expected KEY = VALUE, got \"nonsense\"",
            ),
            (
                "lxc.lxcpath = srv\n",
                "x.conf:1: lxc.lxcpath: must be an absolute path, got \"srv\"",
            ),
            (
                "lxc.default_config = a.conf\n",
                "x.conf:1: lxc.default_config: must be an absolute path",
            ),
            ("lxc.utsname = a\n", "x.conf:1: lxc.utsname: unknown key"),
        ];
        for (text, want) in cases {
            let err = SystemConfig::parse(text, "x.conf").unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
