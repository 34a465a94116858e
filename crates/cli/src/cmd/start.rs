//! `lxc-start -n NAME [-f CONFIG] [-d] [-F] [-s KEY=VALUE]... [-- COMMAND...]`: boot a system
//! container: /sbin/init (or COMMAND) is the container's pid 1 itself, with no init of ours.
//! `-d` (the default) returns once RUNNING; `-F` stays in the foreground with the container's
//! stdio and exits with pid 1's status. `-p FILE` gets the shim's pid once RUNNING.
use crate::container::Container;
use crate::launch::{launch, Launch};
use crate::CliError;
use std::path::PathBuf;

crate::command!(
    required_f,
    /// Start a system container: its own /sbin/init (or COMMAND) as pid 1.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// set KEY=VALUE on top of the configuration (repeatable)
        #[argh(option, short = 's')]
        define: Vec<String>,
        /// return once the container is RUNNING (the default)
        #[argh(switch, short = 'd')]
        daemon: bool,
        /// stay in the foreground with the container's stdio
        #[argh(switch, short = 'F')]
        foreground: bool,
        /// once RUNNING, write the pid of the container's shim (its monitor, as LXC's) to FILE;
        /// with -F, FILE is removed when the container has stopped
        #[argh(option, short = 'p')]
        pidfile: Option<PathBuf>,
        /// pid 1 and its arguments (default: lxc.init.cmd, else /sbin/init)
        #[argh(positional, greedy)]
        command: Vec<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    if args.daemon && args.foreground {
        return Err(CliError::usage("-d and -F exclude each other"));
    }
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let command = args.command;
    launch(Launch {
        ct: &ct,
        rcfile: args.rcfile.as_ref(),
        defines: &args.define,
        command,
        system: true,
        daemon: !args.foreground,
        loglevel: args.loglevel.as_deref(),
        pidfile: args.pidfile.as_deref(),
        restore: None,
    })
}
