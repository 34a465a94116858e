//! `lxc-stop -n NAME [-t SECONDS] [-k]`: SIGTERM to COMMAND, up to `-t` seconds (default 60) for
//! it to end, then every process of the container is killed; `-k` kills at once. Returns once
//! the container is STOPPED.
use crate::container::{rpc_error, Container};
use crate::CliError;
use std::time::{Duration, Instant};

crate::command!(
    required,
    /// Stop a container.
    pub struct Args {
        /// container name
        #[argh(option, short = 'n')]
        name: String,
        /// seconds COMMAND has to end after SIGTERM before everything is killed (default 60; 0: no grace)
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
    let params = serde_json::json!({ "kill": args.kill, "timeout": args.timeout });
    // The shim kills after `timeout`; give it that long plus time to clean up.
    let deadline = Instant::now() + Duration::from_secs(args.timeout) + crate::container::TIMEOUT;
    client
        .call_until("stop", params, Some(deadline))
        .map_err(rpc_error)?;
    Ok(0)
}
