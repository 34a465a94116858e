//! The container's OOM kills, noticed at once: on v1 an eventfd registered on the memory
//! group's `memory.oom_control` through `cgroup.event_control`, on cgroup2 the POLLPRI the
//! kernel raises on `memory.events`; both sources sit in the shim's loop. On each wake the
//! kernel's own count (`oom_kill`) is read: only a count that grew is news (the v1 eventfd
//! also fires for an OOM that reclaim resolved without a kill).
use super::files::Want;
use super::{stats, ContainerCgroup};
use crate::sources::{Source, Sources};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::sys::eventfd::{EfdFlags, EventFd};
use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::{AsFd, AsRawFd};

/// What wakes the loop.
enum Wake {
    /// v1: the eventfd, and the `memory.oom_control` it listens on (kept open for it).
    V1 { efd: EventFd, _control: File },
    /// cgroup2: `memory.events`, read again after each wake to re-arm it.
    V2(File),
}

/// One container's OOM watch.
pub struct OomWatch {
    pub token: Token,
    wake: Wake,
    kills: u64,
    rechecks: u32,
}

/// Registers the watch, if the container has a memory group; a failure only costs the
/// events (logged), never the start.
pub fn watch(cg: &ContainerCgroup, registry: &Registry, sources: &mut Sources) -> Option<OomWatch> {
    let wake = match v1(cg) {
        Some(w) => w,
        None => {
            let path = cg.locate(Want::V2, "memory.events").ok()?.path;
            Wake::V2(File::open(path).ok()?)
        }
    };
    let token = sources.add(Source::Oom);
    let (fd, interest) = match &wake {
        Wake::V1 { efd, .. } => (efd.as_fd().as_raw_fd(), Interest::READABLE),
        Wake::V2(f) => (f.as_raw_fd(), Interest::PRIORITY),
    };
    if let Err(e) = registry.register(&mut SourceFd(&fd), token, interest) {
        sources.remove(token);
        log::warn!("watch for OOM kills: {}", lxc_proto::strerror(&e));
        return None;
    }
    Some(OomWatch {
        token,
        wake,
        kills: stats::oom_kills(cg).unwrap_or(0),
        rechecks: 0,
    })
}

fn v1(cg: &ContainerCgroup) -> Option<Wake> {
    let control_path = cg.locate(Want::V1, "memory.oom_control").ok()?.path;
    let control = File::open(&control_path).ok()?;
    let efd =
        EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK).ok()?;
    let event_control = control_path.with_file_name("cgroup.event_control");
    let line = format!("{} {}", efd.as_fd().as_raw_fd(), control.as_raw_fd());
    if let Err(e) = super::files::write(&event_control, &line) {
        log::warn!("watch for OOM kills: {e}");
        return None;
    }
    Some(Wake::V1 {
        efd,
        _control: control,
    })
}

impl OomWatch {
    /// The loop woke for this watch: takes the wakeup (re-arming it), then counts.
    pub fn on_event(&mut self, cg: &ContainerCgroup) -> Option<u64> {
        match &mut self.wake {
            Wake::V1 { efd, .. } => {
                let _ = efd.read();
            }
            Wake::V2(f) => {
                let mut buf = [0u8; 512];
                let _ = f.rewind().and_then(|_| f.read(&mut buf));
            }
        }
        self.rechecks = 0;
        self.check(cg)
    }

    /// The new total of OOM kills, if it grew since last asked.
    pub fn check(&mut self, cg: &ContainerCgroup) -> Option<u64> {
        let now = stats::oom_kills(cg)?;
        if now <= self.kills {
            return None;
        }
        self.kills = now;
        Some(now)
    }

    /// When to look again after a wake (v1 notifies when the group runs out of memory, before
    /// the OOM killer has picked and counted its victim): 10 ms, doubling, 2.5 s in all.
    pub fn next_recheck(&mut self) -> Option<std::time::Duration> {
        if self.rechecks >= RECHECKS {
            return None;
        }
        let delay = std::time::Duration::from_millis(10 << self.rechecks);
        self.rechecks += 1;
        Some(delay)
    }
}

/// How many times a wake is followed by another look.
const RECHECKS: u32 = 8;
