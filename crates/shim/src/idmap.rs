//! User namespaces (`lxc.idmap`): the container's init is cloned into a user namespace of its
//! own, and before it sets anything up the shim writes its uid and gid maps: itself when it
//! runs as root (`/proc/PID/uid_map`), else through newuidmap/newgidmap, which check the
//! ranges against /etc/subuid and /etc/subgid. The init then becomes the namespace's root
//! (an unprivileged uid on the host). The container's cgroups are given to that uid
//! (delegated), and a rootfs whose owner the map leaves out is shown through an idmapped
//! mount (made by the shim, attached by the init) where kernel and filesystem allow it.
//! Nothing here runs for a container without `lxc.idmap`.
use crate::init_channel::{FromInit, InitEnd, Received, ShimEnd, ToInit};
use crate::sys;
use lxc_config::{IdKind, IdMap, NetType, Settings};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::{Gid, Pid, Uid};
use std::ffi::CString;
use std::fmt::Write as _;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A container's user namespace, decided before the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserNs {
    pub maps: Vec<IdMap>,
    /// The host uid and gid of the container's root.
    pub root_uid: u32,
    pub root_gid: u32,
    /// The rootfs, when its owner is not mapped: shown through an idmapped mount.
    pub idmapped_rootfs: Option<PathBuf>,
}

/// The host id that container id `id` of `kind` is, if the maps map it.
pub fn to_host(maps: &[IdMap], kind: IdKind, id: u32) -> Option<u32> {
    maps.iter()
        .filter(|m| m.kind == kind)
        .find(|m| id >= m.container && u64::from(id) < u64::from(m.container) + u64::from(m.range))
        .map(|m| m.host + (id - m.container))
}

/// Whether host id `id` of `kind` is inside one of the maps' host ranges.
pub fn maps_host(maps: &[IdMap], kind: IdKind, id: u32) -> bool {
    maps.iter()
        .filter(|m| m.kind == kind)
        .any(|m| id >= m.host && u64::from(id) < u64::from(m.host) + u64::from(m.range))
}

/// `kind`'s lines in the form of /proc/PID/uid_map (and of newuidmap's arguments).
fn lines(maps: &[IdMap], kind: IdKind) -> Vec<[u32; 3]> {
    maps.iter()
        .filter(|m| m.kind == kind)
        .map(|m| [m.container, m.host, m.range])
        .collect()
}

/// The user namespace `settings` ask for (none without `lxc.idmap`). Both the container's
/// root user and group must be mapped. A rootfs owned by an id the map leaves out needs an
/// idmapped mount, which only root can make: an unprivileged start is refused, saying how to
/// give the rootfs to the container's root.
#[inline(never)]
pub fn plan(settings: &Settings, privileged: bool) -> Result<Option<UserNs>, String> {
    let maps = &settings.idmaps;
    if maps.is_empty() && !privileged {
        return Err(format!(
            "an unprivileged container needs lxc.idmap lines: {}",
            suggest_maps()
        ));
    }
    if maps.is_empty() {
        return Ok(None);
    }
    if !privileged {
        // veth, macvlan and phys need the host's network: LXC has a setuid helper for veth
        // (lxc-user-nic); we have none.
        if let Some(n) = settings
            .networks
            .iter()
            .find(|n| !matches!(n.kind, NetType::Empty | NetType::None))
        {
            return Err(format!(
                "lxc.net.{}.type = {}: an unprivileged container can have only `empty` or `none` networks",
                n.index,
                n.kind
            ));
        }
    }
    let root_uid = to_host(maps, IdKind::User, 0)
        .ok_or("lxc.idmap: no map of the container's root user (a line `u 0 HOST_ID RANGE`)")?;
    let root_gid = to_host(maps, IdKind::Group, 0)
        .ok_or("lxc.idmap: no map of the container's root group (a line `g 0 HOST_ID RANGE`)")?;
    let mut idmapped_rootfs = None;
    if let Some(rootfs) = settings.rootfs.as_deref().map(Path::new) {
        // A missing rootfs is the init's to report, as without a user namespace.
        if let Ok(meta) = std::fs::metadata(rootfs) {
            if !maps_host(maps, IdKind::User, meta.uid()) {
                if !privileged {
                    return Err(unmapped_rootfs(
                        rootfs,
                        meta.uid(),
                        root_uid,
                        root_gid,
                        None,
                    ));
                }
                idmapped_rootfs = Some(rootfs.to_path_buf());
            }
        }
    }
    Ok(Some(UserNs {
        maps: maps.clone(),
        root_uid,
        root_gid,
        idmapped_rootfs,
    }))
}

/// The maps to write for this user, from its first ranges in /etc/subuid and /etc/subgid.
fn suggest_maps() -> String {
    match crate::subid::own_ranges() {
        Some(((u, un), (g, gn))) => format!(
            "lxc.idmap = u 0 {u} {un} and lxc.idmap = g 0 {g} {gn} (from /etc/subuid and /etc/subgid)"
        ),
        None => "and this user has no range in /etc/subuid and /etc/subgid (usermod --add-subuids, --add-subgids)".into(),
    }
}

