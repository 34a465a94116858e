//! Starting a container, shared by lxc-execute (COMMAND under an init of ours) and lxc-start
//! (COMMAND, /sbin/init by default, as pid 1): the effective config, the mounts it names, the
//! lock, the shim, then the launch channel until RUNNING (`-d`) or until the end.
use crate::container::Container;
use crate::CliError;
use lxc_config::Config;
use lxc_proto::launch::{LaunchEvent, LaunchRequest};
use lxc_shim::{LaunchOptions, LaunchSpec, LaunchStdio};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// Exit code when the container could not be set up.
pub const SETUP_FAILED: i32 = 125;

/// A failure before COMMAND could run: exit 125.
pub fn setup_error(message: impl Into<String>) -> CliError {
    CliError::with_code(SETUP_FAILED, message)
}

/// What to start.
pub struct Launch<'a> {
    pub ct: &'a Container,
    pub rcfile: Option<&'a PathBuf>,
    pub defines: &'a [String],
    pub command: Vec<String>,
    /// lxc-start: COMMAND is pid 1.
    pub system: bool,
    /// Return once RUNNING, COMMAND's stdio on /dev/null.
    pub daemon: bool,
    /// `-l`, if given (it wins over `lxc.log.level`).
    pub loglevel: Option<&'a str>,
    /// lxc-start -p: gets the shim's pid once RUNNING (removed at the end in the foreground).
    pub pidfile: Option<&'a Path>,
    /// lxc-checkpoint -r: restore from this checkpoint directory (COMMAND and `system` are
    /// the dumped container's).
    pub restore: Option<&'a Path>,
}

