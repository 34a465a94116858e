//! `lxc-freeze -n NAME` and `lxc-unfreeze -n NAME`: freeze or thaw every process of the
//! container through its cgroup. Freezing a frozen container or thawing a running one succeeds
//! and changes nothing.
use crate::container::{rpc_error, Container};
use crate::{common_opts, CliError};
use argh::FromArgs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Freeze every process of a container.
#[derive(FromArgs)]
pub struct FreezeArgs {
    /// container name
    #[argh(option, short = 'n')]
    name: String,
    /// seconds the freeze may take before it is undone (default 10)
    #[argh(option, short = 't', default = "10")]
    timeout: u64,
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
common_opts!(FreezeArgs);

/// Thaw every process of a frozen container.
#[derive(FromArgs)]
pub struct UnfreezeArgs {
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
common_opts!(UnfreezeArgs);

pub fn freeze(args: FreezeArgs) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout) + crate::container::TIMEOUT;
    let params = serde_json::json!({ "timeout": args.timeout });
    client
        .call_until("freeze", params, Some(deadline))
        .map_err(rpc_error)?;
    Ok(0)
}

pub fn unfreeze(args: UnfreezeArgs) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    client
        .call("unfreeze", serde_json::json!({}))
        .map_err(rpc_error)?;
    Ok(0)
}
