//! `lxc-cgroup -n NAME KEY [VALUE]`: read or write one cgroup file of a running container
//! through its shim (`cgroup-get` / `cgroup-set`).
use crate::container::{rpc_error, Container};
use crate::CliError;

crate::command!(
    required,
    /// Get or set a cgroup file of a running container: `memory.limit_in_bytes` (v1) or
    /// `memory.max` (cgroup2); `lxc.cgroup.FILE` or `lxc.cgroup2.FILE` choose the version.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// the cgroup file (state object), e.g. memory.limit_in_bytes
        #[argh(positional)]
        key: String,
        /// the value to write; without it the file's value is printed
        #[argh(positional)]
        value: Option<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    match &args.value {
        Some(value) => {
            client.cgroup_set(&args.key, value).map_err(rpc_error)?;
        }
        None => {
            let reply = client.cgroup_get(&args.key).map_err(rpc_error)?;
            println!("{}", reply.value);
        }
    }
    Ok(0)
}