/// Starts the container; returns the exit code (COMMAND's status, or 0 for `daemon`).
pub fn launch(l: Launch) -> Result<i32, CliError> {
    let ct = l.ct;
    if ct.runs_under_lxc() {
        return Err(CliError {
            code: SETUP_FAILED,
            ..ct.under_lxc_error("not started again")
        });
    }
    let (config, config_file) = load_config(ct, l.rcfile, l.defines)?;
    use_config_log(ct, &config, l.loglevel)?;
    // Keys whose feature is not built yet are refused by name, never ignored.
    config
        .check_supported()
        .map_err(|e| setup_error(e.to_string()))?;
    // No COMMAND: the config's (lxc.execute.cmd; lxc.init.cmd), else /sbin/init for lxc-start.
    let mut needs_rootfs = false;
    let command = if !l.command.is_empty() {
        l.command
    } else {
        let s = &config.settings;
        let (key, configured) = if l.system {
            ("lxc.init.cmd", s.init.cmd.as_deref())
        } else {
            ("lxc.execute.cmd", s.execute_cmd.as_deref())
        };
        match configured {
            Some(line) => split_words(line).filter(|w| !w.is_empty()).ok_or_else(|| {
                setup_error(format!(
                    "{key}: unbalanced quotes in \"{}\"",
                    lxc_proto::shorten(line, 64)
                ))
            })?,
            None if l.system => {
                needs_rootfs = true;
                vec!["/sbin/init".to_string()]
            }
            None => return Err(CliError::usage(
                "no command given and no lxc.execute.cmd (lxc-execute -n NAME -- COMMAND [ARG...])",
            )),
        }
    };
    if needs_rootfs && config.settings.rootfs.is_none() {
        return Err(setup_error(
            "no lxc.rootfs.path: lxc-start boots the rootfs's /sbin/init, never the host's (give a rootfs, or a COMMAND after --)",
        ));
    }
    if let Some(root) = &config.settings.rootfs {
        if !Path::new(root).is_dir() {
            let why = std::fs::metadata(root).err().map_or_else(
                || "not a directory".to_string(),
                |e| e.raw_os_error().map_or(e.to_string(), strerror),
            );
            return Err(setup_error(format!("rootfs {root}: {why}")));
        }
    }
    let mounts = config.mounts().map_err(|e| setup_error(e.to_string()))?;
    log::debug!("config ready");

    let lock = match ct.rundir.try_lock() {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            return Err(CliError {
                names_container: true,
                ..setup_error(format!("{} is already running", ct.name))
            })
        }
        Err(e) => {
            return Err(setup_error(format!(
                "lock {}: {}",
                ct.rundir.path().display(),
                lxc_proto::strerror(&e)
            )))
        }
    };
    // We hold the lock and no shim does: anything in the run directory is a dead shim's.
    crate::container::clean_dead_shim(&ct.rundir).map_err(|e| setup_error(e.message))?;

    let (ours, theirs) = UnixStream::pair().map_err(|e| {
        setup_error(format!(
            "create launch channel: {}",
            lxc_proto::strerror(&e)
        ))
    })?;
    // On the heap: the shim is forked from deep in this stack, and every stack page above
    // the fork stays resident in the shim (and its init) for as long as the container runs.
    let spec = Box::new(LaunchSpec {
        name: ct.name.clone(),
        config,
        config_file,
        pid_file: l
            .pidfile
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
        command,
        mounts,
        system: l.system,
        run_root: ct.run_root.clone(),
        cgroup_prefer: cgroup_prefer()?,
        restore: l.restore.map(Path::to_path_buf),
        tty_stdio: crate::tty::stdio_is_terminal(l.system, l.daemon),
    });
    // A restore follows the restored tty 0 (the console, COMMAND's pty) if it has one.
    let terminal = spec.tty_stdio && !l.daemon && l.restore.is_none_or(has_tty0);
    let opts = LaunchOptions {
        stdio: if l.daemon {
            LaunchStdio::Null
        } else {
            LaunchStdio::Inherit
        },
        keep_fds: crate::logger::fd().into_iter().collect(),
    };
    // The forwarded signals are held from before the fork until their handlers exist: COMMAND
    // may run (and its caller signal us) before this process gets to install them, and one
    // arriving in between would kill us instead of reaching COMMAND. The shim unblocks them.
    let held = forwarded_set();
    let mut old = SigSet::empty();
    if !l.daemon {
        let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&held), Some(&mut old));
    }
    let spawned = lxc_shim::spawn(&spec, theirs, lock, &opts);
    let forwarding = match (&spawned, l.daemon) {
        (Ok(()), false) => forward_signals(&ours),
        _ => Ok(()),
    };
    if !l.daemon {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    }
    spawned.map_err(|e| setup_error(format!("fork the shim: {}", lxc_proto::strerror(&e))))?;
    forwarding?;
    log::debug!("shim forked");
    let oom_line = format!(
        "{}: {}: {} was killed by the OOM killer",
        if l.system { "lxc-start" } else { "lxc-execute" },
        ct.name,
        lxc_proto::printable(&lxc_proto::shorten(
            spec.command.first().map(String::as_str).unwrap_or_default(),
            64
        ))
    );
    let result = follow_launch(ct, l.pidfile, l.daemon, terminal, &ours, &oom_line);
    if let (Some(path), false) = (l.pidfile, l.daemon) {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Reads the launch channel until RUNNING (`daemon`) or until COMMAND's end.
fn follow_launch(
    ct: &Container,
    pidfile: Option<&Path>,
    daemon: bool,
    terminal: bool,
    ours: &UnixStream,
    oom_line: &str,
) -> Result<i32, CliError> {
    let mut reader = BufReader::new(ours);
    let mut buf = String::new();
    let mut ready = false;
    loop {
        buf.clear();
        match reader.read_line(&mut buf) {
            // Once COMMAND ran, a shim that ends without a word was killed, and its container
            // with it (the init's parent-death signal): killed, as by SIGKILL.
            Ok(0) | Err(_) if ready => {
                return Err(CliError::with_code(
                    128 + libc::SIGKILL,
                    "its shim died; the container was killed with it",
                ))
            }
            Ok(0) | Err(_) => return Err(setup_error("its shim ended without reporting a status")),
            Ok(_) => {}
        }
        let Ok(event) = serde_json::from_str::<LaunchEvent>(&buf) else {
            return Err(setup_error("bad message from its shim"));
        };
        log::debug!("shim: {}", buf.trim_end());
        match event {
            LaunchEvent::Ready { .. } => {
                if let Some(path) = pidfile {
                    crate::pidfile::write(ct, path)?;
                }
                if daemon {
                    return Ok(0);
                }
                ready = true;
                // At a terminal: COMMAND's (or the console's) pty, held by the shim. The session
                // ends when COMMAND's terminal does; its status follows here.
                // A reboot ends the console and makes a new one: attached again.
                if terminal {
                    while crate::cmd::console::attach(ct, 0, None)? == crate::tty::End::Closed
                        && crate::cmd::console::rebooted(ct, ours)
                    {}
                }
            }
            LaunchEvent::Failed { code, message } => {
                return Err(CliError::with_code(code, message))
            }
            LaunchEvent::Exited { status, oom } => {
                if oom {
                    crate::say(oom_line);
                }
                return Ok(status.shell_code());
            }
        }
    }
}

/// Whether the checkpoint in `dir` has a tty 0 (a console, or COMMAND's pty), which a restore
/// in the foreground at a terminal attaches to.
fn has_tty0(dir: &Path) -> bool {
    lxc_proto::checkpoint::read_meta(dir).is_ok_and(|m| m.terminals.iter().any(|t| t.tty == 0))
}

/// strerror(3) without Rust's "(os error N)".
fn strerror(errno: i32) -> String {
    lxc_proto::strerror(&std::io::Error::from_raw_os_error(errno))
}

/// `LXC_CGROUP_PREFER=v1` in the command's environment makes a host with both cgroup versions
/// use the v1 freezer and the v1 kill although cgroup2 could do both: a development switch (the
/// tests cover both paths so), passed to the shim as a launch setting.
fn cgroup_prefer() -> Result<Option<lxc_shim::cgroup::Version>, CliError> {
    use lxc_shim::cgroup::Version;
    match std::env::var("LXC_CGROUP_PREFER").as_deref() {
        Err(_) | Ok("") => Ok(None),
        Ok("v1") => Ok(Some(Version::V1)),
        Ok("v2") => Ok(Some(Version::V2)),
        Ok(other) => Err(CliError::usage(format!(
            "LXC_CGROUP_PREFER={}: expected v1 or v2",
            lxc_proto::shorten(other, 20)
        ))),
    }
}

/// `-f FILE` (as LXC's, even for a stored container), else NAME's stored config, else the
/// built-in default; then each `-s` on top. Also the file read, if any.
#[inline(never)]
fn load_config(
    ct: &Container,
    rcfile: Option<&PathBuf>,
    defines: &[String],
) -> Result<(Config, Option<PathBuf>), CliError> {
    let stored = ct.config_path();
    let file = match rcfile {
        Some(path) => Some(path.clone()),
        None if stored.is_file() => Some(stored),
        None => None,
    };
    let mut config = match &file {
        Some(path) => lxc_config::parse_file(path).map_err(|e| setup_error(e.to_string()))?,
        None => {
            let mut config = lxc_config::builtin_default();
            // A keep list given with -s replaces the default's drops (both at once is refused).
            if defines
                .iter()
                .any(|d| d.trim_start().starts_with("lxc.cap.keep"))
            {
                config.settings.cap_drop.clear();
            }
            config
        }
    };
    for (i, d) in defines.iter().enumerate() {
        config
            .set(d, "-s option", i + 1)
            .map_err(|e| setup_error(e.to_string()))?;
    }
    // Absolute, for hooks that run elsewhere than here.
    let file = file.map(|f| std::path::absolute(&f).unwrap_or(f));
    Ok((config, file))
}

/// `lxc.log.file` and `lxc.log.level`, under `-o` and `-l` (the command line wins, as LXC's):
/// without `-o`, the config's file is opened now; without `-l`, the config's level applies.
fn use_config_log(ct: &Container, config: &Config, loglevel: Option<&str>) -> Result<(), CliError> {
    let log = &config.settings.log;
    let level = match (loglevel.and_then(crate::logger::parse_level), log.level) {
        (Some(cli), _) => cli,
        (None, Some(l)) => crate::logger::from_config(l),
        (None, None) => log::LevelFilter::Error,
    };
    match (&log.file, crate::logger::fd()) {
        (Some(file), None) => crate::logger::init(Path::new(file), &ct.name, level).map_err(|e| {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symlink (refused)".to_string()
            } else {
                lxc_proto::strerror(&e)
            };
            setup_error(format!("lxc.log.file = {file}: {why}"))
        }),
        (_, Some(_)) if loglevel.is_none() => {
            crate::logger::set_level(level);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Splits a command line from the config into words as a shell would for plain words:
/// blanks separate, single quotes keep everything, double quotes keep all but `\"` and `\\`,
/// a backslash escapes the next character. `None` for an unbalanced quote.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// INT, TERM, HUP, QUIT, USR1, USR2 and WINCH received here go to COMMAND through the shim.
/// The signals `lxc-execute` forwards to COMMAND.
fn forwarded_set() -> SigSet {
    let mut set = SigSet::empty();
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGWINCH,
    ] {
        set.add(sig);
    }
    set
}

fn forward_signals(launch: &UnixStream) -> Result<(), CliError> {
    let mut signals = signal_hook::iterator::Signals::new([
        SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
    ])
    .map_err(|e| {
        setup_error(format!(
            "install signal handlers: {}",
            lxc_proto::strerror(&e)
        ))
    })?;
    let mut out = launch
        .try_clone()
        .map_err(|e| setup_error(format!("clone launch channel: {}", lxc_proto::strerror(&e))))?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let line = lxc_proto::framing::line(&LaunchRequest::Signal { signal });
            if out.write_all(&line).is_err() {
                return;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn config_command_lines_split_as_a_shell_would() {
        let w = |s: &str| split_words(s).map(|v| v.join("|"));
        assert_eq!(
            w("/bin/sh -c 'echo a  b'").as_deref(),
            Some("/bin/sh|-c|echo a  b")
        );
        assert_eq!(
            w(r#"say "x \"y\" $z" a\ b"#).as_deref(),
            Some(r#"say|x "y" $z|a b"#)
        );
        assert_eq!(w("  a   b ").as_deref(), Some("a|b"));
        assert_eq!(w("''").as_deref(), Some(""));
        assert_eq!(w("'open"), None);
        assert_eq!(w("end\\"), None);
    }
}
