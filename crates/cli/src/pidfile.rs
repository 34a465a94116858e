//! `lxc-start -p FILE`: the shim's pid, written once the container is RUNNING, replacing FILE
//! whole. The shim is what LXC's `-p` names: its monitor process, which passes signals on to
//! the container's pid 1.
use crate::container::{Container, Status};
use crate::CliError;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes the shim's pid (the container's monitor, whose pid LXC's `-p` writes) to `path`,
/// replacing it whole (a temporary file renamed over it). A container that has already ended
/// gets none. When the file cannot be written the container is stopped: a start asked to
/// leave a pid file must not leave a container nobody can find by it.
pub fn write(ct: &Container, path: &Path) -> Result<(), CliError> {
    let Status::Running(mut client) = ct.status()? else {
        return Ok(());
    };
    let shim_pid = match client.info() {
        Ok(info) => info.shim_pid,
        Err(lxc_proto::ClientError::Closed) => return Ok(()),
        Err(e) => return Err(crate::container::rpc_error(e)),
    };
    let name = path
        .file_name()
        .map_or_else(|| "pidfile".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| writeln!(f, "{shim_pid}"))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        let kill = lxc_proto::request::StopParams {
            kill: true,
            timeout: None,
            nokill: false,
        };
        let _ = client.stop(kill, client.default_deadline());
        return Err(CliError::failed(format!(
            "write pid file {}: {}; the container was stopped",
            path.display(),
            lxc_proto::strerror(&e)
        )));
    }
    Ok(())
}
