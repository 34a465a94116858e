//! The container's process settings, applied by its init: `lxc.proc.oom_score_adj` (written
//! to /proc/self before anything else, inherited by COMMAND), `lxc.prlimit.*` (setrlimit on
//! the init, so on COMMAND and everything after it) and `lxc.sysctl.*` (written inside the
//! container's namespaces once it is set up: after the shim's `go`, so a network's interfaces
//! exist). /proc/sys is opened before the rootfs is set up and written through that
//! descriptor later: the container's own /proc may be read-only there (`proc:mixed`) or
//! absent, and sysctls resolve against the writer's namespaces, not the mount's. Only
//! namespaced sysctls are taken: anything else would change the host.
use lxc_config::{Limit, Settings};
use nix::errno::Errno;
use nix::fcntl::{open, openat, OFlag};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::stat::Mode;
use std::ffi::CString;
use std::os::fd::OwnedFd;

/// What the init applies; empty (nothing allocated) for a container that sets none.
#[derive(Debug, Default, Clone)]
pub struct Tunables {
    oom_score_adj: Option<String>,
    prlimits: Vec<(Resource, u64, u64, String)>,
    /// (path below /proc/sys, value, `lxc.sysctl.KEY = "VALUE"` for messages)
    sysctls: Vec<(CString, String, String)>,
}

/// A failed step: what was tried, and the kernel's errno.
type StepError = (String, Errno);

impl Tunables {
    /// From the config; a key that cannot be applied here is refused with why.
    pub fn plan(settings: &Settings, own_netns: bool) -> Result<Tunables, String> {
        let mut t = Tunables::default();
        for raw in settings
            .other
            .iter()
            .filter(|r| r.key.starts_with("lxc.proc."))
        {
            if raw.key != "lxc.proc.oom_score_adj" {
                return Err(format!("{}: not supported yet", raw.key));
            }
            let ok = raw
                .value
                .parse::<i32>()
                .is_ok_and(|n| (-1000..=1000).contains(&n));
            if !ok {
                return Err(format!(
                    "{} = {:?}: not a number from -1000 to 1000",
                    raw.key,
                    lxc_proto::shorten(&raw.value, 64)
                ));
            }
            t.oom_score_adj = Some(raw.value.clone());
        }
        for p in &settings.prlimits {
            let resource = resource(&p.resource)
                .ok_or_else(|| format!("lxc.prlimit.{}: unknown resource", p.resource))?;
            let n = |l: Limit| match l {
                Limit::Unlimited => libc::RLIM_INFINITY,
                Limit::Value(v) => v,
            };
            let label = format!("lxc.prlimit.{} = {:?}", p.resource, p.value());
            t.prlimits.push((resource, n(p.soft), n(p.hard), label));
        }
        for s in &settings.sysctls {
            let label = format!(
                "lxc.sysctl.{} = {:?}",
                s.key,
                lxc_proto::shorten(&s.value, 64)
            );
            if let Some(why) = not_namespaced(&s.key, own_netns) {
                return Err(format!("lxc.sysctl.{}: {why}", s.key));
            }
            let path = CString::new(s.key.replace('.', "/"))
                .map_err(|_| format!("lxc.sysctl.{}: contains a NUL byte", s.key))?;
            t.sysctls.push((path, s.value.clone(), label));
        }
        Ok(t)
    }

    /// First thing in the init (the host's /proc still in place): its OOM score, and a
    /// descriptor of /proc/sys for the sysctls (none when there are none).
    pub fn apply_early(&self) -> Result<Option<OwnedFd>, StepError> {
        if let Some(value) = &self.oom_score_adj {
            let step = || format!("lxc.proc.oom_score_adj = {value:?}");
            let fd = open(
                "/proc/self/oom_score_adj",
                OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| (step(), e))?;
            nix::unistd::write(&fd, value.as_bytes()).map_err(|e| (step(), e))?;
        }
        if self.sysctls.is_empty() {
            return Ok(None);
        }
        let dir = open(
            "/proc/sys",
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| ("open /proc/sys".to_owned(), e))?;
        Ok(Some(dir))
    }

