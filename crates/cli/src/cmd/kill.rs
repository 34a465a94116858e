//! `lxc-kill -n NAME -s SIGNAL`: send SIGNAL to every process of the container.
use crate::container::{rpc_error, Container};
use crate::CliError;

crate::command!(
    required,
    /// Send a signal to every process of a container.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// the signal: a name (TERM, SIGTERM, term) or a number
        #[argh(option, short = 's', from_str_fn(signal))]
        signal: i32,
    }
);

fn signal(s: &str) -> Result<i32, String> {
    lxc_config::parse_signal(s)
}

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    client.kill(args.signal).map_err(rpc_error)?;
    Ok(0)
}
