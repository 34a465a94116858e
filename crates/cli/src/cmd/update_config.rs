//! `lxc-update-config -c FILE`: rewrites a config of 2008 or LXC 2 keys in today's, in place
//! (lxc-update-config(1)): FILE's old text is kept as `FILE.backup` first, as LXC's does. Only
//! keys change; comments, blank lines, values and order stay (`lxc_config::update_text`).
//! A config that does not parse is left untouched, and no backup is made.
use crate::CliError;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

crate::command!(
    none_user,
    /// Rewrite a legacy (pre LXC 2.1) container configuration in today's keys, in place.
    pub struct Args {
        /// the configuration file to update (its old text is kept as FILE.backup)
        #[argh(option, short = 'c')]
        config: PathBuf,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let path = &args.config;
    let failed = |e: lxc_config::ConfigError| CliError::failed(e.to_string());
    // Everything is checked before anything is written.
    let text = lxc_config::read_file(path).map_err(failed)?;
    let updated = lxc_config::update_text(&text, path).map_err(failed)?;
    let mode = fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .map_err(|e| write_error(path, &e))?;
    let mut backup = path.clone().into_os_string();
    backup.push(".backup");
    write_atomically(Path::new(&backup), &text, mode)?;
    if updated != text {
        write_atomically(path, &updated, mode)?;
        log::info!("updated {}", path.display());
    }
    Ok(0)
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`: a reader sees
/// the old text or the new one, never half a file.
fn write_atomically(path: &Path, text: &str, mode: u32) -> Result<(), CliError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.set_permissions(fs::Permissions::from_mode(mode))?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })
        .and_then(|_| fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        write_error(path, &e)
    })
}

fn write_error(path: &Path, e: &std::io::Error) -> CliError {
    CliError::failed(format!(
        "write {}: {}",
        path.display(),
        lxc_proto::strerror(e)
    ))
}
