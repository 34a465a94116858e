//! The netlink operations, each mapping its failure to one line that names the interface and
//! the errno (EEXIST, ENODEV, EBUSY... reach the user by name). `Nl::block` runs a batch on a
//! current-thread runtime in the caller's namespace; `Nl::block_in` on a new thread that first
//! enters another namespace and ends with the batch (setns(2) affects only the calling thread,
//! so no other code ever runs in there).
use crate::error::NetError;
use crate::plan::IfacePlan;
use futures::TryStreamExt;
use lxc_config::{Gateway, MacvlanMode, NetType};
use lxc_proto::net::PhysLink;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
    MacVlanMode as NlMode,
};
use rtnetlink::{Handle, LinkMacVlan, LinkUnspec, LinkVeth, RouteMessageBuilder};
use std::fs::File;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;

/// A name for a link made here before it moves into a container (under its own name there):
/// unique to this helper process.
fn temp_name() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("lxm{}x{n}", std::process::id())
}

/// The gateways of one interface, with `auto` resolved to the bridge's address.
#[derive(Debug, Clone, Default)]
pub struct Gateways {
    pub v4: Option<Ipv4Addr>,
    pub v6: Option<Ipv6Addr>,
}

/// A netlink connection on a runtime of its own.
pub struct Nl {
    h: Handle,
}

