//! The container's freezer: cgroup2's `cgroup.freeze`, confirmed by `frozen 1` in
//! `cgroup.events` (which the kernel notifies with POLLPRI, so a waiting shim is woken rather
//! than polling), or the v1 freezer hierarchy's `freezer.state` (FREEZING until every task is
//! frozen, with no notification: it is looked at again on a timer).
use super::tree::{read_file, write_file, CgroupError};
use std::path::{Path, PathBuf};

/// v1 freezer state file.
pub const FREEZER_STATE: &str = "freezer.state";
/// v2 freeze request file.
pub const CGROUP_FREEZE: &str = "cgroup.freeze";
/// v2 event file (`populated`, `frozen`).
pub const CGROUP_EVENTS: &str = "cgroup.events";

/// Where the container's freezer lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freezer {
    /// The v1 freezer hierarchy's group.
    V1(PathBuf),
    /// The cgroup2 group.
    V2(PathBuf),
}

impl Freezer {
    /// `v1` or `v2`, as `info` reports it.
    pub fn version(&self) -> &'static str {
        match self {
            Freezer::V1(_) => "v1",
            Freezer::V2(_) => "v2",
        }
    }

    /// The group.
    pub fn dir(&self) -> &Path {
        match self {
            Freezer::V1(d) | Freezer::V2(d) => d,
        }
    }

    /// Asks for a freeze; it may take a while (see [`Freezer::is_frozen`]).
    pub fn freeze(&self) -> Result<(), CgroupError> {
        match self {
            Freezer::V1(d) => write_file(&d.join(FREEZER_STATE), "FROZEN"),
            Freezer::V2(d) => write_file(&d.join(CGROUP_FREEZE), "1"),
        }
    }

    /// Thaws.
    pub fn thaw(&self) -> Result<(), CgroupError> {
        match self {
            Freezer::V1(d) => write_file(&d.join(FREEZER_STATE), "THAWED"),
            Freezer::V2(d) => write_file(&d.join(CGROUP_FREEZE), "0"),
        }
    }

    /// Whether every task is frozen now: v1 `freezer.state` reads FROZEN (FREEZING while it
    /// takes); v2 `cgroup.events` says `frozen 1` (`cgroup.freeze` only holds the request).
    pub fn is_frozen(&self) -> Result<bool, CgroupError> {
        match self {
            Freezer::V1(d) => Ok(read_file(&d.join(FREEZER_STATE))?.trim() == "FROZEN"),
            Freezer::V2(d) => {
                let events = read_file(&d.join(CGROUP_EVENTS))?;
                Ok(parse_events(&events, "frozen") == Some(1))
            }
        }
    }

    /// The file whose changes the kernel signals with POLLPRI (v2 only).
    pub fn events_file(&self) -> Option<PathBuf> {
        match self {
            Freezer::V1(_) => None,
            Freezer::V2(d) => Some(d.join(CGROUP_EVENTS)),
        }
    }
}

/// A value of `cgroup.events` (`populated 1\nfrozen 0\n`).
pub fn parse_events(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        assert_eq!(parse_events("populated 1\nfrozen 0\n", "frozen"), Some(0));
        assert_eq!(parse_events("populated 1\nfrozen 1\n", "frozen"), Some(1));
        assert_eq!(parse_events("populated 0\n", "frozen"), None);
    }
}
