//! The calling user's subordinate id ranges (/etc/subuid, /etc/subgid; shadow's subuid(5)).

/// The first range of the calling user (by name or uid) in `file` (/etc/subuid's format).
fn own_range(file: &str) -> Option<(u32, u32)> {
    let uid = nix::unistd::geteuid();
    let name = nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name);
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let who = f.next()?;
        let (start, count) = (f.next()?.parse().ok()?, f.next()?.parse().ok()?);
        let ours = Some(who) == name.as_deref() || who == uid.as_raw().to_string();
        (ours && count > 0).then_some((start, count))
    })
}

/// The calling user's first ranges: (uid start, count), (gid start, count).
pub fn own_ranges() -> Option<((u32, u32), (u32, u32))> {
    Some((own_range("/etc/subuid")?, own_range("/etc/subgid")?))
}
