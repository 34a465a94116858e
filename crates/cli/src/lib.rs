//! The lxc-* commands. Each executable in `src/bin/` is a one-line `main` that hands its argh
//! struct and its `cmd::*::run` to [`main`]; everything a command shares (option parsing, exit
//! codes, error lines, finding a container and talking to its shim) lives here once.
#![forbid(unsafe_code)]

pub mod argv;
pub mod clone;
pub mod cmd;
pub mod columns;
pub mod container;
pub mod docs;
pub mod launch;
pub mod logger;
pub mod monitor;
pub mod output;
pub mod pidfile;
pub mod stats;
pub mod sysconf;
pub mod template;
pub mod tty;
pub mod unpriv;

use argh::{ArgsInfo, FromArgs};
use std::fmt;
use std::path::PathBuf;

/// Default directory of stored containers when the system config names none (`-P`
/// overrides it).
pub const DEFAULT_LXCPATH: &str = "/var/lib/lxc";

/// A command's `-t SECONDS`: values too large for any clock mean "forever", which the
/// protocol spells as its largest time limit.
pub fn seconds(secs: u64) -> std::time::Duration {
    std::time::Duration::from_secs(secs.min(lxc_proto::request::MAX_SECONDS as u64))
}

/// How long a command waits for a shim that itself waits `limit` first: the limit plus the
/// usual answer time; `None` (forever) for "forever".
pub fn deadline(limit: std::time::Duration) -> Option<std::time::Instant> {
    if limit.as_secs_f64() >= lxc_proto::request::MAX_SECONDS {
        return None;
    }
    std::time::Instant::now().checked_add(limit + container::TIMEOUT)
}

/// A failed command: the line to print (without the `lxc-x: ` prefix) and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
    /// The message names the container itself ("foo doesn't exist"): no `NAME: ` prefix.
    pub names_container: bool,
}

impl CliError {
    /// Exit code 1: the operation failed.
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
            names_container: false,
        }
    }

    /// Exit code 2: bad usage.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: 2,
            message: message.into(),
            names_container: false,
        }
    }

    /// Any exit code.
    pub fn with_code(code: i32, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
            names_container: false,
        }
    }
}