    /// Once the container is set up, right before COMMAND: the limits, then the sysctls.
    pub fn apply_late(&self, sysctl_dir: Option<&OwnedFd>) -> Result<(), StepError> {
        for (resource, soft, hard, label) in &self.prlimits {
            setrlimit(*resource, *soft, *hard).map_err(|e| (label.clone(), e))?;
        }
        let Some(dir) = sysctl_dir else {
            return Ok(());
        };
        for (path, value, label) in &self.sysctls {
            let fd = openat(
                dir,
                path.as_c_str(),
                OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| (label.clone(), e))?;
            nix::unistd::write(&fd, value.as_bytes()).map_err(|e| (label.clone(), e))?;
        }
        Ok(())
    }
}

/// getrlimit(2)'s resources by LXC's names (built by code: no static table of pointers).
fn resource(name: &str) -> Option<Resource> {
    Some(match name {
        "as" => Resource::RLIMIT_AS,
        "core" => Resource::RLIMIT_CORE,
        "cpu" => Resource::RLIMIT_CPU,
        "data" => Resource::RLIMIT_DATA,
        "fsize" => Resource::RLIMIT_FSIZE,
        "locks" => Resource::RLIMIT_LOCKS,
        "memlock" => Resource::RLIMIT_MEMLOCK,
        "msgqueue" => Resource::RLIMIT_MSGQUEUE,
        "nice" => Resource::RLIMIT_NICE,
        "nofile" => Resource::RLIMIT_NOFILE,
        "nproc" => Resource::RLIMIT_NPROC,
        "rss" => Resource::RLIMIT_RSS,
        "rtprio" => Resource::RLIMIT_RTPRIO,
        "rttime" => Resource::RLIMIT_RTTIME,
        "sigpending" => Resource::RLIMIT_SIGPENDING,
        "stack" => Resource::RLIMIT_STACK,
        _ => return None,
    })
}

/// Why sysctl `key` would not stay inside the container, if it would not: the IPC and UTS
/// ones are the container's own (it always has those namespaces), `net.*` only with a network
/// namespace of its own.
fn not_namespaced(key: &str, own_netns: bool) -> Option<&'static str> {
    let ipc_uts = ["kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue."];
    if ipc_uts.iter().any(|p| key.starts_with(p))
        || key == "kernel.hostname"
        || key == "kernel.domainname"
    {
        return None;
    }
    if key.starts_with("net.") {
        return (!own_netns).then_some(
            "the container shares the host's network namespace: this would change the host's",
        );
    }
    Some("not a namespaced sysctl: it would change the host's (only net.*, kernel.shm*, kernel.msg*, kernel.sem, kernel.hostname, kernel.domainname, fs.mqueue.*)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        lxc_config::parse_str(text, "t.conf").unwrap().settings
    }

    #[test]
    fn planned_and_refused() {
        let t = Tunables::plan(
            &settings(
                "lxc.prlimit.nofile = 512:1024\nlxc.limit.core = unlimited\n\
                 lxc.sysctl.net.ipv4.ip_forward = 1\nlxc.sysctl.kernel.msgmax = 4096\n\
                 lxc.proc.oom_score_adj = 500\n",
            ),
            true,
        )
        .unwrap();
        assert_eq!(t.oom_score_adj.as_deref(), Some("500"));
        assert_eq!(t.prlimits.len(), 2);
        assert_eq!(
            (t.prlimits[0].1, t.prlimits[0].2, t.prlimits[0].3.as_str()),
            (512, 1024, "lxc.prlimit.nofile = \"512:1024\"")
        );
        assert_eq!(t.prlimits[1].1, libc::RLIM_INFINITY);
        assert_eq!(t.sysctls[0].0.as_c_str(), c"net/ipv4/ip_forward");
        let refuse =
            |text: &str, own_netns| Tunables::plan(&settings(text), own_netns).unwrap_err();
        assert!(refuse("lxc.sysctl.net.ipv4.ip_forward = 1\n", false)
            .contains("shares the host's network namespace"));
        assert!(refuse("lxc.sysctl.vm.swappiness = 1\n", true).contains("not a namespaced sysctl"));
        assert!(refuse("lxc.proc.oom_score_adj = 5000\n", false).contains("-1000 to 1000"));
        assert_eq!(
            refuse("lxc.proc.setgroups = deny\n", false),
            "lxc.proc.setgroups: not supported yet"
        );
        assert!(Tunables::plan(&settings(""), false)
            .unwrap()
            .sysctls
            .is_empty());
    }
}