impl Nl {
    /// Runs `f` with a connection in the calling thread's network namespace.
    pub fn block<F, Fut, T>(f: F) -> Result<T, NetError>
    where
        F: FnOnce(Nl) -> Fut,
        Fut: Future<Output = T>,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| NetError::io("netlink", "start a runtime", e))?;
        rt.block_on(async move {
            let (conn, h, _) = rtnetlink::new_connection()
                .map_err(|e| NetError::io("netlink", "open a socket", e))?;
            // The connection task pins the namespace while it lives: it ends with the runtime.
            let task = tokio::spawn(conn);
            let out = f(Nl { h }).await;
            task.abort();
            Ok(out)
        })
    }

    /// Runs `f` on a new thread that enters `netns` first; the thread ends with `f`.
    pub fn block_in<F, Fut, T>(netns: &File, f: F) -> Result<T, NetError>
    where
        F: FnOnce(Nl) -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let ns = netns
            .try_clone()
            .map_err(|e| NetError::io("netlink", "dup the namespace", e))?;
        let thread = std::thread::spawn(move || {
            nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).map_err(|e| {
                NetError::io(
                    "netlink",
                    "enter the container's network namespace",
                    e.into(),
                )
            })?;
            drop(ns);
            Nl::block(f)
        });
        thread.join().unwrap_or_else(|_| {
            Err(NetError::plain(
                "netlink: a namespace thread panicked".into(),
            ))
        })
    }

    async fn get(&self, name: &str) -> Result<Option<LinkMessage>, rtnetlink::Error> {
        match self
            .h
            .link()
            .get()
            .match_name(name.to_string())
            .execute()
            .try_next()
            .await
        {
            Ok(m) => Ok(m),
            // A missing link is an error reply (ENODEV), not an empty answer.
            Err(rtnetlink::Error::NetlinkError(m)) if m.raw_code() == -libc_enodev() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The link `name`, or an error for interface `iface` saying it does not exist.
    async fn link(&self, iface: &str, name: &str) -> Result<LinkMessage, NetError> {
        match self.get(name).await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(NetError {
                iface: iface.into(),
                message: format!("link {name}: no such interface"),
            }),
            Err(e) => Err(NetError::nl(iface, format!("look up {name}"), e)),
        }
    }

    async fn index(&self, iface: &str, name: &str) -> Result<u32, NetError> {
        Ok(self.link(iface, name).await?.header.index)
    }

    pub async fn link_up_by_name(&self, name: &str) -> Result<(), NetError> {
        let i = self.index(name, name).await?;
        self.h
            .link()
            .set(LinkUnspec::new_with_index(i).up().build())
            .execute()
            .await
            .map_err(|e| NetError::nl(name, "bring it up", e))
    }

    pub async fn delete_by_name(&self, name: &str) -> Result<(), NetError> {
        if let Ok(Some(m)) = self.get(name).await {
            self.h
                .link()
                .del(m.header.index)
                .execute()
                .await
                .map_err(|e| NetError::nl(name, "delete", e))?;
        }
        Ok(())
    }

    async fn set(&self, iface: &str, what: &str, msg: LinkMessage) -> Result<(), NetError> {
        self.h
            .link()
            .set(msg)
            .execute()
            .await
            .map_err(|e| NetError::nl(iface, what, e))
    }

    /// MAC and MTU, set before a move (both survive it).
    async fn set_mac_mtu(&self, iface: &str, index: u32, p: &IfacePlan) -> Result<(), NetError> {
        if let Some(mac) = p.hwaddr {
            self.set(
                iface,
                "set its MAC address",
                LinkUnspec::new_with_index(index)
                    .address(mac.to_vec())
                    .build(),
            )
            .await?;
        }
        if let Some(mtu) = p.mtu {
            self.set(
                iface,
                &format!("set its MTU to {mtu}"),
                LinkUnspec::new_with_index(index).mtu(mtu).build(),
            )
            .await?;
        }
        Ok(())
    }

    /// Creates a link; a name the user chose (`veth.pair`) that still exists is retried for a
    /// moment: the previous run's veth end leaves with its namespace, which the kernel frees
    /// asynchronously.
    async fn create_retrying(
        &self,
        iface: &str,
        name: &str,
        msg: LinkMessage,
        user_named: bool,
    ) -> Result<(), NetError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        loop {
            match self.h.link().add(msg.clone()).execute().await {
                Ok(()) => return Ok(()),
                Err(rtnetlink::Error::NetlinkError(m))
                    if user_named
                        && m.raw_code() == -17
                        && std::time::Instant::now() < deadline =>
                {
                    // EEXIST
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => return Err(NetError::nl(iface, format!("create veth pair {name}"), e)),
            }
        }
    }

    /// Moves `index` into the namespace `netns_fd` and renames it there in the same message.
    async fn move_in(&self, iface: &str, index: u32, netns_fd: RawFd) -> Result<(), NetError> {
        let msg = LinkUnspec::new_with_index(index)
            .setns_by_fd(netns_fd)
            .name(iface.to_string())
            .build();
        self.set(iface, "move it into the container", msg).await
    }

    /// Host side of one interface: create it (or take it), attach, move it in.
    pub async fn host_side(
        &self,
        p: &IfacePlan,
        netns_fd: RawFd,
        made: &mut crate::Made,
    ) -> Result<Gateways, NetError> {
        let iface = p.name.as_str();
        let mut gateways = Gateways::default();
        match p.kind {
            NetType::Veth => {
                let host = p.host.clone().unwrap_or_default();
                let bridge = match &p.link {
                    Some(link) => {
                        let m = self.link(iface, link).await?;
                        if !is_bridge(&m) {
                            return Err(NetError {
                                iface: iface.into(),
                                message: format!("link {link} is not a bridge"),
                            });
                        }
                        Some((m.header.index, link.clone()))
                    }
                    None => None,
                };
                // One message: the host end (MTU, bridge, up) and the peer made directly inside
                // the container under its final name, MAC and MTU. Moving an existing link
                // between namespaces costs a grace period (about 20 ms); this does not.
                let mut b = LinkVeth::new(&host, iface).up();
                if let Some(mtu) = p.mtu {
                    b = b.mtu(mtu);
                }
                if let Some((bi, _)) = &bridge {
                    b = b.controller(*bi);
                }
                let mut msg = b.build();
                let mut peer_attrs = vec![LinkAttribute::NetNsFd(netns_fd)];
                if let Some(mac) = p.hwaddr {
                    peer_attrs.push(LinkAttribute::Address(mac.to_vec()));
                }
                if let Some(mtu) = p.mtu {
                    peer_attrs.push(LinkAttribute::Mtu(mtu));
                }
                for attr in msg.attributes.iter_mut() {
                    if let LinkAttribute::LinkInfo(infos) = attr {
                        for info in infos.iter_mut() {
                            if let LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))) = info {
                                peer.attributes.append(&mut peer_attrs);
                            }
                        }
                    }
                }
                let created = self.create_retrying(iface, &host, msg, p.host_named).await;
                created?;
                made.host_links.push(host.clone());
                if let Some((bi, link)) = &bridge {
                    gateways = self.bridge_gateways(iface, *bi, link, p).await?;
                }
            }
            NetType::Macvlan => self.macvlan(p, netns_fd, made).await?,
            NetType::Phys => {
                let link = p.link.clone().unwrap_or_default();
                let m = self.link(iface, &link).await?;
                let i = m.header.index;
                let was_up = m.header.flags.contains(LinkFlags::Up);
                self.set(
                    iface,
                    &format!("take {link} down"),
                    LinkUnspec::new_with_index(i).down().build(),
                )
                .await?;
                self.set_mac_mtu(iface, i, p).await?;
                self.move_in(iface, i, netns_fd).await?;
                made.phys.push(PhysLink {
                    name: p.name.clone(),
                    original: link,
                    was_up,
                });
            }
            NetType::Empty | NetType::None => {}
        }
        Ok(gateways)
    }

    /// A macvlan is made here, under a name of its own, and moved into the container: its
    /// ifindex then comes from this namespace's allocator, which does not hand it out again.
    /// CRIU's restore makes the macvlan again with its dumped ifindex through a socket in this
    /// namespace (RTM_NEWLINK with that ifi_index): made directly inside the container, it
    /// would have a low index (2) that a device here already has, and the kernel would take
    /// the request for a change of that device (EOPNOTSUPP, or worse, if it is a macvlan).
    /// The move costs about 15 ms more than making it inside.
    async fn macvlan(
        &self,
        p: &IfacePlan,
        netns_fd: RawFd,
        made: &mut crate::Made,
    ) -> Result<(), NetError> {
        let iface = p.name.as_str();
        let link = p.link.clone().unwrap_or_default();
        let parent = self.index(iface, &link).await?;
        let mode = match p.macvlan_mode {
            MacvlanMode::Private => NlMode::Private,
            MacvlanMode::Vepa => NlMode::Vepa,
            MacvlanMode::Bridge => NlMode::Bridge,
            MacvlanMode::Passthru => NlMode::Passthrough,
        };
        let temp = temp_name();
        let mut b = LinkMacVlan::new(&temp, parent, mode);
        if let Some(mac) = p.hwaddr {
            b = b.address(mac.to_vec());
        }
        if let Some(mtu) = p.mtu {
            b = b.mtu(mtu);
        }
        self.h
            .link()
            .add(b.build())
            .execute()
            .await
            .map_err(|e| NetError::nl(iface, format!("create macvlan on {link}"), e))?;
        made.host_links.push(temp.clone());
        let index = self.index(iface, &temp).await?;
        self.move_in(iface, index, netns_fd).await
    }

    /// `auto` gateways: the bridge's own first IPv4 address and first global IPv6 address.
    async fn bridge_gateways(
        &self,
        iface: &str,
        bridge: u32,
        link: &str,
        p: &IfacePlan,
    ) -> Result<Gateways, NetError> {
        let mut gw = Gateways {
            v4: match p.gateway4 {
                Some(Gateway::Addr(a)) => Some(a),
                _ => None,
            },
            v6: match p.gateway6 {
                Some(Gateway::Addr(a)) => Some(a),
                _ => None,
            },
        };
        let auto4 = matches!(p.gateway4, Some(Gateway::Auto));
        let auto6 = matches!(p.gateway6, Some(Gateway::Auto));
        if !auto4 && !auto6 {
            return Ok(gw);
        }
        let mut stream = self
            .h
            .address()
            .get()
            .set_link_index_filter(bridge)
            .execute();
        while let Some(msg) = stream
            .try_next()
            .await
            .map_err(|e| NetError::nl(iface, format!("read the addresses of {link}"), e))?
        {
            for attr in &msg.attributes {
                match attr {
                    AddressAttribute::Address(IpAddr::V4(a)) if auto4 && gw.v4.is_none() => {
                        gw.v4 = Some(*a)
                    }
                    AddressAttribute::Address(IpAddr::V6(a))
                        if auto6 && gw.v6.is_none() && (a.segments()[0] & 0xffc0) != 0xfe80 =>
                    {
                        gw.v6 = Some(*a)
                    }
                    _ => {}
                }
            }
        }
        if auto4 && gw.v4.is_none() {
            return Err(NetError {
                iface: iface.into(),
                message: format!("ipv4.gateway = auto, but bridge {link} has no IPv4 address"),
            });
        }
        if auto6 && gw.v6.is_none() {
            return Err(NetError {
                iface: iface.into(),
                message: format!(
                    "ipv6.gateway = auto, but bridge {link} has no global IPv6 address"
                ),
            });
        }
        Ok(gw)
    }

    /// Container side: up, addresses, default routes. Returns the interface's MAC.
    pub async fn container_side(
        &self,
        p: &IfacePlan,
        gw: &Gateways,
    ) -> Result<Option<Vec<u8>>, NetError> {
        let iface = p.name.as_str();
        let m = self
            .get(iface)
            .await
            .map_err(|e| NetError::nl(iface, "look it up in the container", e))?;
        let m = m.ok_or_else(|| NetError {
            iface: iface.into(),
            message: "not found in the container".into(),
        })?;
        let i = m.header.index;
        let mac = m.attributes.iter().find_map(|a| match a {
            LinkAttribute::Address(b) => Some(b.clone()),
            _ => None,
        });
        if p.up {
            self.set(
                iface,
                "bring it up",
                LinkUnspec::new_with_index(i).up().build(),
            )
            .await?;
        }
        for (a, n) in &p.ipv4 {
            self.h
                .address()
                .add(i, IpAddr::V4(*a), *n)
                .execute()
                .await
                .map_err(|e| NetError::nl(iface, format!("add address {a}/{n}"), e))?;
        }
        for (a, n) in &p.ipv6 {
            let mut req = self.h.address().add(i, IpAddr::V6(*a), *n);
            // No duplicate address detection: the address is usable at once, not in a second.
            req.message_mut()
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
            req.execute()
                .await
                .map_err(|e| NetError::nl(iface, format!("add address {a}/{n}"), e))?;
        }
        if let Some(g) = gw.v4 {
            let route = RouteMessageBuilder::<Ipv4Addr>::new()
                .gateway(g)
                .output_interface(i)
                .build();
            self.add_default_route(iface, route, g.into()).await?;
        }
        if let Some(g) = gw.v6 {
            let route = RouteMessageBuilder::<Ipv6Addr>::new()
                .gateway(g)
                .output_interface(i)
                .build();
            self.add_default_route(iface, route, g.into()).await?;
        }
        Ok(mac)
    }

    async fn add_default_route(
        &self,
        iface: &str,
        route: rtnetlink::packet_route::route::RouteMessage,
        via: IpAddr,
    ) -> Result<(), NetError> {
        self.h
            .route()
            .add(route)
            .execute()
            .await
            .map_err(|e| NetError::nl(iface, format!("add default route via {via}"), e))
    }

    /// From inside the container's namespace: the interface goes back to `host_fd`'s namespace
    /// under its original name.
    pub async fn give_back(&self, p: &PhysLink, host_fd: RawFd) -> Result<(), NetError> {
        let i = self.index(&p.name, &p.name).await?;
        self.set(
            &p.name,
            "take it down",
            LinkUnspec::new_with_index(i).down().build(),
        )
        .await?;
        let msg = LinkUnspec::new_with_index(i)
            .setns_by_fd(host_fd)
            .name(p.original.clone())
            .build();
        self.set(
            &p.name,
            &format!("give it back to the host as {}", p.original),
            msg,
        )
        .await
    }
}

fn is_bridge(m: &LinkMessage) -> bool {
    m.attributes.iter().any(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos
            .iter()
            .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Bridge))),
        _ => false,
    })
}

const fn libc_enodev() -> i32 {
    19
}
