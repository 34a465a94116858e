//! Container networking on rtnetlink, in a short-lived helper (`lxc-netsetup`) so that neither
//! tokio nor netlink-packet-route is linked into the long-lived shim, and no process that forks
//! container inits ever has a runtime's threads. Host-side work (create, enslave, move into the
//! container's namespace) runs on the main thread's runtime; work inside the namespace
//! (addresses, routes, up) runs on a thread that enters it and then does nothing else.
#![forbid(unsafe_code)]

mod error;
mod ops;
pub mod plan;

use error::NetError;
use lxc_proto::net::{Interface, PhysLink, SetupRequest, SetupResult, TeardownRequest};
use ops::Nl;
use plan::{format_mac, IfacePlan};
use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;

pub use error::NetError as Error;

fn random_byte() -> impl FnMut() -> u8 {
    let mut buf = [0u8; 64];
    let _ = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf));
    let mut i = 0;
    move || {
        i = (i + 1) % buf.len();
        buf[i]
    }
}

/// What setup made so far, undone when a later step fails.
#[derive(Default)]
struct Made {
    /// Host-side links we created (deleting a veth end deletes its peer too).
    host_links: Vec<String>,
    /// Host interfaces moved into the container.
    phys: Vec<PhysLink>,
}

/// Sets up the interfaces of the container whose init is `pid`. On failure everything made so
/// far is removed (and moved interfaces given back) before the error is returned.
pub fn setup(pid: i32, req: &SetupRequest) -> Result<SetupResult, NetError> {
    // A regular user's helper (an unprivileged container: `empty` only) acts inside the
    // container's user namespace, which owns its network namespace. Still single-threaded.
    if !nix::unistd::geteuid().is_root() {
        let path = format!("/proc/{pid}/ns/user");
        let userns =
            File::open(&path).map_err(|e| NetError::io("container", format!("open {path}"), e))?;
        nix::sched::setns(&userns, nix::sched::CloneFlags::CLONE_NEWUSER).map_err(|e| {
            NetError::io("container", format!("join {path}"), std::io::Error::from(e))
        })?;
    }
    let plans = plan::plan(&req.networks, &mut random_byte()).map_err(NetError::plain)?;
    let netns = File::open(format!("/proc/{pid}/ns/net"))
        .map_err(|e| NetError::io("container", format!("open /proc/{pid}/ns/net"), e))?;
    let host_ns = File::open("/proc/self/ns/net")
        .map_err(|e| NetError::io("host", "open /proc/self/ns/net", e))?;
    let fd = netns.as_raw_fd();
    let host_plans = plans.clone();
    let (result, made) = Nl::block(move |nl| async move {
        let mut made = Made::default();
        let mut gateways = Vec::new();
        for p in &host_plans {
            match nl.host_side(p, fd, &mut made).await {
                Ok(g) => gateways.push(g),
                Err(e) => return (Err(e), made),
            }
        }
        (Ok(gateways), made)
    })?;
    let gateways = match result {
        Ok(g) => g,
        Err(e) => {
            undo(&netns, &host_ns, made);
            return Err(e);
        }
    };
    let ns_plans = plans.clone();
    let in_ns = Nl::block_in(&netns, move |nl| async move {
        nl.link_up_by_name("lo").await?;
        let mut macs = Vec::new();
        for (p, gw) in ns_plans.iter().zip(&gateways) {
            macs.push(nl.container_side(p, gw).await?);
        }
        Ok(macs)
    })
    .and_then(|r| r);
    match in_ns {
        Ok(macs) => Ok(SetupResult {
            interfaces: plans
                .iter()
                .zip(macs)
                .map(|(p, mac)| describe(p, mac))
                .collect(),
            phys: made.phys,
        }),
        Err(e) => {
            undo(&netns, &host_ns, made);
            Err(e)
        }
    }
}

fn describe(p: &IfacePlan, mac: Option<Vec<u8>>) -> Interface {
    let mut addresses: Vec<String> = p.ipv4.iter().map(|(a, n)| format!("{a}/{n}")).collect();
    addresses.extend(p.ipv6.iter().map(|(a, n)| format!("{a}/{n}")));
    Interface {
        name: p.name.clone(),
        kind: p.kind_str().to_string(),
        host: p.host.clone(),
        hwaddr: mac.map(|m| format_mac(&m)),
        addresses,
    }
}

/// Best effort: a failed set-up must leave nothing behind on the host.
fn undo(netns: &File, host_ns: &File, made: Made) {
    let links = made.host_links.clone();
    let _ = Nl::block(move |nl| async move {
        for name in &links {
            let _ = nl.delete_by_name(name).await;
        }
    });
    if !made.phys.is_empty() {
        let _ = give_back_from(netns, host_ns, &made.phys);
    }
}

/// After a container stopped: gives its physical interfaces back to the caller's namespace
/// under their original names, from the bind-mounted namespace that kept them. (The veth and
/// macvlan links it made leave with its namespace: the kernel frees them asynchronously, and
/// deleting them here would only wait for that, about 20 ms each.)
/// Brings the host's links `names` up (a restored veth's host end: CRIU makes it down).
pub fn up(names: &[String]) -> Result<(), NetError> {
    let names = names.to_vec();
    Nl::block(move |nl| async move {
        for n in &names {
            nl.link_up_by_name(n).await?;
        }
        Ok(())
    })?
}

pub fn teardown(req: &TeardownRequest) -> Result<(), NetError> {
    let (Some(file), false) = (&req.netns, req.phys.is_empty()) else {
        return Ok(());
    };
    let netns = File::open(file)
        .map_err(|e| NetError::io("container", format!("open {}", file.display()), e))?;
    let host_ns = File::open("/proc/self/ns/net")
        .map_err(|e| NetError::io("host", "open /proc/self/ns/net", e))?;
    give_back_from(&netns, &host_ns, &req.phys)
}

fn give_back_from(netns: &File, host_ns: &File, phys: &[PhysLink]) -> Result<(), NetError> {
    let host_fd = host_ns.as_raw_fd();
    let moved = phys.to_vec();
    Nl::block_in(netns, move |nl| async move {
        for p in &moved {
            nl.give_back(p, host_fd).await?;
        }
        Ok(())
    })??;
    // Back on the host: up again if it was.
    let up: Vec<String> = phys
        .iter()
        .filter(|p| p.was_up)
        .map(|p| p.original.clone())
        .collect();
    Nl::block(move |nl| async move {
        for name in &up {
            nl.link_up_by_name(name).await?;
        }
        Ok(())
    })?
}