impl From<String> for CliError {
    fn from(message: String) -> CliError {
        CliError::failed(message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Options every command has.
pub trait CommonOpts {
    /// `-n NAME`, when the command takes one.
    fn name(&self) -> Option<&str>;
    /// `-P LXCPATH`.
    fn lxcpath(&self) -> Option<&PathBuf>;
    /// `-o LOGFILE`.
    fn logfile(&self) -> Option<&PathBuf>;
    /// `-l LEVEL`.
    fn loglevel(&self) -> Option<&str>;
    /// `--rcfile FILE` (lxc-execute and lxc-start: `-f`).
    fn rcfile(&self) -> Option<&PathBuf>;
    /// `--rcfile` when nothing but [`main`] looks at it, which then checks that it is a
    /// config file (lxc-execute and lxc-start report a bad one as a set-up failure).
    fn rcfile_unchecked(&self) -> Option<&PathBuf>;
    /// `-q`: errors are not printed.
    fn quiet(&self) -> bool;
    /// Whether the command controls containers (lxc-config and lxc-update-config only read
    /// and write config files). A regular user controls its own only: see `unpriv`.
    const NEEDS_ROOT: bool = true;
}

/// `CommonOpts` for a command that takes none of the common options and needs no root
/// (lxc-config, lxc-usernsexec).
#[macro_export]
macro_rules! no_common_options {
    ($args:ty) => {
        impl $crate::CommonOpts for $args {
            const NEEDS_ROOT: bool = false;
            fn name(&self) -> Option<&str> {
                None
            }
            fn lxcpath(&self) -> Option<&std::path::PathBuf> {
                None
            }
            fn logfile(&self) -> Option<&std::path::PathBuf> {
                None
            }
            fn loglevel(&self) -> Option<&str> {
                None
            }
            fn rcfile(&self) -> Option<&std::path::PathBuf> {
                None
            }
            fn rcfile_unchecked(&self) -> Option<&std::path::PathBuf> {
                None
            }
            fn quiet(&self) -> bool {
                false
            }
        }
    };
}

/// The `-P` of a command: one, or the first of several.
pub trait FirstPath {
    fn first_path(&self) -> Option<&std::path::PathBuf>;
}

impl FirstPath for Option<std::path::PathBuf> {
    fn first_path(&self) -> Option<&std::path::PathBuf> {
        self.as_ref()
    }
}

impl FirstPath for Vec<std::path::PathBuf> {
    fn first_path(&self) -> Option<&std::path::PathBuf> {
        self.first()
    }
}

/// Declares a command's argh struct with the options every command has appended (`-P`,
/// `-o`, `-l`, `-q`, `--rcfile`, `--usage`, `--version`), and implements [`CommonOpts`] for
/// it. The first word says what the struct's own `name` field is: `required`
/// (`name: String`), `optional` (`name: Option<String>`) or `none`; `required_f` is `required`
/// with `--rcfile` also spelled `-f` (lxc-execute, lxc-start: the config to start with);
/// `none_user` is `none` for a command any user may run (lxc-update-config);
/// `required_multi_p` is `required` with `-P` repeatable (lxc-monitor).
#[macro_export]
macro_rules! command {
    (required_f, $($rest:tt)*) => {
        $crate::command!(@build required, [
            /// configuration file (it wins over the stored one, as LXC's)
            #[argh(option, short = 'f', long = "rcfile")]
        ], false, true, [Option<std::path::PathBuf>], $($rest)*);
    };
    (none_user, $($rest:tt)*) => {
        $crate::command!(@build none, [
            /// configuration file (only checked here)
            #[argh(option, long = "rcfile")]
        ], true, false, [Option<std::path::PathBuf>], $($rest)*);
    };
    // `-P` repeatable (lxc-monitor watches several lxcpaths, as LXC's).
    (required_multi_p, $($rest:tt)*) => {
        $crate::command!(@build required, [
            /// configuration file (only checked here)
            #[argh(option, long = "rcfile")]
        ], true, true, [Vec<std::path::PathBuf>], $($rest)*);
    };
    ($kind:ident, $($rest:tt)*) => {
        $crate::command!(@build $kind, [
            /// configuration file instead of the stored one (lxc-info -c reads it; elsewhere
            /// it is only checked)
            #[argh(option, long = "rcfile")]
        ], true, true, [Option<std::path::PathBuf>], $($rest)*);
    };
    (@build $kind:ident, [$($rcfile:tt)*], $check:literal, $root:literal, [$($lxcpath:tt)*], $(#[$meta:meta])* pub struct $t:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(argh::FromArgs, argh::ArgsInfo)]
        #[argh(help_triggers("-h", "-?", "--help"))]
        pub struct $t {
            $($body)*
            $($rcfile)*
            rcfile: Option<std::path::PathBuf>,
            /// directory of stored containers (default: lxc.lxcpath of /etc/lxc/lxc.conf, else
            /// /var/lib/lxc)
            #[argh(option, short = 'P')]
            lxcpath: $($lxcpath)*,
            /// log file
            #[argh(option, short = 'o')]
            logfile: Option<std::path::PathBuf>,
            /// log level: ERROR (the default), WARN, INFO, DEBUG or TRACE (LXC's NOTICE, CRIT,
            /// ALERT and FATAL are taken too)
            #[argh(option, short = 'l', long = "logpriority")]
            loglevel: Option<String>,
            /// print no error: the exit status tells
            #[argh(switch, short = 'q')]
            quiet: bool,
            /// print a short usage line
            #[argh(switch)]
            #[allow(dead_code)]
            usage: bool,
            /// print the version
            #[argh(switch)]
            #[allow(dead_code)]
            version: bool,
        }

        impl $crate::CommonOpts for $t {
            const NEEDS_ROOT: bool = $root;
            fn name(&self) -> Option<&str> {
                $crate::command!(@name self, $kind)
            }
            fn lxcpath(&self) -> Option<&std::path::PathBuf> {
                $crate::FirstPath::first_path(&self.lxcpath)
            }
            fn logfile(&self) -> Option<&std::path::PathBuf> {
                self.logfile.as_ref()
            }
            fn loglevel(&self) -> Option<&str> {
                self.loglevel.as_deref()
            }
            fn rcfile(&self) -> Option<&std::path::PathBuf> {
                self.rcfile.as_ref()
            }
            fn rcfile_unchecked(&self) -> Option<&std::path::PathBuf> {
                self.rcfile.as_ref().filter(|_| $check)
            }
            fn quiet(&self) -> bool {
                self.quiet
            }
        }
    };
    (@name $s:ident, required) => { Some($s.name.as_str()) };
    (@name $s:ident, optional) => { $s.name.as_deref() };
    (@name $s:ident, none) => { None };
}

/// Set once `-q` is known: [`say`] then prints nothing.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints one line on stderr unless `-q` was given.
pub fn say(line: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("{line}");
    }
}

/// The command's name as it was called (`lxc-info`).
fn command_name(argv0: Option<&String>) -> String {
    argv0
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .unwrap_or_else(|| "lxc".into())
}

/// Runs a command: normalizes and parses the arguments (exit 2 on a usage error), sets up `-o`/`-l` logging, runs `f` and turns its result into one
/// error line and an exit code.
pub fn main<T: FromArgs + ArgsInfo + CommonOpts>(f: fn(T) -> Result<i32, CliError>) -> ! {
    ensure_std_fds();
    let argv: Vec<String> = std::env::args().collect();
    let cmd = command_name(argv.first());
    let opts = parse_args::<T>(&cmd, argv.get(1..).unwrap_or_default());
    let quiet = |o: &T| QUIET.store(o.quiet(), std::sync::atomic::Ordering::Relaxed);
    quiet(&opts);
    let prefix = match opts.name() {
        Some(n) if !n.is_empty() => format!("{cmd}: {n}"),
        _ => cmd.clone(),
    };
    if let Err(e) = check_common(&opts) {
        say(&format!("{cmd}: {}", e.message));
        std::process::exit(e.code);
    }
    if let Some(path) = opts.logfile() {
        let level = opts
            .loglevel()
            .and_then(crate::logger::parse_level)
            .unwrap_or(log::LevelFilter::Error);
        if let Err(e) = crate::logger::init(path, opts.name().unwrap_or(""), level) {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symlink (refused)".to_string()
            } else {
                lxc_proto::strerror(&e)
            };
            say(&format!(
                "{prefix}: open log file {}: {why}",
                path.display()
            ));
            std::process::exit(1);
        }
    }
    match f(opts) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            log::error!("{}", e.message);
            if e.names_container {
                say(&format!("{cmd}: {}", e.message));
            } else {
                say(&format!("{prefix}: {}", e.message));
            }
            std::process::exit(e.code);
        }
    }
}