/// Why a rootfs cannot be used as it is, and the fix.
fn unmapped_rootfs(rootfs: &Path, owner: u32, uid: u32, gid: u32, why: Option<&str>) -> String {
    let how = match why {
        Some(why) => format!("and cannot be shown through an idmapped mount here ({why})"),
        None => "and only root can make an idmapped mount".into(),
    };
    format!(
        "rootfs {r} is owned by host uid {owner}, which lxc.idmap does not map, {how}: give \
         it to the container's root first, as root `chown -R {uid}:{gid} {r}` for a rootfs \
         whose files are all root's, or shift every owner into the container's range (e.g. \
         `lxc-usernsexec -m b:0:{uid}:65536 -- cp -a SOURCE {r}` run by a user owning that range)",
        r = rootfs.display()
    )
}

/// Writes the maps of the user namespace of `pid` (just cloned, waiting for them). Root
/// writes them itself; anyone else has newuidmap and newgidmap check them against
/// /etc/subuid and /etc/subgid.
pub fn write_maps(pid: Pid, maps: &[IdMap]) -> Result<(), String> {
    for kind in [IdKind::User, IdKind::Group] {
        // Chosen in code, not from an array of `&str` (no relocations: docs/CONVENTIONS.md).
        let (file, helper) = match kind {
            IdKind::User => ("uid_map", "newuidmap"),
            IdKind::Group => ("gid_map", "newgidmap"),
        };
        let lines = lines(maps, kind);
        if nix::unistd::geteuid().is_root() {
            let mut text = String::new();
            for [c, h, r] in &lines {
                let _ = writeln!(text, "{c} {h} {r}");
            }
            let path = format!("/proc/{pid}/{file}");
            std::fs::write(&path, text)
                .map_err(|e| format!("write {path}: {}", lxc_proto::strerror(&e)))?;
        } else {
            run_map_helper(helper, pid, &lines)?;
        }
    }
    Ok(())
}

/// `newuidmap PID C H R...` (or newgidmap), waited for; its complaint becomes the error.
pub fn run_map_helper(helper: &str, pid: Pid, lines: &[[u32; 3]]) -> Result<(), String> {
    let mut cmd = Command::new(helper);
    cmd.arg(pid.to_string());
    for line in lines {
        cmd.args(line.iter().map(u32::to_string));
    }
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("run {helper} (package uidmap): {}", lxc_proto::strerror(&e)))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let text = lxc_proto::shorten(text.trim(), 500);
    Err(format!("{helper} {pid}: {}", lxc_proto::printable(&text)))
}

/// The rootfs shown through an idmapped mount with the container's own id mapping (its files
/// of host uid 0 are the container's root's): a detached mount for the init to attach.
pub fn idmapped_rootfs(pid: Pid, ns: &UserNs) -> Result<Option<OwnedFd>, String> {
    let Some(rootfs) = &ns.idmapped_rootfs else {
        return Ok(None);
    };
    let path = CString::new(rootfs.as_os_str().as_bytes())
        .map_err(|_| "lxc.rootfs.path contains a NUL byte".to_string())?;
    let userns_path = format!("/proc/{pid}/ns/user");
    let userns = std::fs::File::open(&userns_path)
        .map_err(|e| format!("open {userns_path}: {}", lxc_proto::strerror(&e)))?;
    let owner = std::fs::metadata(rootfs).map(|m| m.uid()).unwrap_or(0);
    let refuse = |what: &str, e: Errno| {
        let why = format!("{what}: {}", e.desc());
        unmapped_rootfs(rootfs, owner, ns.root_uid, ns.root_gid, Some(&why))
    };
    let tree = sys::clone_mount(&path).map_err(|e| refuse("open_tree", e))?;
    sys::idmap_mount(tree.as_fd(), userns.as_fd()).map_err(|e| refuse("mount_setattr", e))?;
    Ok(Some(tree))
}

/// How long the shim waits for a new init to ask for its maps (it asks first thing).
const ASK_TIMEOUT_MS: u16 = 10_000;

/// The shim's side of the id-map step, right after the clone: waits for the init to ask,
/// writes the maps, makes the idmapped rootfs if there is to be one, and answers with it.
// Not inlined: its frame would deepen payload::start's, where every init is cloned.
#[inline(never)]
pub fn serve_init(pid: Pid, ns: &UserNs, chan: &ShimEnd) -> Result<(), String> {
    let lost = || "the container's init ended before its id maps were written".to_string();
    loop {
        let mut fds = [PollFd::new(chan.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ASK_TIMEOUT_MS)) {
            Ok(0) => return Err("the container's init did not ask for its id maps".into()),
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("wait on the init channel: {}", e.desc())),
        }
        match chan.try_recv() {
            Ok(Received::Message(FromInit::NeedIdMap, _)) => break,
            Ok(Received::Empty) => continue,
            Ok(Received::Message(FromInit::SetupFailed { step, errno }, _)) => {
                let step = lxc_proto::shorten(&step, 1000);
                return Err(format!("{step}: {}", Errno::from_raw(errno).desc()));
            }
            Ok(Received::Message(..)) | Ok(Received::Malformed(_)) | Ok(Received::Closed) => {
                return Err(lost())
            }
            Err(e) => {
                return Err(format!(
                    "read the init channel: {}",
                    lxc_proto::strerror(&e)
                ))
            }
        }
    }
    write_maps(pid, &ns.maps)?;
    let tree = idmapped_rootfs(pid, ns)?;
    let fds: Vec<_> = tree.iter().map(AsFd::as_fd).collect();
    chan.send_with_fds(ToInit::IdMapWritten, &fds)
        .map_err(|e| format!("tell the init: {}", lxc_proto::strerror(&e)))
}

