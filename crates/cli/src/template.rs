//! `lxc-create -t TEMPLATE`: LXC's template programs, run as LXC 5 runs them. TEMPLATE is a
//! path (it contains a `/`), else `TEMPLATES_DIR/lxc-TEMPLATE`; it gets `--path=DIR`,
//! `--name=NAME`, `--rootfs=ROOTFS` and then the words after `--`, lxc-create's environment
//! (PATH completed), umask 022 and a private mount namespace (`/` a slave of the host's, so
//! that nothing it mounts outlives it). Its output is passed through; the last line it wrote
//! is kept for the error when it fails.
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where Debian's `lxc-templates` puts the templates.
pub const TEMPLATES_DIR: &str = "/usr/share/lxc/templates";

/// Longest last line quoted in an error.
const QUOTED_LINE: usize = 200;

/// The program TEMPLATE names.
pub fn find(template: &str) -> Result<PathBuf, String> {
    let path = if template.contains('/') {
        PathBuf::from(template)
    } else {
        Path::new(TEMPLATES_DIR).join(format!("lxc-{template}"))
    };
    match std::fs::metadata(&path) {
        Ok(m)
            if m.is_file()
                && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0 =>
        {
            Ok(path)
        }
        Ok(_) => Err(format!(
            "template {}: {} is not an executable file",
            lxc_proto::printable(&lxc_proto::shorten(template, 64)),
            path.display()
        )),
        Err(_) if !template.contains('/') => Err(format!(
            "unknown template {} (no {}; Debian's lxc-templates package installs LXC's)",
            lxc_proto::printable(&lxc_proto::shorten(template, 64)),
            path.display()
        )),
        Err(e) => Err(format!(
            "template {}: {}",
            path.display(),
            lxc_proto::strerror(&e)
        )),
    }
}

/// What one run needs.
pub struct Run<'a> {
    pub program: &'a Path,
    /// `LXCPATH/NAME`.
    pub dir: &'a Path,
    pub name: &'a str,
    pub rootfs: &'a Path,
    /// The words after `--`.
    pub args: &'a [String],
    /// `-q`: the template's output is kept, not shown.
    pub quiet: bool,
    /// How the user named it (`-t`).
    pub label: &'a str,
}

/// The arguments LXC gives a template, in its order.
pub fn arguments(run: &Run) -> Vec<String> {
    let mut argv = vec![
        format!("--path={}", run.dir.display()),
        format!("--name={}", run.name),
        format!("--rootfs={}", run.rootfs.display()),
    ];
    argv.extend(run.args.iter().cloned());
    argv
}

/// Runs the template to its end. An error is one line: how it ended and the last line it
/// wrote (on stderr, else on stdout).
pub fn run(run: &Run) -> Result<(), String> {
    in_private_mounts(|| run_in_namespace(run))
}

/// Runs `f` with this process in a mount namespace of its own whose `/` receives the host's
/// mounts but gives none back, then comes back to the host's: the namespace goes with its last
/// process, and with it whatever was mounted there (a template's /proc in the rootfs, an
/// overlay mounted to run clone hooks), even when `f` failed half-way.
pub fn in_private_mounts<T, E: From<String>>(f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let host = std::fs::File::open("/proc/self/ns/mnt")
        .map_err(|e| format!("open /proc/self/ns/mnt: {}", lxc_proto::strerror(&e)))?;
    private_mounts()?;
    let result = f();
    nix::sched::setns(&host, nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("return to the host's mount namespace: {}", e.desc()))?;
    result
}

fn run_in_namespace(run: &Run) -> Result<(), String> {
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted))
            .map_err(|e| format!("signal handler: {}", lxc_proto::strerror(&e)))?;
    }
    let base = run
        .program
        .file_name()
        .map_or_else(|| "template".into(), |n| n.to_string_lossy().into_owned());
    let mut cmd = Command::new(run.program);
    cmd.arg0(&base)
        .args(arguments(run))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", complete_path(&path));
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let spawned = cmd.spawn();
    nix::sys::stat::umask(old);
    let mut child = spawned.map_err(|e| {
        format!(
            "run template {}: {}",
            run.program.display(),
            lxc_proto::strerror(&e)
        )
    })?;
    log::info!("template {} {:?}", run.program.display(), arguments(run));
    let out = child.stdout.take().map(|s| relay(s, false, run.quiet));
    let err = child.stderr.take().map(|s| relay(s, true, run.quiet));
    let mut forwarded = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                return Err(format!(
                    "wait for the template: {}",
                    lxc_proto::strerror(&e)
                ))
            }
        }
        if interrupted.load(Ordering::Relaxed) && !forwarded {
            // Ctrl-C reaches the template through the terminal; a signal sent to us alone
            // is passed on. Either way we stay to clean up after it.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            forwarded = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out.and_then(|t| t.join().ok()).unwrap_or_default();
    let err = err.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() && !interrupted.load(Ordering::Relaxed) {
        return Ok(());
    }
    let how = if interrupted.load(Ordering::Relaxed) {
        "interrupted".to_string()
    } else {
        ended(status)
    };
    let mut line = format!(
        "template {} failed ({how})",
        lxc_proto::printable(&lxc_proto::shorten(run.label, 64))
    );
    // An error line (LXC's templates write `ERROR: ...`, some on stdout; debootstrap `E:
    // ...`), else the last line at all; stderr's first.
    let last = (err.error.or(out.error)).or(err.last).or(out.last);
    if let Some(last) = last {
        line.push_str(": ");
        line.push_str(&lxc_proto::printable(&lxc_proto::shorten(
            &last,
            QUOTED_LINE,
        )));
    }
    if base == "lxc-download" {
        line.push_str(" (-t download fetches images from https://images.linuxcontainers.org: it needs the internet)");
    }
    Err(line)
}