/// The arguments as argh parses them once [`argv::normalize`] has put LXC's getopt forms
/// into its; `--help`, `--usage` and `--version` print and exit 0, a usage error prints one
/// line and exits 2.
fn parse_args<T: FromArgs + ArgsInfo>(cmd: &str, args: &[String]) -> T {
    let spec = argv::Spec::from_info(&T::get_args_info());
    let (outcome, quiet) = argv::normalize(&spec, args);
    let usage_error = |message: &str| -> ! {
        if !quiet {
            eprintln!("{cmd}: {message} (see {cmd} --help)");
        }
        std::process::exit(2);
    };
    let args = match outcome {
        argv::Outcome::Run(args) => args,
        argv::Outcome::Help => vec!["--help".to_string()],
        argv::Outcome::Usage => {
            println!("{}", spec.usage_line(cmd));
            std::process::exit(0);
        }
        argv::Outcome::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            std::process::exit(0);
        }
        argv::Outcome::Error(m) => usage_error(&m),
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match T::from_args(&[cmd], &args) {
        Ok(o) => o,
        Err(argh::EarlyExit { output, status }) => {
            if status.is_ok() {
                print!("{output}");
                std::process::exit(0);
            }
            usage_error(&argv::argh_message(&output))
        }
    }
}

/// What every command checks before it runs: a known log level, and a `--rcfile` that is a
/// config file (LXC's tools load it; a wrong path must not pass unnoticed).
fn check_common<T: CommonOpts>(opts: &T) -> Result<(), CliError> {
    if let Some(l) = opts.loglevel() {
        if crate::logger::parse_level(l).is_none() {
            return Err(CliError::usage(format!(
                "unknown log level \"{}\" (ERROR, WARN, INFO, DEBUG, TRACE)",
                lxc_proto::shorten(l, 32)
            )));
        }
    }
    if let Some(path) = opts.rcfile_unchecked() {
        lxc_config::parse_file(path).map_err(|e| CliError::failed(e.to_string()))?;
    }
    Ok(())
}

/// A command started with stdin, stdout or stderr closed would hand that number to the next
/// file it opens (a socket to the shim, say) and then to COMMAND as its stdio: put /dev/null
/// there first. Open returns the lowest free number, so this fills exactly the holes.
fn ensure_std_fds() {
    use std::os::fd::{AsRawFd, IntoRawFd};
    while let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        if f.as_raw_fd() > 2 {
            break;
        }
        // Kept open for the life of the process, as the standard descriptor it now is.
        let _ = f.into_raw_fd();
    }
}