/// In the init, first thing: asks for the maps, waits, and becomes the namespace's root; what
/// comes back is the idmapped rootfs, if there is one. The shim gone: the init ends (125).
pub fn enter(chan: &InitEnd) -> Result<Option<OwnedFd>, (String, Errno)> {
    let tree = chan.wait_for_idmap().unwrap_or_else(|_| sys::exit_now(125));
    become_root()?;
    Ok(tree)
}

/// In the init, once the maps are written: becomes the namespace's root (it was cloned with
/// the shim's ids, which the namespace does not map) with no supplementary groups.
pub fn become_root() -> Result<(), (String, Errno)> {
    // Refused where setgroups is denied (newgidmap may deny it): no groups to drop then.
    match nix::unistd::setgroups(&[]) {
        Ok(()) | Err(Errno::EPERM) => {}
        Err(e) => return Err(("drop the supplementary groups".into(), e)),
    }
    let g = Gid::from_raw(0);
    nix::unistd::setresgid(g, g, g)
        .map_err(|e| ("become the user namespace's root group".into(), e))?;
    let by_user = !nix::unistd::geteuid().is_root();
    let u = Uid::from_raw(0);
    nix::unistd::setresuid(u, u, u).map_err(|e| ("become the user namespace's root".into(), e))?;
    // The change of ids made the init non-dumpable, which keeps a regular user's network
    // helper out of its namespaces (/proc/PID/ns); the init is the user's own. It makes itself
    // non-dumpable again before COMMAND starts.
    if by_user {
        nix::sys::prctl::set_dumpable(true).map_err(|e| ("make the init dumpable".into(), e))?;
    }
    Ok(())
}

/// In the init, after its mounts were made private: attaches the idmapped rootfs over the
/// rootfs, where the rest of the set-up finds it.
pub fn attach_rootfs(tree: OwnedFd, rootfs: Option<&Path>) -> Result<(), (String, Errno)> {
    let Some(rootfs) = rootfs else {
        return Ok(());
    };
    let step = || format!("attach the idmapped rootfs at {}", rootfs.display());
    let path = CString::new(rootfs.as_os_str().as_bytes()).map_err(|_| (step(), Errno::EINVAL))?;
    sys::attach_mount(tree.as_fd(), &path).map_err(|e| (step(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kind: IdKind, container: u32, host: u32, range: u32) -> IdMap {
        IdMap {
            kind,
            container,
            host,
            range,
        }
    }

    #[test]
    fn ids_through_the_maps() {
        let maps = [
            map(IdKind::User, 0, 100000, 1000),
            map(IdKind::User, 1000, 1000, 1),
            map(IdKind::Group, 0, 200000, 65536),
        ];
        assert_eq!(to_host(&maps, IdKind::User, 0), Some(100000));
        assert_eq!(to_host(&maps, IdKind::User, 999), Some(100999));
        assert_eq!(to_host(&maps, IdKind::User, 1000), Some(1000));
        assert_eq!(to_host(&maps, IdKind::User, 1001), None);
        assert_eq!(to_host(&maps, IdKind::Group, 0), Some(200000));
        assert!(maps_host(&maps, IdKind::User, 100999) && !maps_host(&maps, IdKind::User, 0));
        // Ranges that reach the top of the id space do not overflow.
        let top = [map(IdKind::User, 0, u32::MAX, 1)];
        assert!(maps_host(&top, IdKind::User, u32::MAX));
        assert_eq!(lines(&maps, IdKind::Group), [[0, 200000, 65536]]);
    }

    #[test]
    fn plans() {
        let mut s = Settings::default();
        assert_eq!(plan(&s, true).unwrap(), None);
        s.idmaps = vec![map(IdKind::User, 0, 100000, 65536)];
        let e = plan(&s, true).unwrap_err();
        assert!(e.contains("root group"), "{e}");
        s.idmaps.push(map(IdKind::Group, 0, 100000, 65536));
        let ns = plan(&s, true).unwrap().unwrap();
        assert_eq!(
            (ns.root_uid, ns.root_gid, ns.idmapped_rootfs),
            (100000, 100000, None)
        );
        // A rootfs of host root's: idmapped for root, refused with the fix for anyone else.
        s.rootfs = Some("/".into());
        let ns = plan(&s, true).unwrap().unwrap();
        assert_eq!(ns.idmapped_rootfs.as_deref(), Some(Path::new("/")));
        let e = plan(&s, false).unwrap_err();
        assert!(e.contains("chown -R 100000:100000 /"), "{e}");
    }
}
