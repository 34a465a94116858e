//! `lxc-copy -n NAME [-N NEWNAME] [-p NEWPATH] [-s] [-B dir|overlay] [-K] [-M] [-e [-D] [-F]]`:
//! a copy of a stopped container, as LXC's: full (`-B dir`, the default), or an overlay
//! snapshot clone (`-s`, or `-B overlay`), or an ephemeral container (`-e`: an overlay clone
//! started at once and destroyed when it stops). See `crate::clone`.
use crate::clone::{self, Kind, Opts};
use crate::container::Container;
use crate::CliError;
use std::path::PathBuf;
use std::process::Command;

crate::command!(
    required,
    /// Copy a container: a full copy, an overlay snapshot clone, or an ephemeral container.
    pub struct Args {
        /// the container to copy (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// name of the copy (with -e: default NAME-XXXXXX)
        #[argh(option, short = 'N', long = "newname")]
        newname: Option<String>,
        /// lxcpath of the copy (default: the original's)
        #[argh(option, short = 'p', long = "newpath")]
        newpath: Option<PathBuf>,
        /// an overlay snapshot clone: the original's rootfs under a delta of its own
        #[argh(switch, short = 's', long = "snapshot")]
        snapshot: bool,
        /// backing store of the copy: dir (a full copy) or overlay (as -s)
        #[argh(option, short = 'B', long = "backingstorage")]
        backingstorage: Option<String>,
        /// keep the hostname (lxc.uts.name)
        #[argh(switch, short = 'K', long = "keepname")]
        keepname: bool,
        /// keep the MAC addresses
        #[argh(switch, short = 'M', long = "keepmac")]
        keepmac: bool,
        /// ephemeral: an overlay clone, started now, destroyed when it stops
        #[argh(switch, short = 'e', long = "ephemeral")]
        ephemeral: bool,
        /// with -e: keep the copy when it stops
        #[argh(switch, short = 'D', long = "keepdata")]
        keepdata: bool,
        /// with -e: start it in the foreground (lxc-start -F)
        #[argh(switch, short = 'F', long = "foreground")]
        foreground: bool,
        /// with -e: start it in the background (the default)
        #[argh(switch, short = 'd', long = "daemon")]
        daemon: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let src = Container::new(&args.name, args.lxcpath.as_ref())?;
    let kind = match (
        args.backingstorage.as_deref(),
        args.snapshot || args.ephemeral,
    ) {
        (None, false) | (Some("dir"), false) => Kind::Full,
        (None, true) | (Some("overlay" | "overlayfs"), _) => Kind::Overlay,
        (Some("dir"), true) => {
            return Err(CliError::usage(
                "-s and -e make an overlay clone: -B dir does not go with them",
            ))
        }
        (Some(other), _) => {
            return Err(CliError::failed(format!(
                "-B {}: not supported yet (dir, overlay)",
                lxc_proto::printable(&lxc_proto::shorten(other, 32))
            )))
        }
    };
    if !args.ephemeral && (args.keepdata || args.foreground || args.daemon) {
        return Err(CliError::usage("-D, -F and -d are for -e"));
    }
    if args.foreground && args.daemon {
        return Err(CliError::usage("-d and -F exclude each other"));
    }
    let newname = match (&args.newname, args.ephemeral) {
        (Some(n), _) => n.clone(),
        (None, true) => format!("{}-{}", args.name, random_suffix()?),
        (None, false) => return Err(CliError::usage("the copy's name is missing: -N NEWNAME")),
    };
    let newpath = args.newpath.clone().unwrap_or_else(|| src.lxcpath.clone());
    let dst = Container::new(&newname, Some(&newpath))?;
    if !src.is_created() {
        return Err(src.doesnt_exist());
    }
    if src.runs_under_lxc() {
        return Err(src.under_lxc_error("not copied"));
    }
    if !matches!(src.state()?, None | Some(lxc_proto::State::Stopped)) {
        return Err(CliError::failed("is running; stop it first"));
    }
    if dst.is_created() || dst.dir().exists() {
        return Err(CliError {
            names_container: true,
            ..CliError::failed(format!("{newname} already exists"))
        });
    }
    clone::copy(
        &src,
        &dst,
        Opts {
            kind,
            keep_name: args.keepname,
            keep_mac: args.keepmac,
            ephemeral: args.ephemeral && !args.keepdata,
            into_existing: false,
        },
    )?;
    log::info!("copied {} to {}", src.dir().display(), dst.dir().display());
    if !args.ephemeral {
        return Ok(0);
    }
    if args.newname.is_none() {
        println!("{newname}");
    }
    let exe = std::env::current_exe().map_err(|e| {
        CliError::failed(format!("find own executable: {}", lxc_proto::strerror(&e)))
    })?;
    let mut start = Command::new(exe.with_file_name("lxc-start"));
    start
        .arg("-n")
        .arg(&newname)
        .arg("-P")
        .arg(&newpath)
        .arg(if args.foreground { "-F" } else { "-d" });
    if let Some(log) = &args.logfile {
        start.arg("-o").arg(log);
    }
    if let Some(level) = &args.loglevel {
        start.arg("-l").arg(level);
    }
    let status = start
        .status()
        .map_err(|e| CliError::failed(format!("run lxc-start: {}", lxc_proto::strerror(&e))))?;
    let code = status.code().unwrap_or(1);
    // A start that failed leaves no ephemeral copy behind (the shim removes it after a run).
    if code != 0
        && !args.keepdata
        && dst.dir().exists()
        && dst.state()? != Some(lxc_proto::State::Running)
    {
        clone::forget_clone(&src.dir(), &dst);
        let _ = std::fs::remove_dir_all(dst.dir());
    }
    Ok(code)
}

/// Six random lowercase letters and digits.
fn random_suffix() -> Result<String, CliError> {
    let mut b = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .map_err(|e| CliError::failed(format!("read /dev/urandom: {}", lxc_proto::strerror(&e))))?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    Ok(b.iter()
        .map(|x| {
            char::from(
                ALPHABET
                    .get(usize::from(*x) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'x'),
            )
        })
        .collect())
}
