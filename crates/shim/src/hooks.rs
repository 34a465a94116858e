//! Container hooks (`lxc.hook.*`), run as LXC runs them (lxc.container.conf(5), "Container
//! hooks"): each value is a shell command line, run with `/bin/sh -c`, given the container's
//! name, the section `lxc` and the hook type as arguments (`lxc.hook.version = 0`, the
//! default) or only as environment variables (`1`), and LXC's `LXC_*` variables.
//!
//! Where they run: on the host, by the shim: the first start's `pre-start` waited for before
//! the loop runs (as LXC's monitor waits), `start-host`, `stop`, `post-stop` and a reboot's
//! `pre-start` as children the loop reaps while it goes on answering; in the init, in the
//! container's mount namespace: `pre-mount`, `mount`, `autodev` (before pivot_root) and `start`
//! (inside the container right before COMMAND). A failing hook before COMMAND runs aborts the start (exit 125,
//! naming the hook); a failing `stop` or `post-stop` hook is logged.
//!
//! A hook's standard output and error go to an anonymous memory file, read once it has
//! exited: no pipe can fill up, and a daemon it leaves behind holding its output open delays
//! nothing. The output is logged; the last line of it explains a failure.
use crate::spec::LaunchSpec;
use crate::sys;
use lxc_config::{Hook, HookKind};
use lxc_proto::ExitStatus;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

/// At most this much of a hook's output is read (its end).
const MAX_OUTPUT: u64 = 64 * 1024;
/// At most this many lines of it are logged.
const MAX_LINES: usize = 100;

/// A container's hooks and what each is told.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    hooks: Vec<Hook>,
    /// `lxc.hook.version`: 0 passes name, section and type as arguments; 1 does not.
    version: u8,
    name: String,
    /// The `LXC_*` variables every hook gets.
    env: Vec<(&'static str, String)>,
}

impl Hooks {
    /// The hooks of `spec`'s config.
    pub fn of(spec: &LaunchSpec) -> Hooks {
        Hooks::new(&spec.name, &spec.config, spec.config_file.as_deref())
    }

    /// The hooks of container `name` with `config`, read from `config_file`.
    pub fn new(
        name: &str,
        config: &lxc_config::Config,
        config_file: Option<&std::path::Path>,
    ) -> Hooks {
        let s = &config.settings;
        let version = s
            .other
            .iter()
            .rev()
            .find(|r| r.key == "lxc.hook.version")
            .map_or(0, |r| u8::from(matches!(r.value.as_str(), "1" | "true")));
        let rootfs = s.rootfs.clone().unwrap_or_default();
        let env = vec![
            ("LXC_NAME", name.to_string()),
            (
                "LXC_CONFIG_FILE",
                config_file
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("LXC_ROOTFS_PATH", rootfs.clone()),
            // The rootfs is bound onto itself in the container's mount namespace.
            (
                "LXC_ROOTFS_MOUNT",
                if rootfs.is_empty() {
                    "/".into()
                } else {
                    rootfs
                },
            ),
            ("LXC_CGNS_AWARE", "1".into()),
            (
                "LXC_LOG_LEVEL",
                s.log.level.map_or("ERROR", |l| l.as_str()).into(),
            ),
            ("LXC_HOOK_VERSION", version.to_string()),
            ("LXC_HOOK_SECTION", "lxc".into()),
        ];
        Hooks {
            hooks: s.hooks.clone(),
            version,
            name: name.to_string(),
            env,
        }
    }

    /// Whether any hook of `kind` is set.
    pub fn has(&self, kind: HookKind) -> bool {
        self.hooks.iter().any(|h| h.kind == kind)
    }

    /// The hooks of `kind`, in config order.
    pub fn of_kind(&self, kind: HookKind) -> Vec<Hook> {
        self.hooks
            .iter()
            .filter(|h| h.kind == kind)
            .cloned()
            .collect()
    }

    /// Runs every hook of `kind` in order, each waited for; the first that fails ends the run.
    /// `log` gets each line of output. The caller must be the only one reaping (the shim
    /// before or outside its loop's reaper, the init before COMMAND).
    pub fn run_now(
        &self,
        kind: HookKind,
        extra: &Extra,
        log: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        for hook in self.of_kind(kind) {
            let run = self.spawn(&hook, extra)?;
            let status = wait_for(run.pid)?;
            let (lines, result) = run.finish(status);
            lines.into_iter().for_each(&mut *log);
            result?;
        }
        Ok(())
    }

    /// Starts `hook`, not waited for; the caller reaps it and calls [`Running::finish`].
    pub fn spawn(&self, hook: &Hook, extra: &Extra) -> Result<Running, String> {
        let label = format!(
            "lxc.hook.{} \"{}\"",
            hook.kind.as_str(),
            lxc_proto::shorten(&hook.command, 200)
        );
        let out = output_file().map_err(|e| format!("{label}: output file: {e}"))?;
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c");
        if self.version == 0 {
            // `sh -c 'COMMAND "$@"' sh NAME lxc TYPE EXTRA...`: the hook's words, then LXC's
            // arguments, each one word whatever it holds.
            cmd.arg(format!("{} \"$@\"", hook.command))
                .arg("sh")
                .arg(&self.name)
                .arg("lxc")
                .arg(hook.kind.as_str())
                .args(&extra.args);
        } else {
            cmd.arg(&hook.command);
        }
        if let Some(env) = &extra.clear_env_to {
            cmd.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        }
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v)))
            .env("LXC_HOOK_TYPE", hook.kind.as_str())
            .envs(extra.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().map_err(|e| {
                format!("{label}: output file: {}", lxc_proto::strerror(&e))
            })?))
            .stderr(Stdio::from(OwnedFd::from(out.try_clone().map_err(
                |e| format!("{label}: output file: {}", lxc_proto::strerror(&e)),
            )?)));
        sys::close_fds_on_exec(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("{label}: run /bin/sh: {}", lxc_proto::strerror(&e)))?;
        let pid = Pid::from_raw(child.id() as i32);
        // Reaped by pid by whoever runs it, never through `Child`.
        drop(child);
        Ok(Running {
            pid,
            kind: hook.kind,
            out,
            label,
        })
    }
}

