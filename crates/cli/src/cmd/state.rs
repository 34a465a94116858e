//! `lxc-state -n NAME`: print the state word.
use crate::container::Container;
use crate::{common_opts, CliError};
use argh::FromArgs;
use std::path::PathBuf;

/// Print the state of a container: STOPPED, STARTING, RUNNING, STOPPING, ABORTING, FREEZING or FROZEN.
#[derive(FromArgs)]
pub struct Args {
    /// container name
    #[argh(option, short = 'n')]
    name: String,
    /// directory of stored containers (default /var/lib/lxc)
    #[argh(option, short = 'P')]
    lxcpath: Option<PathBuf>,
    /// log file
    #[argh(option, short = 'o')]
    logfile: Option<PathBuf>,
    /// log level (ERROR, WARN, INFO, DEBUG, TRACE)
    #[argh(option, short = 'l')]
    loglevel: Option<String>,
}
common_opts!(Args);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    match ct.state()? {
        Some(s) => {
            println!("{s}");
            Ok(0)
        }
        None => Err(ct.doesnt_exist()),
    }
}
