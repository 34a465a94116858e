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
    if ct.runs_under_lxc() {
        return Err(ct.under_lxc_error("not destroyed"));
    }
    match ct.status()? {
        // Neither stored nor running.
        Status::Stopped if !ct.dir().is_dir() => return Err(ct.doesnt_exist()),
        Status::Stopped => {}
        Status::Running(_) | Status::Starting if !args.force => {
            return Err(CliError::failed("is running; stop it first, or use -f"))
        }
        Status::Running(_) | Status::Starting => {
            let mut client = ct.connect()?;
            let kill = lxc_proto::request::StopParams {
                kill: true,
                timeout: None,
                nokill: false,
            };
            match client.stop(kill, None) {
                // It ended just then: stopped is stopped.
                Ok(_) | Err(lxc_proto::ClientError::Closed) => {}
                Err(e) => return Err(rpc_error(e)),
            }
        }
    }
    // A container started with -f and never stored has nothing more to remove.
    if !ct.dir().is_dir() {
        log::info!("stopped {}, which was never stored", ct.name);
        return Ok(0);
    }
    // lxc.hook.destroy, before anything goes; a failing hook keeps everything (as LXC). A
    // config that no longer parses has no hooks to run: the container goes all the same.
    match lxc_config::parse_file(&ct.config_path()) {
        Ok(config) => lxc_shim::hooks::run_destroy_hooks(&ct.name, &config, &ct.config_path())
            .map_err(CliError::failed)?,
        Err(e) => log::warn!("destroy hooks not run: {e}"),
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
