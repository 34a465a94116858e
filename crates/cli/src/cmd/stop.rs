//! `lxc-stop -n NAME [-t SECONDS] [-k]`: the halt signal to COMMAND, up to `-t` seconds
//! (default 60) for it to end, then every process of the container is killed; `-k` kills at
//! once. Returns once the container is STOPPED; a container that stops by itself meanwhile is
//! stopped all the same.
use crate::container::{rpc_error, Container, Status};
use crate::CliError;
use lxc_proto::request::StopParams;
use lxc_proto::ClientError;

crate::command!(
    required,
    /// Stop a container.
    pub struct Args {
        /// container name
        #[argh(option, short = 'n')]
        name: String,
        /// seconds COMMAND has to end after the halt signal before everything is killed
        /// (default 60; 0: no grace)
        #[argh(option, short = 't', default = "60")]
        timeout: u64,
        /// kill at once
        #[argh(switch, short = 'k')]
        kill: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    let timeout = crate::seconds(args.timeout);
    let params = StopParams {
        kill: args.kill,
        timeout: Some(timeout),
    };
    // The shim kills after `timeout`; give it that long plus time to clean up.
    match client.stop(params, crate::deadline(timeout)) {
        Ok(_) => Ok(0),
        // The shim went away before it could answer: the container ended by itself just then
        // (its shim answers only what reached it before it left). Stopped is stopped.
        Err(ClientError::Closed) => match ct.status()? {
            Status::Stopped => Ok(0),
            _ => Err(rpc_error(ClientError::Closed)),
        },
        Err(e) => Err(rpc_error(e)),
    }
}
