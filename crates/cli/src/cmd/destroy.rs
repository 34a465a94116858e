//! `lxc-destroy -n NAME [-f]`: remove a stored container; refused while it runs unless `-f`,
//! which stops it first.
use crate::container::{rpc_error, Container, Status};
use crate::CliError;

crate::command!(
    required,
    /// Destroy a container: remove its stored configuration and directory.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// stop the container first if it is running
        #[argh(switch, short = 'f')]
        force: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    if !ct.dir().is_dir() {
        return Err(ct.doesnt_exist());
    }
    match ct.status()? {
        Status::Stopped => {}
        Status::Running(_) | Status::Starting if !args.force => {
            return Err(CliError::failed("is running; stop it first, or use -f"))
        }
        Status::Running(_) | Status::Starting => {
            let mut client = ct.connect()?;
            let kill = lxc_proto::request::StopParams {
                kill: true,
                timeout: None,
            };
            client.stop(kill, None).map_err(rpc_error)?;
        }
    }
    std::fs::remove_dir_all(ct.dir()).map_err(|e| {
        CliError::failed(format!(
            "remove {}: {}",
            ct.dir().display(),
            lxc_proto::strerror(&e)
        ))
    })?;
    log::info!("destroyed {}", ct.dir().display());
    Ok(0)
}
