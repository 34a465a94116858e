//! `lxc-execute -n NAME [-f CONFIG] [-s KEY=VALUE]... [-d] [--] COMMAND [ARG...]`: fork a shim
//! for NAME that runs COMMAND in a new container with this command's stdio, relay the signals
//! this command receives, and exit with COMMAND's status (128+N for signal N; 125 when the
//! container could not be set up, 126/127 when COMMAND could not be executed).
use crate::container::Container;
use crate::launch::{launch, Launch};
use crate::CliError;

crate::command!(
    required_f,
    /// Run COMMAND in a container (application container, with an init of ours as pid 1).
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// set KEY=VALUE on top of the configuration (repeatable)
        #[argh(option, short = 's')]
        define: Vec<String>,
        /// return once the container is RUNNING and leave it running (COMMAND's stdio is then
        /// /dev/null)
        #[argh(switch, short = 'd')]
        daemon: bool,
        /// the command to run and its arguments
        #[argh(positional, greedy)]
        command: Vec<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    log::debug!("lxc-execute started");
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let command = args.command;
    if command.is_empty() {
        return Err(CliError::usage(
            "no command given (lxc-execute -n NAME -- COMMAND [ARG...])",
        ));
    }
    launch(Launch {
        ct: &ct,
        rcfile: args.rcfile.as_ref(),
        defines: &args.define,
        command,
        system: false,
        daemon: args.daemon,
        needs_rootfs: false,
        pidfile: None,
    })
}
