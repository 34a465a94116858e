//! `lxc-config [-l] [KEY]`: the system config (lxc.system.conf(5)) as LXC's `lxc-config`
//! reports it: `-l` lists the keys, `KEY` prints its value (the file's or LXC's default), or
//! `KEY is not set.` for a key without one. No `-n`, `-P`, `-o` or `-l LEVEL`: `-l` is the list.
use crate::CliError;

/// Query the LXC system configuration (lxc.conf).
#[derive(argh::FromArgs, argh::ArgsInfo)]
#[argh(help_triggers("-h", "-?", "--help"))]
pub struct Args {
    /// list all supported keys
    #[argh(switch, short = 'l')]
    list: bool,
    /// the key to print
    #[argh(positional)]
    item: Option<String>,
}

crate::no_common_options!(Args);

pub fn run(args: Args) -> Result<i32, CliError> {
    if args.list {
        for key in lxc_config::SYSTEM_KEYS.split_ascii_whitespace() {
            println!("{key}");
        }
        return Ok(0);
    }
    let Some(item) = args.item else {
        // As LXC's: no argument prints the usage, and succeeds.
        println!("Usage: lxc-config -l: list all available configuration items");
        println!("       lxc-config item: print configuration item");
        return Ok(0);
    };
    if !lxc_config::SYSTEM_KEYS
        .split_ascii_whitespace()
        .any(|k| k == item)
    {
        return Err(CliError::failed(format!(
            "unknown configuration item: {item} (lxc-config -l lists them)"
        )));
    }
    match crate::sysconf::get()?.value(&item) {
        Some(value) => println!("{value}"),
        None => println!("{item} is not set."),
    }
    Ok(0)
}
