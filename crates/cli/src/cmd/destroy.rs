//! `lxc-destroy -n NAME [-f] [-s]`: remove a stored container; refused while it runs unless
//! `-f`, which stops it first, and while it has snapshots or overlay clones unless `-s`, which
//! destroys them too (a running clone only with `-f`). A clone leaves its original's list.
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
        /// also destroy its snapshots and its overlay clones
        #[argh(switch, short = 's', long = "snapshots")]
        snapshots: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let snaps = crate::container::stored_names(&ct.dir().join("snaps"));
    let clones = crate::clone::clones_of(&ct.dir());
    if !args.snapshots && (!snaps.is_empty() || !clones.is_empty()) {
        let mut what = Vec::new();
        if !snaps.is_empty() {
            what.push(format!("snapshots ({})", snaps.join(", ")));
        }
        if !clones.is_empty() {
            let names: Vec<&str> = clones.iter().map(|(_, n)| n.as_str()).collect();
            what.push(format!("overlay clones ({})", names.join(", ")));
        }
        return Err(CliError::failed(format!(
            "has {}; destroy them first, or use -s",
            what.join(" and ")
        )));
    }
    for (lxcpath, name) in &clones {
        let clone = Container::new(name, Some(lxcpath))?;
        destroy(&clone, args.force)
            .map_err(|e| CliError::failed(format!("its clone {name}: {}", e.message)))?;
    }
    destroy(&ct, args.force)
}

/// One container (not its snapshots or clones, which are gone or go with its directory).
fn destroy(ct: &Container, force: bool) -> Result<i32, CliError> {
    if ct.runs_under_lxc() {
        return Err(ct.under_lxc_error("not destroyed"));
    }
    match ct.status()? {
        // Neither stored nor running.
        Status::Stopped if !ct.dir().is_dir() => return Err(ct.doesnt_exist()),
        Status::Stopped => {}
        Status::Running(_) | Status::Starting if !force => {
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
    if let Some((origin, _)) = crate::clone::origin_of(&ct.dir()) {
        crate::clone::forget_clone(&origin, ct);
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
