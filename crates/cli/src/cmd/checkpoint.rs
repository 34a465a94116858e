//! `lxc-checkpoint -n NAME -D DIR [-s] [-v]`: dump a running container with CRIU into DIR
//! through its shim (the container is CHECKPOINTING meanwhile, then RUNNING again, or stopped
//! with `-s`). `lxc-checkpoint -r -n NAME -D DIR [-d|-F]`: restore it under a new shim, which
//! is its parent and reaper as for a container started normally; `-d` (the default) returns
//! once RUNNING, `-F` stays in the foreground with the restored stdio and exits with COMMAND's
//! status; at a terminal, with the restored console or COMMAND's pty (tty 0) attached to it.
use crate::container::{rpc_error, Container};
use crate::launch::{launch, Launch};
use crate::CliError;
use lxc_proto::checkpoint::{DUMP_LOG, META_FILE, RESTORE_LOG};
use std::path::PathBuf;
use std::time::Duration;

crate::command!(
    required_f,
    /// Checkpoint a running container with CRIU, or restore one (-r).
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// the checkpoint directory
        #[argh(option, short = 'D', long = "checkpoint-dir")]
        dir: PathBuf,
        /// stop the container once it is dumped
        #[argh(switch, short = 's', long = "stop")]
        stop: bool,
        /// restore the container from the directory
        #[argh(switch, short = 'r', long = "restore")]
        restore: bool,
        /// with -r: return once the container runs (the default)
        #[argh(switch, short = 'd', long = "daemon")]
        daemon: bool,
        /// with -r: stay in the foreground with the container's stdio
        #[argh(switch, short = 'F', long = "foreground")]
        foreground: bool,
        /// say where CRIU's log is
        #[argh(switch, short = 'v', long = "verbose")]
        verbose: bool,
        /// LXC's iterative pre-dump: refused (see the README)
        #[argh(switch, short = 'p', long = "pre-dump")]
        pre_dump: bool,
    }
);

/// How long a dump may take before this command gives up waiting (the dump goes on).
const DUMP_WAIT: Duration = Duration::from_secs(600);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    if args.pre_dump {
        return Err(CliError::failed(
            "-p: iterative dumps (criu pre-dump) are not supported: they need the kernel's memory dirty tracking, which is off on the kernels this runs on",
        ));
    }
    let dir = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
    if args.restore {
        if args.stop {
            return Err(CliError::usage("-s is for a checkpoint, not with -r"));
        }
        if args.daemon && args.foreground {
            return Err(CliError::usage("-d and -F exclude each other"));
        }
        return restore(&ct, &args, &dir);
    }
    if args.daemon || args.foreground {
        return Err(CliError::usage("-d and -F are for a restore (-r)"));
    }
    let mut client = ct.connect()?;
    client.require("checkpoint").map_err(rpc_error)?;
    let deadline = crate::deadline(DUMP_WAIT);
    client
        .checkpoint(&dir.to_string_lossy(), args.stop, deadline)
        .map_err(rpc_error)?;
    if args.verbose {
        crate::say(&format!("criu's log: {}", dir.join(DUMP_LOG).display()));
    }
    Ok(0)
}

fn restore(ct: &Container, args: &Args, dir: &std::path::Path) -> Result<i32, CliError> {
    let path = dir.join(META_FILE);
    let meta = lxc_proto::checkpoint::read_meta(dir).map_err(CliError::failed)?;
    if meta.command.is_empty() {
        return Err(CliError::failed(format!("{}: no command", path.display())));
    }
    let code = launch(Launch {
        ct,
        rcfile: args.rcfile.as_ref(),
        defines: &[],
        command: meta.command,
        system: meta.system,
        daemon: !args.foreground,
        loglevel: args.loglevel.as_deref(),
        pidfile: None,
        restore: Some(dir),
    })?;
    if args.verbose {
        crate::say(&format!("criu's log: {}", dir.join(RESTORE_LOG).display()));
    }
    Ok(code)
}
