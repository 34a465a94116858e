//! Networking through the `lxc-netsetup` helper (next to lxc-execute), run as a child of the
//! shim while its event loop runs: the helper's exit comes through the child table and its
//! output through the loop, so the shim keeps answering clients meanwhile. With a physical
//! interface inside, the container's network namespace is bind-mounted in the run directory
//! first, so that the interface outlives the container's processes (even a killed shim's) and
//! can be given back. The commands use [`tear_down_now`] after a dead shim.
use crate::children::Job;
use crate::sources::{Source, Sources};
use lxc_proto::net::{SetupResult, TeardownRequest, HELPER};
use lxc_proto::ExitStatus;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::Pid;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The most output kept from a helper.
const MAX_OUTPUT: usize = 1 << 20;

/// Where `scripts/install.sh` puts internal helpers, relative to the commands' directory
/// (`PREFIX/bin/../libexec/lxc-rs`): out of PATH.
pub const LIBEXEC: &str = "../libexec/lxc-rs";

/// The helper's path: next to the running executable (a build tree), else in the installed
/// libexec directory.
fn helper() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("find own executable: {}", lxc_proto::strerror(&e)))?;
    let beside = exe.with_file_name(HELPER);
    let installed = exe
        .parent()
        .map(|d| d.join(LIBEXEC).join(HELPER))
        .unwrap_or_default();
    if beside.is_file() {
        return Ok(beside);
    }
    if installed.is_file() {
        return Ok(installed);
    }
    Err(format!(
        "{} is missing (nor is it in {})",
        beside.display(),
        installed.display()
    ))
}

/// A helper that runs while the loop does.
pub struct HelperRun {
    pub job: Job,
    out: Vec<u8>,
    err: Vec<u8>,
    pipes: Vec<(Token, OwnedFd)>,
    status: Option<ExitStatus>,
}

impl HelperRun {
    /// Starts the helper with `args` and `input` on its stdin; its output is read through the
    /// loop. The caller registers the returned pid in the child table at once.
    pub fn spawn(
        job: Job,
        args: &[String],
        input: &[u8],
        registry: &Registry,
        sources: &mut Sources,
    ) -> Result<(Pid, HelperRun), String> {
        let mut child = spawn_helper(args)?;
        let pid = Pid::from_raw(child.id() as i32);
        let mut run = HelperRun {
            job,
            out: Vec::new(),
            err: Vec::new(),
            pipes: Vec::new(),
            status: None,
        };
        // The helper reads all of its input before it writes anything: this cannot block
        // for long, and nothing else is waited for meanwhile.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input);
        }
        let pipes: [(Option<OwnedFd>, bool); 2] = [
            (child.stdout.take().map(OwnedFd::from), false),
            (child.stderr.take().map(OwnedFd::from), true),
        ];
        for (fd, stderr) in pipes {
            let Some(fd) = fd else { continue };
            let token = sources.add(Source::HelperOutput { pid, stderr });
            let registered = nix::fcntl::fcntl(
                &fd,
                nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
            )
            .map_err(io::Error::from)
            .and_then(|_| {
                registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)
            });
            if let Err(e) = registered {
                sources.remove(token);
                log::error!("watch {HELPER}'s output: {e}");
                continue;
            }
            run.pipes.push((token, fd));
        }
        // No wait: the shim's reaper collects the helper (by pid, from the child table).
        drop(child);
        Ok((pid, run))
    }

    /// Reads one of its pipes; closes it at end of file. Not inlined into the loop's dispatch:
    /// its buffer would then take stack on every event.
    #[inline(never)]
    pub fn on_output(&mut self, token: Token, registry: &Registry, sources: &mut Sources) {
        let Some(i) = self.pipes.iter().position(|(t, _)| *t == token) else {
            return;
        };
        let stderr = matches!(
            sources.get(token),
            Some(Source::HelperOutput { stderr: true, .. })
        );
        let mut chunk = [0u8; 2048];
        let done = loop {
            let fd = &self.pipes[i].1;
            match nix::unistd::read(fd, &mut chunk) {
                Ok(0) => break true,
                Ok(n) => {
                    let buf = if stderr { &mut self.err } else { &mut self.out };
                    if buf.len() < MAX_OUTPUT {
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
                Err(nix::errno::Errno::EAGAIN) => break false,
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => break true,
            }
        };
        if done {
            let (token, fd) = self.pipes.remove(i);
            let _ = registry.deregister(&mut SourceFd(&fd.as_raw_fd()));
            sources.remove(token);
        }
    }

    /// The helper has been reaped.
    pub fn on_exit(&mut self, status: ExitStatus) {
        self.status = Some(status);
    }

    /// Whether it has ended and its output is all read.
    pub fn is_done(&self) -> bool {
        self.status.is_some() && self.pipes.is_empty()
    }

    /// Its output on success, else the first line of its error output.
    pub fn result(&self) -> Result<&[u8], String> {
        match self.status {
            Some(ExitStatus::Exited { code: 0 }) => Ok(&self.out),
            _ => Err(first_line(&self.err)),
        }
    }
}

fn first_line(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        format!("{HELPER} failed")
    } else {
        lxc_proto::shorten(line, 300)
    }
}

/// Keeps the network namespace of `init` at `file` (for physical interfaces).
pub fn keep_netns(init: Pid, file: &Path) -> Result<(), String> {
    std::fs::File::create(file).map_err(|e| format!("create {}: {e}", file.display()))?;
    mount(
        Some(&PathBuf::from(format!("/proc/{init}/ns/net"))),
        file,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| {
        format!(
            "keep the network namespace at {}: {}",
            file.display(),
            e.desc()
        )
    })
}

/// Parses the helper's answer to `setup`.
pub fn parse_setup(out: &[u8]) -> Result<SetupResult, String> {
    serde_json::from_slice(out).map_err(|e| format!("bad answer from {HELPER}: {e}"))
}

/// Releases the kept network namespace.
pub fn release_netns(req: &TeardownRequest) {
    if let Some(file) = &req.netns {
        let _ = umount2(file, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_file(file);
    }
}

/// Gives physical interfaces back and releases the kept namespace, waiting for the helper:
/// for the commands, after a dead shim.
pub fn tear_down_now(req: &TeardownRequest) -> Result<(), String> {
    let mut result = Ok(());
    if !req.phys.is_empty() {
        let input = serde_json::to_vec(req).map_err(|e| e.to_string())?;
        result = run_now(&["teardown".into()], &input).map(drop);
    }
    release_netns(req);
    result
}

/// The helper with `args`, its stdio piped.
fn spawn_helper(args: &[String]) -> Result<std::process::Child, String> {
    Command::new(helper()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run {HELPER}: {}", lxc_proto::strerror(&e)))
}

pub(crate) fn run_now(args: &[String], input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = spawn_helper(args)?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut err);
    }
    let status = child
        .wait()
        .map_err(|e| format!("run {HELPER}: {}", lxc_proto::strerror(&e)))?;
    if status.success() {
        Ok(out)
    } else {
        Err(first_line(&err))
    }
}
