//! `lxc-execute -n NAME [-f CONFIG] [-s KEY=VALUE]... [-d] [--] COMMAND [ARG...]`: fork a shim
//! for NAME that runs COMMAND in a new container with this command's stdio, relay the signals
//! this command receives, and exit with COMMAND's status (128+N for signal N; 125 when the
//! container could not be set up, 126/127 when COMMAND could not be executed).
use crate::container::Container;
use crate::{common_opts, CliError};
use argh::FromArgs;
use lxc_config::{Config, Feature};
use lxc_proto::launch::{LaunchEvent, LaunchRequest, LaunchSpec};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Run COMMAND in a container (application container, with an init of ours as pid 1).
#[derive(FromArgs)]
pub struct Args {
    /// container name
    #[argh(option, short = 'n')]
    name: String,
    /// configuration file, used when NAME has no stored configuration
    #[argh(option, short = 'f')]
    rcfile: Option<PathBuf>,
    /// set KEY=VALUE on top of the configuration (repeatable)
    #[argh(option, short = 's')]
    define: Vec<String>,
    /// return once the container is RUNNING and leave it running (COMMAND's stdio is then
    /// /dev/null)
    #[argh(switch, short = 'd')]
    daemon: bool,
    /// directory of stored containers (default /var/lib/lxc)
    #[argh(option, short = 'P')]
    lxcpath: Option<PathBuf>,
    /// log file for this command and the container's shim
    #[argh(option, short = 'o')]
    logfile: Option<PathBuf>,
    /// log level (ERROR, WARN, INFO, DEBUG, TRACE)
    #[argh(option, short = 'l')]
    loglevel: Option<String>,
    /// the command to run and its arguments
    #[argh(positional, greedy)]
    command: Vec<String>,
}
common_opts!(Args);

/// Exit code when the container could not be set up.
const SETUP_FAILED: i32 = 125;

fn setup_error(message: impl Into<String>) -> CliError {
    CliError::with_code(SETUP_FAILED, message)
}

pub fn run(args: Args) -> Result<i32, CliError> {
    log::debug!("lxc-execute started");
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut command = args.command;
    if command.first().is_some_and(|c| c == "--") {
        command.remove(0);
    }
    if command.is_empty() {
        return Err(CliError::usage(
            "no command given (lxc-execute -n NAME -- COMMAND [ARG...])",
        ));
    }
    let config = load_config(&ct, args.rcfile.as_ref(), &args.define)?;
    check_supported(&config)?;
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
                "lock {}: {e}",
                ct.rundir.path().display()
            )))
        }
    };
    // We hold the lock and no shim does: anything in the run directory is a dead shim's.
    ct.rundir
        .clear_stale()
        .map_err(|e| setup_error(format!("clean up after a dead shim: {e}")))?;

    let (ours, theirs) =
        UnixStream::pair().map_err(|e| setup_error(format!("create launch channel: {e}")))?;
    let spec = LaunchSpec {
        name: ct.name.clone(),
        config,
        command,
    };
    let stdio = if args.daemon {
        lxc_shim::Stdio::Null
    } else {
        lxc_shim::Stdio::Inherit
    };
    lxc_shim::spawn(&spec, theirs, lock, stdio)
        .map_err(|e| setup_error(format!("fork the shim: {e}")))?;
    log::debug!("shim forked");

    if !args.daemon {
        forward_signals(&ours)?;
    }
    let mut reader = BufReader::new(&ours);
    let mut buf = String::new();
    loop {
        buf.clear();
        match reader.read_line(&mut buf) {
            Ok(0) | Err(_) => {
                return Err(setup_error("its shim ended without reporting a status"));
            }
            Ok(_) => {}
        }
        let Ok(event) = serde_json::from_str::<LaunchEvent>(&buf) else {
            return Err(setup_error("bad message from its shim"));
        };
        log::debug!("shim: {event:?}");
        match event {
            LaunchEvent::Ready { .. } if args.daemon => return Ok(0),
            LaunchEvent::Ready { .. } => {}
            LaunchEvent::Failed { code, message } => {
                return Err(CliError::with_code(code, message))
            }
            LaunchEvent::Exited { status } => return Ok(status.shell_code()),
        }
    }
}

/// NAME's stored config, else `-f`, else the built-in default; then each `-s` on top.
fn load_config(
    ct: &Container,
    rcfile: Option<&PathBuf>,
    defines: &[String],
) -> Result<Config, CliError> {
    let stored = ct.config_path();
    let mut config = if stored.is_file() {
        lxc_config::parse_file(&stored).map_err(|e| setup_error(e.to_string()))?
    } else if let Some(path) = rcfile {
        lxc_config::parse_file(path).map_err(|e| setup_error(e.to_string()))?
    } else {
        Config::default()
    };
    for (i, d) in defines.iter().enumerate() {
        config
            .set(d, "-s option", i + 1)
            .map_err(|e| setup_error(e.to_string()))?;
    }
    Ok(config)
}

/// Keys whose feature is not built yet are refused by name, never ignored.
fn check_supported(config: &Config) -> Result<(), CliError> {
    for e in &config.entries {
        let supported = match e.feature() {
            Feature::Uts => true,
            // No console is ever allocated: "none" is exactly what happens.
            Feature::Console => e.value == "none" || e.value.is_empty(),
            Feature::Rootfs | Feature::Mount | Feature::Network | Feature::Signal => false,
        };
        if !supported {
            return Err(setup_error(format!(
                "{}:{}: {}: not supported yet",
                e.source, e.line, e.key
            )));
        }
    }
    Ok(())
}

/// INT, TERM, HUP, QUIT, USR1, USR2 and WINCH received here go to COMMAND through the shim.
fn forward_signals(launch: &UnixStream) -> Result<(), CliError> {
    let mut signals = signal_hook::iterator::Signals::new([
        SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
    ])
    .map_err(|e| setup_error(format!("install signal handlers: {e}")))?;
    let mut out = launch
        .try_clone()
        .map_err(|e| setup_error(format!("clone launch channel: {e}")))?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let mut line =
                serde_json::to_vec(&LaunchRequest::Signal { signal }).unwrap_or_default();
            line.push(b'\n');
            if out.write_all(&line).is_err() {
                return;
            }
        }
    });
    Ok(())
}
