//! Finding a container: its stored config under the lxcpath and its shim through the run
//! directory. A run directory whose lock nobody holds belongs to a dead shim: whoever finds it
//! removes it (and the cgroups it records) and reports the container STOPPED.
use crate::CliError;
use lxc_proto::rundir::{self, RunDir};
use lxc_proto::{Client, ClientError, State};
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

/// How long a command waits for a shim's answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A container as the commands see it.
pub struct Container {
    pub name: String,
    pub lxcpath: PathBuf,
    pub rundir: RunDir,
}

/// What a look at the run directory found.
pub enum Status {
    /// A shim answers on this connection.
    Running(Client),
    /// A shim holds the lock but has no socket yet.
    Starting,
    /// No shim (a stale run directory has been cleaned up).
    Stopped,
}

impl Container {
    /// Validates `name` (before any file is touched) and locates the container.
    pub fn new(name: &str, lxcpath: Option<&PathBuf>) -> Result<Container, CliError> {
        rundir::validate_name(name).map_err(|m| CliError {
            names_container: true,
            ..CliError::usage(m)
        })?;
        let lxcpath = lxcpath
            .cloned()
            .unwrap_or_else(|| PathBuf::from(crate::DEFAULT_LXCPATH));
        Ok(Container {
            name: name.to_string(),
            lxcpath,
            rundir: RunDir::new(name),
        })
    }

    /// `<lxcpath>/NAME`.
    pub fn dir(&self) -> PathBuf {
        self.lxcpath.join(&self.name)
    }

    /// `<lxcpath>/NAME/config`.
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("config")
    }

    /// Whether lxc-create stored it.
    pub fn is_created(&self) -> bool {
        self.config_path().is_file()
    }

    /// Connects to the shim, or finds out that there is none (cleaning up after a dead one).
    pub fn status(&self) -> Result<Status, CliError> {
        match Client::connect(&self.rundir.socket(), TIMEOUT) {
            Ok(c) => return Ok(Status::Running(c)),
            Err(ClientError::Connect(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(CliError::failed(
                    "connect to its shim: permission denied (only root may control containers)",
                ))
            }
            Err(ClientError::Connect(_)) => {}
            Err(e) => return Err(CliError::failed(e.to_string())),
        }
        if !self.rundir.exists() {
            return Ok(Status::Stopped);
        }
        match self.rundir.try_lock() {
            Ok(Some(lock)) => {
                // Nobody holds the lock: the shim is dead. Whatever it left goes now.
                clean_dead_shim(&self.rundir)?;
                self.rundir.remove_files(lock);
                Ok(Status::Stopped)
            }
            Ok(None) => {
                // Someone holds the lock; the socket may have appeared meanwhile.
                match Client::connect(&self.rundir.socket(), TIMEOUT) {
                    Ok(c) => Ok(Status::Running(c)),
                    Err(_) => Ok(Status::Starting),
                }
            }
            Err(e) => Err(CliError::failed(format!(
                "lock {}: {e}",
                self.rundir.path().display()
            ))),
        }
    }

    /// The shim's connection, waiting up to [`TIMEOUT`] for a starting one; "is not running"
    /// when there is none. Unknown containers are reported as such.
    pub fn connect(&self) -> Result<Client, CliError> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.status()? {
                Status::Running(c) => return Ok(c),
                Status::Stopped => return Err(self.not_running()),
                Status::Starting if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(5))
                }
                Status::Starting => {
                    return Err(CliError::failed(format!(
                        "no answer from its shim in {} s",
                        TIMEOUT.as_secs()
                    )))
                }
            }
        }
    }

    /// The current state; `None` when the container neither runs nor was created.
    pub fn state(&self) -> Result<Option<State>, CliError> {
        match self.status()? {
            Status::Running(mut c) => {
                let v = c.call("state", serde_json::json!({})).map_err(rpc_error)?;
                let s = v
                    .get("state")
                    .and_then(|s| s.as_str())
                    .and_then(State::parse);
                s.map(Some)
                    .ok_or_else(|| CliError::failed("bad answer from its shim"))
            }
            Status::Starting => Ok(Some(State::Starting)),
            // The shim may have ended between the two looks.
            Status::Stopped if self.is_created() => Ok(Some(State::Stopped)),
            Status::Stopped => Ok(None),
        }
    }

    /// "NAME doesn't exist" or "NAME is not running".
    pub fn not_running(&self) -> CliError {
        if self.is_created() {
            CliError {
                names_container: true,
                ..CliError::failed(format!("{} is not running", self.name))
            }
        } else {
            self.doesnt_exist()
        }
    }

    /// "NAME doesn't exist".
    pub fn doesnt_exist(&self) -> CliError {
        CliError {
            names_container: true,
            ..CliError::failed(format!("{} doesn't exist", self.name))
        }
    }
}

/// A failed call, as one line.
pub fn rpc_error(e: ClientError) -> CliError {
    CliError::failed(e.to_string())
}

/// Names with a run directory (running, starting, or left by a dead shim).
pub fn run_dir_names() -> Vec<String> {
    names_in(
        std::path::Path::new(lxc_proto::rundir::RUN_ROOT),
        lxc_proto::rundir::LOCK,
    )
}

/// Names stored by lxc-create under `lxcpath`.
pub fn stored_names(lxcpath: &std::path::Path) -> Vec<String> {
    names_in(lxcpath, "config")
}

fn names_in(dir: &std::path::Path, marker: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| rundir::validate_name(n).is_ok() && dir.join(n).join(marker).is_file())
        .collect();
    names.sort();
    names
}

/// `-P`, or the default lxcpath.
pub fn lxcpath_or_default(p: Option<&PathBuf>) -> PathBuf {
    p.cloned()
        .unwrap_or_else(|| PathBuf::from(crate::DEFAULT_LXCPATH))
}

/// Under the container's lock, with no shim alive: removes what a dead shim left. Physical
/// interfaces inside its kept network namespace go back to the host under their names (through
/// the `lxc-netsetup` helper next to this command) and the namespace's bind mount is released,
/// then its cgroups, socket and record go. The lock file and directory stay.
pub fn clean_dead_shim(rundir: &RunDir) -> Result<(), CliError> {
    let failed = |e: String| CliError::failed(format!("clean up after its dead shim: {e}"));
    let record = rundir.read_record().map_err(|e| failed(e.to_string()))?;
    if let Some(net) = record.as_ref().map(|r| &r.net).filter(|n| !n.is_empty()) {
        let mut result = Ok(());
        if !net.phys.is_empty() {
            result = run_net_helper(net);
        }
        if let Some(file) = &net.netns {
            let _ = nix::mount::umount2(file, nix::mount::MntFlags::MNT_DETACH);
            let _ = std::fs::remove_file(file);
        }
        result.map_err(|e| failed(format!("give back its network: {e}")))?;
    }
    rundir
        .clear_stale(record.as_ref())
        .map_err(|e| failed(e.to_string()))
}

fn run_net_helper(net: &lxc_proto::net::TeardownRequest) -> Result<(), String> {
    use std::io::Write;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let helper = exe.with_file_name(lxc_proto::net::HELPER);
    let mut child = std::process::Command::new(&helper)
        .arg("teardown")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("run {}: {e}", helper.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&serde_json::to_vec(net).map_err(|e| e.to_string())?);
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
