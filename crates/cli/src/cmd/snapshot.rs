//! `lxc-snapshot -n NAME [-c COMMENTFILE] | -L [-C] | -r SNAP [-N NEWNAME] | -d SNAP|ALL`:
//! snapshots of a stopped container, stored as LXC stores them: each a full copy, a container
//! `snapN` of the lxcpath `LXCPATH/NAME/snaps`, with its time in `ts` and its comment in
//! `comment`.
use crate::clone::{self, Kind, Opts};
use crate::container::{stored_names, Container};
use crate::CliError;
use std::fs;
use std::path::PathBuf;

crate::command!(
    required,
    /// Snapshot a container, list, restore or destroy its snapshots.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// list the snapshots
        #[argh(switch, short = 'L', long = "list")]
        list: bool,
        /// with -L: show each snapshot's comment
        #[argh(switch, short = 'C', long = "showcomments")]
        showcomments: bool,
        /// a file whose text is stored as the new snapshot's comment
        #[argh(option, short = 'c', long = "comment")]
        comment: Option<PathBuf>,
        /// restore snapshot SNAP over the container (or as NEWNAME with -N)
        #[argh(option, short = 'r', long = "restore")]
        restore: Option<String>,
        /// with -r: the name of a new container to restore into
        #[argh(option, short = 'N', long = "newname")]
        newname: Option<String>,
        /// destroy snapshot SNAP (ALL: every one)
        #[argh(option, short = 'd', long = "destroy")]
        destroy: Option<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    if !ct.is_created() {
        return Err(ct.doesnt_exist());
    }
    let snaps = ct.dir().join("snaps");
    let actions = [args.list, args.restore.is_some(), args.destroy.is_some()];
    if actions.iter().filter(|a| **a).count() > 1 {
        return Err(CliError::usage("-L, -r and -d exclude each other"));
    }
    if args.newname.is_some() && args.restore.is_none() {
        return Err(CliError::usage("-N is for -r"));
    }
    if args.list {
        let names = snapshot_names(&snaps);
        if names.is_empty() {
            println!("No snapshots");
        }
        for n in names {
            let dir = snaps.join(&n);
            let ts = fs::read_to_string(dir.join("ts")).unwrap_or_default();
            println!("{n} ({}) {}", snaps.display(), ts.trim());
            if args.showcomments {
                if let Ok(c) = fs::read_to_string(dir.join("comment")) {
                    print!("{c}");
                    if !c.ends_with('\n') {
                        println!();
                    }
                }
            }
        }
        return Ok(0);
    }
    if let Some(which) = &args.destroy {
        let victims = if which == "ALL" {
            snapshot_names(&snaps)
        } else {
            Container::new(which, Some(&snaps))?;
            if !snaps.join(which).join("config").is_file() {
                return Err(CliError::failed(format!("no snapshot {which}")));
            }
            vec![which.clone()]
        };
        for v in victims {
            fs::remove_dir_all(snaps.join(&v)).map_err(|e| {
                CliError::failed(format!("remove snapshot {v}: {}", lxc_proto::strerror(&e)))
            })?;
        }
        if snapshot_names(&snaps).is_empty() {
            let _ = fs::remove_dir(&snaps);
        }
        return Ok(0);
    }
    if ct.runs_under_lxc() {
        return Err(ct.under_lxc_error("left alone"));
    }
    let stopped = matches!(ct.state()?, None | Some(lxc_proto::State::Stopped));
    if let Some(which) = &args.restore {
        let snap = Container::new(which, Some(&snaps))?;
        if !snap.is_created() {
            return Err(CliError::failed(format!("no snapshot {which}")));
        }
        let opts = |into_existing, keep_name| Opts {
            kind: Kind::Full,
            keep_name,
            keep_mac: true,
            ephemeral: false,
            into_existing,
        };
        if let Some(new) = &args.newname {
            let dst = Container::new(new, Some(&ct.lxcpath))?;
            return clone::copy(&snap, &dst, opts(false, false)).map(|_| 0);
        }
        if !stopped {
            return Err(CliError::failed("is running; stop it first"));
        }
        return restore_over(&ct, &snap, opts(true, true));
    }
    if !stopped {
        return Err(CliError::failed("is running; stop it first"));
    }
    let comment = match &args.comment {
        Some(file) => Some(fs::read_to_string(file).map_err(|e| {
            CliError::failed(format!(
                "read {}: {}",
                file.display(),
                lxc_proto::strerror(&e)
            ))
        })?),
        None => None,
    };
    fs::create_dir_all(&snaps).map_err(|e| {
        CliError::failed(format!(
            "create {}: {}",
            snaps.display(),
            lxc_proto::strerror(&e)
        ))
    })?;
    let index = (0..)
        .find(|i| !snaps.join(format!("snap{i}")).exists())
        .unwrap_or(0);
    let snap = Container::new(&format!("snap{index}"), Some(&snaps))?;
    clone::copy(
        &ct,
        &snap,
        Opts {
            kind: Kind::Full,
            keep_name: true,
            keep_mac: true,
            ephemeral: false,
            into_existing: false,
        },
    )?;
    let mut written = fs::write(snap.dir().join("ts"), format!("{}\n", timestamp()));
    if let (Some(c), Ok(())) = (&comment, &written) {
        written = fs::write(snap.dir().join("comment"), c);
    }
    if let Err(e) = written {
        let _ = fs::remove_dir_all(snap.dir());
        return Err(CliError::failed(format!(
            "write the snapshot's time: {}",
            lxc_proto::strerror(&e)
        )));
    }
    log::info!("snapshot {}", snap.dir().display());
    Ok(0)
}

/// The container's rootfs and config replaced by the snapshot's; its snapshots stay. The old
/// ones are moved aside first and come back if the copy fails.
fn restore_over(ct: &Container, snap: &Container, opts: Opts) -> Result<i32, CliError> {
    let dir = ct.dir();
    let aside = |n: &str| dir.join(format!(".{n}.before-restore"));
    // An overlay clone restored from a (full) snapshot is a clone no more: its delta and its
    // link to the original go too.
    let origin = clone::origin_of(&dir);
    let moved: Vec<&str> = [
        "rootfs",
        "config",
        clone::DELTA,
        clone::WORK,
        clone::RDEPENDS_FILE,
    ]
    .into_iter()
    .filter(|n| dir.join(n).exists())
    .collect();
    for n in &moved {
        fs::rename(dir.join(n), aside(n)).map_err(|e| {
            CliError::failed(format!("move {n} aside: {}", lxc_proto::strerror(&e)))
        })?;
    }
    match clone::copy(snap, ct, opts) {
        Ok(()) => {
            for n in &moved {
                let _ = fs::remove_dir_all(aside(n)).or_else(|_| fs::remove_file(aside(n)));
            }
            if let Some((origin, _)) = origin {
                clone::forget_clone(&origin, ct);
            }
            Ok(0)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(dir.join("rootfs"));
            for n in &moved {
                let _ = fs::rename(aside(n), dir.join(n));
            }
            Err(e)
        }
    }
}

/// `snap0`, `snap1`, ... in number order.
fn snapshot_names(snaps: &std::path::Path) -> Vec<String> {
    let mut names: Vec<(u64, String)> = stored_names(snaps)
        .into_iter()
        .filter_map(|n| n.strip_prefix("snap")?.parse().ok().map(|i| (i, n.clone())))
        .collect();
    names.sort();
    names.into_iter().map(|(_, n)| n).collect()
}

/// LXC's `YYYY:MM:DD HH:MM:SS`, UTC.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86400, secs % 86400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}:{m:02}:{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