/// What a particular run adds.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Arguments after the type (version 0).
    pub args: Vec<String>,
    /// More variables.
    pub env: Vec<(String, String)>,
    /// Inside the container: start from COMMAND's environment, not the shim's.
    pub clear_env_to: Option<Vec<(String, String)>>,
}

/// A hook that was started.
#[derive(Debug)]
pub struct Running {
    pub pid: Pid,
    pub kind: HookKind,
    out: File,
    label: String,
}

impl Running {
    /// The hook has exited with `status`: its output lines (prefixed with its type) and
    /// whether it succeeded.
    pub fn finish(mut self, status: ExitStatus) -> (Vec<String>, Result<(), String>) {
        let text = read_tail(&mut self.out);
        let kind = self
            .label
            .split_whitespace()
            .next()
            .unwrap_or("lxc.hook")
            .to_string();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| lxc_proto::printable(&lxc_proto::shorten(l, 500)))
            .collect();
        let logged = lines
            .iter()
            .rev()
            .take(MAX_LINES)
            .rev()
            .map(|l| format!("{kind}: {l}"))
            .collect();
        let result = match status {
            ExitStatus::Exited { code: 0 } => Ok(()),
            other => {
                let why = other.to_string();
                Err(match lines.last() {
                    Some(last) => format!("{} failed: {why}: {last}", self.label),
                    None => format!("{} failed: {why}", self.label),
                })
            }
        };
        (logged, result)
    }
}

/// Waits for one child by pid.
fn wait_for(pid: Pid) -> Result<ExitStatus, String> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(ExitStatus::exited(code)),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(ExitStatus::signaled(sig as i32)),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(format!("wait for a hook: {}", e.desc())),
        }
    }
}

/// An anonymous file in memory for a hook's output.
fn output_file() -> Result<File, String> {
    nix::sys::memfd::memfd_create(c"lxc-hook", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
        .map(File::from)
        .map_err(|e| e.desc().to_string())
}

fn read_tail(f: &mut File) -> String {
    let len = f.seek(SeekFrom::End(0)).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(MAX_OUTPUT)));
    let mut buf = Vec::new();
    let _ = f.take(MAX_OUTPUT).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `name:/proc/SHIM/fd/N` for a stop hook: the container's namespaces, kept open by the shim.
pub fn namespace_args(kept: &[(&'static str, File)]) -> (Vec<String>, Vec<(String, String)>) {
    use std::os::fd::AsRawFd;
    let me = std::process::id();
    let mut args = Vec::new();
    let mut env = Vec::new();
    for (ns, f) in kept {
        let path = format!("/proc/{me}/fd/{}", f.as_raw_fd());
        args.push(format!("{ns}:{path}"));
        env.push((format!("LXC_{}_NS", ns.to_uppercase()), path));
    }
    (args, env)
}

/// The namespaces of its own `init` has (those it shares with the shim are the host's),
/// opened now, while it lives, for a stop hook.
pub fn keep_namespaces(init: Pid) -> Vec<(&'static str, File)> {
    use std::os::unix::fs::MetadataExt;
    // A word list, not an array of strings (no relocations: docs/CONVENTIONS.md).
    "mnt pid uts ipc net user cgroup"
        .split(' ')
        .filter_map(|ns| {
            let f = File::open(format!("/proc/{init}/ns/{ns}")).ok()?;
            let theirs = f.metadata().ok()?;
            let ours = std::fs::metadata(format!("/proc/self/ns/{ns}")).ok()?;
            (theirs.ino() != ours.ino() || theirs.dev() != ours.dev()).then_some((ns, f))
        })
        .collect()
}

/// `lxc-destroy`: the container's `destroy` hooks, on the host, waited for, before its files
/// go. Their output is logged.
pub fn run_destroy_hooks(
    name: &str,
    config: &lxc_config::Config,
    config_file: &std::path::Path,
) -> Result<(), String> {
    Hooks::new(name, config, Some(config_file)).run_now(
        HookKind::Destroy,
        &Extra::default(),
        &mut |l| log::info!("{l}"),
    )
}
