//! `lxc-state -n NAME`: print the state word.
use crate::container::Container;
use crate::CliError;

crate::command!(
    required,
    /// Print the state of a container: STOPPED, STARTING, RUNNING, STOPPING, ABORTING, FREEZING or FROZEN.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
    }
);

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
