//! The lxc-* commands. Each executable in `src/bin/` is a one-line `main` that hands its argh
//! struct and its `cmd::*::run` to [`main`]; everything a command shares (option parsing, exit
//! codes, error lines, finding a container and talking to its shim) lives here once.
#![forbid(unsafe_code)]

pub mod cmd;
pub mod container;
pub mod launch;
pub mod logger;
pub mod monitor;
pub mod output;
pub mod sysconf;

use argh::FromArgs;
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
}

/// Declares a command's argh struct with the options every command has appended (`-P`,
/// `-o`, `-l`), and implements [`CommonOpts`] for it. The first word says what the struct's own
/// `name` field is: `required` (`name: String`), `optional` (`name: Option<String>`) or `none`.
#[macro_export]
macro_rules! command {
    ($kind:ident, $(#[$meta:meta])* pub struct $t:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(argh::FromArgs)]
        pub struct $t {
            $($body)*
            /// directory of stored containers (default /var/lib/lxc)
            #[argh(option, short = 'P')]
            lxcpath: Option<std::path::PathBuf>,
            /// log file
            #[argh(option, short = 'o')]
            logfile: Option<std::path::PathBuf>,
            /// log level (ERROR, WARN, INFO, DEBUG, TRACE)
            #[argh(option, short = 'l')]
            loglevel: Option<String>,
        }

        impl $crate::CommonOpts for $t {
            fn name(&self) -> Option<&str> {
                $crate::command!(@name self, $kind)
            }
            fn lxcpath(&self) -> Option<&std::path::PathBuf> {
                self.lxcpath.as_ref()
            }
            fn logfile(&self) -> Option<&std::path::PathBuf> {
                self.logfile.as_ref()
            }
            fn loglevel(&self) -> Option<&str> {
                self.loglevel.as_deref()
            }
        }
    };
    (@name $s:ident, required) => { Some($s.name.as_str()) };
    (@name $s:ident, optional) => { $s.name.as_deref() };
    (@name $s:ident, none) => { None };
}

/// Runs a command: parses the arguments (exit 2 on a usage error), sets up `-o`/`-l` logging,
/// runs `f` and turns its result into one error line and an exit code.
pub fn main<T: FromArgs + CommonOpts>(f: fn(T) -> Result<i32, CliError>) -> ! {
    ensure_std_fds();
    let argv: Vec<String> = std::env::args().collect();
    let cmd = argv
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .unwrap_or_else(|| "lxc".into());
    let args = split_long_options(&argv[1.min(argv.len())..]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let opts = match T::from_args(&[&cmd], &args) {
        Ok(o) => o,
        Err(argh::EarlyExit { output, status }) => {
            if status.is_ok() {
                print!("{output}");
                std::process::exit(0);
            }
            eprint!("{output}");
            if !output.ends_with('\n') {
                eprintln!();
            }
            std::process::exit(2);
        }
    };
    let prefix = match opts.name() {
        Some(n) if !n.is_empty() => format!("{cmd}: {n}"),
        _ => cmd.clone(),
    };
    if let Some(path) = opts.logfile() {
        let level = match opts.loglevel() {
            None => log::LevelFilter::Error,
            Some(l) => match crate::logger::parse_level(l) {
                Some(l) => l,
                None => {
                    eprintln!("{cmd}: unknown log level \"{l}\" (ERROR, WARN, INFO, DEBUG, TRACE)");
                    std::process::exit(2);
                }
            },
        };
        if let Err(e) = crate::logger::init(path, opts.name().unwrap_or(""), level) {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symlink (refused)".to_string()
            } else {
                lxc_proto::strerror(&e)
            };
            eprintln!("{prefix}: open log file {}: {why}", path.display());
            std::process::exit(1);
        }
    } else if let Some(l) = opts.loglevel() {
        if crate::logger::parse_level(l).is_none() {
            eprintln!("{cmd}: unknown log level \"{l}\" (ERROR, WARN, INFO, DEBUG, TRACE)");
            std::process::exit(2);
        }
    }
    match f(opts) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            log::error!("{}", e.message);
            if e.names_container {
                eprintln!("{cmd}: {}", e.message);
            } else {
                eprintln!("{prefix}: {}", e.message);
            }
            std::process::exit(e.code);
        }
    }
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

/// LXC's getopt takes `--name=foo`; argh wants `--name foo`. Split `--opt=value` for our own
/// long options, up to the first `--`.
const LONG_OPTIONS: &[&str] = &[
    "--name",
    "--lxcpath",
    "--rcfile",
    "--define",
    "--logfile",
    "--logpriority",
    "--signal",
    "--timeout",
    "--state",
];

fn split_long_options(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for a in args {
        if rest {
            out.push(a.clone());
            continue;
        }
        if a == "--" {
            rest = true;
            out.push(a.clone());
        } else if let Some((k, v)) = a.split_once('=').filter(|(k, _)| LONG_OPTIONS.contains(k)) {
            out.push(k.to_string());
            out.push(v.to_string());
        } else {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_options_with_equals() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            split_long_options(&v(&["--name=foo", "-s", "a=b", "--", "--x=y"])),
            v(&["--name", "foo", "-s", "a=b", "--", "--x=y"])
        );
    }
}
