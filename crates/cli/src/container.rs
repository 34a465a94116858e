//! Finding a container: its stored config under the lxcpath and its shim through the run
//! directory. A run directory whose lock nobody holds belongs to a dead shim: whoever finds it
//! removes it (and the cgroups it records) and reports the container STOPPED.
use crate::CliError;
use lxc_proto::paths::{self, RunRoot};
use lxc_proto::{Client, ClientError, State};
use lxc_shim::rundir::RunDir;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

/// How long a command waits for a shim's answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A container as the commands see it.
pub struct Container {
    pub name: String,
    pub lxcpath: PathBuf,
    pub run_root: RunRoot,
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
        paths::validate_name(name).map_err(|m| CliError {
            names_container: true,
            ..CliError::usage(m)
        })?;
        let lxcpath = lxcpath_or_default(lxcpath)?;
        let run_root = run_root_of(&lxcpath)?;
        Ok(Container {
            name: name.to_string(),
            lxcpath,
            rundir: RunDir::new(&run_root, name),
            run_root,
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

    /// Whether LXC 5 runs a container of this lxcpath and name: its monitor listens on the
    /// abstract socket `@LXCPATH/NAME/command` while the container runs. Such a container is
    /// never started, stopped or destroyed by us. The listener must be root's (or ours): anyone
    /// may bind an abstract name, and a planted one must not make a container untouchable. One
    /// connect per spelling of the lxcpath (as written, and without a trailing slash): no scan
    /// of the host's sockets.
    pub fn runs_under_lxc(&self) -> bool {
        lxc_socket_names(&self.lxcpath, &self.name)
            .iter()
            .any(|n| lxc_listener_is_privileged(n))
    }

    /// The refusal for a container LXC 5 runs.
    pub fn under_lxc_error(&self, what: &str) -> CliError {
        CliError {
            names_container: true,
            ..CliError::failed(format!(
                "{} runs under LXC 5 (its command socket @{}/{}/command): {what}; use LXC's own tools for it",
                self.name,
                self.lxcpath.display(),
                self.name
            ))
        }
    }

    /// Connects to the shim, or finds out that there is none (cleaning up after a dead one).
    pub fn status(&self) -> Result<Status, CliError> {
        match Client::connect(&self.rundir.socket(), TIMEOUT) {
            Ok(c) => return Ok(Status::Running(c)),
            Err(ClientError::Connect(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(CliError::failed(
                    "connect to its shim: permission denied (another user's container)",
                ))
            }
            // No shim, or one that went away as we came: the lock tells.
            Err(ClientError::Connect(_)) | Err(ClientError::Closed) => {}
            Err(e) => return Err(rpc_error(e)),
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
                "lock {}: {}",
                self.rundir.path().display(),
                lxc_proto::strerror(&e)
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
            Status::Running(mut c) => match c.state() {
                Ok(s) => Ok(Some(s)),
                // The shim ended between the connect and the question (or was killed, which
                // kills its container): look again, which cleans up after a dead one.
                Err(ClientError::Closed) => match self.status()? {
                    Status::Running(mut c) => c.state().map(Some).map_err(rpc_error),
                    Status::Starting => Ok(Some(State::Starting)),
                    Status::Stopped if self.is_created() => Ok(Some(State::Stopped)),
                    Status::Stopped => Ok(None),
                },
                Err(e) => Err(rpc_error(e)),
            },
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

/// The abstract names (without the leading `@`) LXC's command socket of `lxcpath`/`name` may
/// have: the lxcpath as written, and without a trailing slash.
fn lxc_socket_names(lxcpath: &std::path::Path, name: &str) -> Vec<String> {
    let given = lxcpath.to_string_lossy();
    let trimmed = given.trim_end_matches('/');
    let mut names = vec![format!("{trimmed}/{name}/command")];
    if given != trimmed {
        names.push(format!("{given}/{name}/command"));
    }
    names
}

/// Whether the process listening on the abstract socket `name` is root (or this user): its
/// credentials, as the kernel gives them to a connection. The connect does not wait: a
/// listener that never accepts (its backlog full) is no LXC monitor, and must not hang us.
fn lxc_listener_is_privileged(name: &str) -> bool {
    use nix::sys::socket::{
        connect, getsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, UnixAddr,
    };
    let Ok(addr) = UnixAddr::new_abstract(name.as_bytes()) else {
        return false;
    };
    let Ok(fd) = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    ) else {
        return false;
    };
    if connect(fd.as_raw_fd(), &addr).is_err() {
        return false;
    }
    match getsockopt(&fd, sockopt::PeerCredentials) {
        Ok(cred) => cred.uid() == 0 || cred.uid() == nix::unistd::geteuid().as_raw(),
        Err(_) => false,
    }
}

/// A failed call, as one line (after the `lxc-CMD: NAME: ` prefix): `NAME: runs an older
/// shim (protocol 1); restart it to use X` for a method the shim is too old for.
pub fn rpc_error(e: ClientError) -> CliError {
    CliError::failed(e.to_string())
}

/// Names with a run directory (running, starting, or left by a dead shim).
pub fn run_dir_names(root: &RunRoot) -> Vec<String> {
    names_in(root.path(), paths::LOCK)
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
        .filter(|n| paths::validate_name(n).is_ok() && dir.join(n).join(marker).is_file())
        .collect();
    names.sort();
    names
}

/// `-P`, or the default lxcpath (`lxc.lxcpath` of the system config, else /var/lib/lxc).
/// Fails on a malformed system config, which is read either way (see `run_root_of`).
pub fn lxcpath_or_default(p: Option<&PathBuf>) -> Result<PathBuf, CliError> {
    let system = crate::sysconf::get()?;
    Ok(p.cloned().unwrap_or_else(|| system.lxcpath()))
}

/// The run root of the containers of `lxcpath` (docs: "Where state lives"): those of the
/// default lxcpath, as the system config says it, have `/var/run/lxc/NAME`.
pub fn run_root_of(lxcpath: &std::path::Path) -> Result<RunRoot, CliError> {
    let default = crate::sysconf::get()?.lxcpath();
    if crate::unpriv::is_user() {
        let base = crate::unpriv::run_base();
        return Ok(RunRoot::for_lxcpath_under(&base, lxcpath, &default));
    }
    Ok(RunRoot::for_lxcpath(lxcpath, &default))
}

/// Under the container's lock, with no shim alive: removes what a dead shim left (see
/// `RunDir::clean_stale`): its network goes back, its cgroups are thawed, emptied and removed,
/// its socket and record go. The lock file and directory stay.
pub fn clean_dead_shim(rundir: &RunDir) -> Result<(), CliError> {
    rundir
        .clean_stale()
        .map_err(|e| CliError::failed(format!("clean up after its dead shim: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lxc_command_socket_names() {
        let lxc = std::path::Path::new("/var/lib/lxc");
        assert_eq!(lxc_socket_names(lxc, "web"), ["/var/lib/lxc/web/command"]);
        let slash = std::path::Path::new("/var/lib/lxc/");
        assert_eq!(
            lxc_socket_names(slash, "web"),
            ["/var/lib/lxc/web/command", "/var/lib/lxc//web/command"]
        );
    }
}
