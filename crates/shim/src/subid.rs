//! The calling user's name, home and subordinate id ranges (/etc/passwd, /etc/subuid,
//! /etc/subgid; shadow's subuid(5)). The files are read directly rather than through
//! getpwuid(3): in a static executable (the shim's) that would link glibc's NSS machinery into
//! every shim for a question only a regular user's commands ask; users of other databases
//! (LDAP) set `$HOME`, and /etc/subuid may name them by uid.
use std::path::PathBuf;

/// The entry of `uid` in /etc/passwd: its name and home.
pub fn passwd_entry(uid: u32) -> Option<(String, PathBuf)> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[2].parse() == Ok(uid)).then(|| (f[0].to_string(), PathBuf::from(f[5])))
    })
}

/// The first range of the calling user (by name or uid) in `file` (/etc/subuid's format).
fn own_range(file: &str) -> Option<(u32, u32)> {
    let uid = nix::unistd::geteuid().as_raw();
    let name = passwd_entry(uid).map(|(name, _)| name);
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let who = f.next()?;
        let (start, count) = (f.next()?.parse().ok()?, f.next()?.parse().ok()?);
        let ours = Some(who) == name.as_deref() || who == uid.to_string();
        (ours && count > 0).then_some((start, count))
    })
}

/// The calling user's first ranges: (uid start, count), (gid start, count).
pub fn own_ranges() -> Option<((u32, u32), (u32, u32))> {
    Some((own_range("/etc/subuid")?, own_range("/etc/subgid")?))
}
