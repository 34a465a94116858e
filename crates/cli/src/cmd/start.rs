//! `lxc-start -n NAME [-f CONFIG] [-d] [-F] [-s KEY=VALUE]... [-- COMMAND...]`: boot a system
//! container: /sbin/init (or COMMAND) is the container's pid 1 itself, with no init of ours.
//! `-d` (the default) returns once RUNNING; `-F` stays in the foreground with the container's
//! stdio and exits with pid 1's status.
use crate::container::Container;
use crate::launch::{launch, Launch};
use crate::CliError;
use std::path::PathBuf;

crate::command!(
    required,
    /// Start a system container: its own /sbin/init (or COMMAND) as pid 1.
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
        /// return once the container is RUNNING (the default)
        #[argh(switch, short = 'd')]
        daemon: bool,
        /// stay in the foreground with the container's stdio
        #[argh(switch, short = 'F')]
        foreground: bool,
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
    let mut command = args.command;
    if command.first().is_some_and(|c| c == "--") {
        command.remove(0);
    }
    launch(Launch {
        ct: &ct,
        rcfile: args.rcfile.as_ref(),
        defines: &args.define,
        command,
        system: true,
        daemon: !args.foreground,
        loglevel: args.loglevel.as_deref(),
    })
}
