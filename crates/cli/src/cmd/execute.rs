//! `lxc-execute -n NAME [-f CONFIG] [-s KEY=VALUE]... [-u UID] [-g GID] [-d] [--] [COMMAND
//! [ARG...]]`: fork a shim for NAME that runs COMMAND (default: `lxc.execute.cmd`) in a new
//! container with this command's stdio, relay the signals this command receives, and exit with
//! COMMAND's status (128+N for signal N; 125 when the container could not be set up, 126/127
//! when COMMAND could not be executed).
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
        /// the user COMMAND runs as (overrides lxc.init.uid)
        #[argh(option, short = 'u')]
        uid: Option<u32>,
        /// its group (overrides lxc.init.gid)
        #[argh(option, short = 'g')]
        gid: Option<u32>,
        /// the command to run and its arguments (default: lxc.execute.cmd)
        #[argh(positional, greedy)]
        command: Vec<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    log::debug!("lxc-execute started");
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let command = args.command;
    // -u and -g win over the config, as LXC's.
    let mut defines = args.define;
    if let Some(uid) = args.uid {
        defines.push(format!("lxc.init.uid = {uid}"));
    }
    if let Some(gid) = args.gid {
        defines.push(format!("lxc.init.gid = {gid}"));
    }
    launch(Launch {
        ct: &ct,
        rcfile: args.rcfile.as_ref(),
        defines: &defines,
        command,
        system: false,
        daemon: args.daemon,
        loglevel: args.loglevel.as_deref(),
        pidfile: None,
        restore: None,
    })
}
