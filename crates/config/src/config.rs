//! What a parsed `Config` does: take one more `KEY=VALUE`, write itself back as config text,
//! say whether everything it asks for is built, and list its mounts. Kept apart from the data
//! (`model.rs`) because these go through the parser and the key table, which build on it.

use crate::error::ConfigError;
use crate::model::Config;
use crate::mount::{self, MountEntry};
use crate::table::Table;
use crate::{parse, read, write};

impl Config {
    /// Applies one `KEY=VALUE` on top, as `lxc-execute -s` does; `line` is the 1-based
    /// position of the option. `lxc.network.*` keys continue the last 2008 interface of the
    /// file; a relative path (fstab, include) is relative to the current directory. On error
    /// the config is left unchanged.
    pub fn set(&mut self, key_value: &str, source: &str, line: usize) -> Result<(), ConfigError> {
        parse::set(self, key_value, source, line)
    }

    /// The settings as config text in modern keys; `parse_str` reads it back to equal
    /// settings (origins aside: they name the new text).
    pub fn to_config_string(&self) -> String {
        write::write_settings(&self.settings)
    }

    /// The first entry whose key (or, for a few keys, value) is known but not built yet, as
    /// `FILE:LINE: KEY: not supported yet`. An empty value is always fine: it asks for the
    /// default, which is what runs.
    pub fn check_supported(&self) -> Result<(), ConfigError> {
        let table = Table::new();
        for entry in &self.entries {
            if !table.implemented(&entry.key, &entry.value) {
                return Err(ConfigError::new(
                    &entry.source,
                    entry.line,
                    Some(&entry.key),
                    "not supported yet",
                ));
            }
        }
        Ok(())
    }

    /// The mounts to make: the fstab's entries (the file is read now, through the bounded
    /// reader), then the `lxc.mount.entry` ones, in order. A file that cannot be read is
    /// reported at the line that named it; a bad fstab line names the fstab and its line.
    pub fn mounts(&self) -> Result<Vec<MountEntry>, ConfigError> {
        let mut mounts = Vec::new();
        if let Some(fstab) = &self.settings.fstab {
            let text = read::read_file(&fstab.path).map_err(|err| {
                if err.line > 0 {
                    return err; // a NUL byte or bad UTF-8: the fstab's own line says where
                }
                let at = &fstab.origin;
                ConfigError::new(
                    &at.source,
                    at.line,
                    Some("lxc.mount.fstab"),
                    err.to_string(),
                )
            })?;
            mounts = mount::parse_fstab(&text, &fstab.path.display().to_string())?;
        }
        mounts.extend(self.settings.mount_entries.iter().cloned());
        Ok(mounts)
    }
}
