//! `lxc-freeze -n NAME` and `lxc-unfreeze -n NAME`: freeze or thaw every process of the
//! container through its cgroup. Freezing a frozen container or thawing a running one succeeds
//! and changes nothing.
use crate::container::{rpc_error, Container};
use crate::CliError;

crate::command!(
    required,
    /// Freeze every process of a container.
    pub struct FreezeArgs {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// seconds the freeze may take before it is undone (default 10)
        #[argh(option, short = 't', default = "10")]
        timeout: u64,
    }
);

crate::command!(
    required,
    /// Thaw every process of a frozen container.
    pub struct UnfreezeArgs {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
    }
);

pub fn freeze(args: FreezeArgs) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    let timeout = crate::seconds(args.timeout);
    // The shim undoes the freeze after `timeout`; give it that long plus time to answer.
    let deadline = crate::deadline(timeout);
    client.freeze(timeout, deadline).map_err(rpc_error)?;
    Ok(0)
}

pub fn unfreeze(args: UnfreezeArgs) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    client.unfreeze().map_err(rpc_error)?;
    Ok(0)
}