/// `exit status N` / `killed by signal N`.
fn ended(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "ended".to_string(),
    }
}

/// The caller's PATH with the system directories templates expect appended when missing.
fn complete_path(path: &str) -> String {
    let mut dirs: Vec<&str> = path.split(':').filter(|d| !d.is_empty()).collect();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs.join(":")
}

/// This process (and so the template) in a mount namespace of its own whose `/` receives the
/// host's mounts but gives none back: what the template mounts (debootstrap's /proc in the
/// rootfs) ends with it, even when it dies half-way.
fn private_mounts() -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("new mount namespace for the template: {}", e.desc()))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("make / a slave mount: {}", e.desc()))
}

/// The last lines a stream of the template wrote.
#[derive(Default)]
struct Last {
    /// The last non-empty line.
    last: Option<String>,
    /// The last that reads as an error (`ERROR`, `Error`, `E: `, `error:`).
    error: Option<String>,
}

/// Copies a pipe of the template to our stdout or stderr (not with `-q`); gives back its last
/// lines.
fn relay(
    mut from: impl Read + Send + 'static,
    to_stderr: bool,
    quiet: bool,
) -> std::thread::JoinHandle<Last> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        // The current line, at most this long: a template that never writes a newline
        // cannot make us hold its whole output.
        let mut line: Vec<u8> = Vec::new();
        let mut last = Last::default();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let Some(chunk) = buf.get(..n) else { break };
            if !quiet {
                let _ = if to_stderr {
                    std::io::stderr().write_all(chunk)
                } else {
                    std::io::stdout().write_all(chunk)
                };
            }
            for &b in chunk {
                if b == b'\n' {
                    keep(&mut last, &line);
                    line.clear();
                } else if line.len() < 4096 {
                    line.push(b);
                }
            }
        }
        keep(&mut last, &line);
        last
    })
}

fn keep(last: &mut Last, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("error") || text.starts_with("E: ") || lower.contains(" error: ") {
        last.error = Some(text.to_string());
    }
    last.last = Some(text.to_string());
}

/// LXC's header, put at the top of the config a template wrote.
pub fn header(program: &Path, args: &[String]) -> String {
    let mut h = format!(
        "# Template used to create this container: {}\n",
        program.display()
    );
    h.push_str("# Parameters passed to the template:");
    for a in args {
        h.push(' ');
        h.push_str(a);
    }
    h.push_str("\n# For additional config options, please look at lxc.container.conf(5)\n\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lxc_arguments_in_lxc_order() {
        let args = vec!["--busybox-path".to_string(), "/bin/busybox".to_string()];
        let run = Run {
            program: Path::new("/usr/share/lxc/templates/lxc-busybox"),
            dir: Path::new("/var/lib/lxc/box"),
            name: "box",
            rootfs: Path::new("/var/lib/lxc/box/rootfs"),
            args: &args,
            quiet: false,
            label: "busybox",
        };
        assert_eq!(
            arguments(&run),
            [
                "--path=/var/lib/lxc/box",
                "--name=box",
                "--rootfs=/var/lib/lxc/box/rootfs",
                "--busybox-path",
                "/bin/busybox"
            ]
        );
    }

    #[test]
    fn path_completed_once() {
        assert_eq!(
            complete_path("/opt/bin:/usr/bin"),
            "/opt/bin:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin"
        );
    }

    #[test]
    fn names_and_paths() {
        assert!(find("no-such-template-x").is_err_and(|e| e.contains("unknown template")));
        assert!(find("/nonexistent/tpl").is_err());
    }
}
