//! `lxc-usernsexec [-m MAP]... [-s] [-- COMMAND [ARG...]]`: COMMAND (default `/bin/sh`) as root
//! in a new user and mount namespace, as LXC's. MAP is `u|g|b:NS_ID:HOST_ID:RANGE`; without
//! `-m`, the caller's ranges of /etc/subuid and /etc/subgid from 0; `-s` also maps the
//! caller's own uid and gid. Exits with COMMAND's status.
use crate::CliError;
use lxc_config::{IdKind, IdMap};
use std::ffi::CString;

/// Run a task as root in a new user namespace.
#[derive(argh::FromArgs, argh::ArgsInfo)]
#[argh(help_triggers("-h", "-?", "--help"))]
pub struct Args {
    /// an id map, u|g|b:NS_ID:HOST_ID:RANGE (repeatable; default: the ranges of /etc/subuid
    /// and /etc/subgid from 0)
    #[argh(option, short = 'm')]
    map: Vec<String>,
    /// also map the caller's own uid and gid
    #[argh(switch, short = 's')]
    map_self: bool,
    /// the command and its arguments (default: /bin/sh)
    #[argh(positional, greedy)]
    command: Vec<String>,
}

crate::no_common_options!(Args);

/// One `-m` value: one map, two for `b`.
fn parse_map(text: &str) -> Result<Vec<IdMap>, String> {
    let bad = || format!("bad map {text:?}: want u|g|b:NS_ID:HOST_ID:RANGE");
    let f: Vec<&str> = text.split(':').collect();
    let [kind, ns, host, range] = f[..] else {
        return Err(bad());
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let (container, host, range) = (num(ns)?, num(host)?, num(range)?);
    if range == 0
        || u64::from(container) + u64::from(range) > 1 << 32
        || u64::from(host) + u64::from(range) > 1 << 32
    {
        return Err(bad());
    }
    let kinds: &[IdKind] = match kind {
        "u" => &[IdKind::User],
        "g" => &[IdKind::Group],
        "b" => &[IdKind::User, IdKind::Group],
        _ => return Err(bad()),
    };
    Ok(kinds
        .iter()
        .map(|&kind| IdMap {
            kind,
            container,
            host,
            range,
        })
        .collect())
}

pub fn run(args: Args) -> Result<i32, CliError> {
    let mut maps = Vec::new();
    for m in &args.map {
        maps.extend(parse_map(m).map_err(CliError::usage)?);
    }
    if maps.is_empty() {
        maps = lxc_shim::usernsexec::default_maps().map_err(CliError::failed)?;
    }
    if args.map_self {
        lxc_shim::usernsexec::map_self(&mut maps);
    }
    let command = if args.command.is_empty() {
        vec!["/bin/sh".to_string()]
    } else {
        args.command
    };
    let argv = command
        .into_iter()
        .map(CString::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CliError::usage("the command contains a NUL byte"))?;
    lxc_shim::usernsexec::run(&maps, &argv).map_err(CliError::failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let both = parse_map("b:0:100000:65536").unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!((both[1].kind, both[1].host), (IdKind::Group, 100000));
        assert_eq!(parse_map("u:1:1000:1").unwrap()[0].container, 1);
        for bad in [
            "x:0:1:1",
            "u:0:1",
            "u:0:1:0",
            "u:a:1:1",
            "u:4294967295:0:2",
            "u:0:1:1:1",
        ] {
            assert!(parse_map(bad).is_err(), "{bad}");
        }
    }
}
