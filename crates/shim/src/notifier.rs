//! The shim's side of the profile's `notify` action with `lxc.seccomp.notify.proxy`: the
//! listeners of COMMAND and of attached processes sit in the loop; each call they report is
//! forwarded to the proxy in LXC's format (`seccomp_proxy.rs`) and the proxy's answer is
//! relayed. One call at a time is with the proxy (as in LXC); the others wait in the kernel,
//! so a container that floods costs the shim no memory. Whatever goes wrong (the proxy is
//! unreachable, closes, answers garbage or not within the time limit, the caller is gone)
//! the call fails with ENOSYS, LXC's default answer, and the loop never waits. The loop's
//! side (events, the pump, the time limit) is `notify_loop.rs`.
use crate::seccomp_proxy;
use crate::sources::{Source, Sources};
use crate::sys_seccomp::{self, Notif, NotifResp};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, UnixAddr};
use nix::sys::stat::Mode;
use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// How long the proxy may take to answer one call (LXC's socket timeout).
const TIMEOUT: Duration = Duration::from_secs(30);
/// `LXC_SECCOMP_PROXY_TIMEOUT_MS`: another time limit (a development switch the tests use).
const TIMEOUT_ENV: &str = "LXC_SECCOMP_PROXY_TIMEOUT_MS";
/// Listeners held at once: COMMAND's, and one per attached process (at most 256 run).
const MAX_LISTENERS: usize = 260;
/// Problems logged before the rest are only counted.
const MAX_LOGGED: u32 = 10;
/// What /proc/self/fd/N of a listener reads.
const LISTENER_LINK: &str = "anon_inode:seccomp notify";

/// The proxy, the listeners and the call with the proxy.
pub struct Notifier {
    /// `lxc.seccomp.notify.proxy` as written (for messages) and as an address.
    pub(crate) proxy: String,
    pub(crate) addr: UnixAddr,
    pub(crate) cookie: Vec<u8>,
    pub(crate) timeout: Duration,
    pub(crate) conn: Option<(Token, OwnedFd)>,
    pub(crate) listeners: Vec<(Token, OwnedFd)>,
    /// Attached processes' hand-off sockets, until their listener comes.
    pub(crate) handoffs: Vec<(Token, OwnedFd)>,
    /// Listeners that may have calls waiting, in turn.
    pub(crate) pending: VecDeque<Token>,
    /// The call with the proxy: its listener and id.
    pub(crate) in_flight: Option<(Token, u64)>,
    pub(crate) logged: u32,
}

impl Notifier {
    /// The notifier a container needs (its profile notifies and calls are forwarded), with
    /// its connection to the proxy: LXC refuses the start when the proxy cannot be reached.
    pub fn open(
        settings: &lxc_config::Settings,
        confine: &crate::confine::Confinement,
        registry: &Registry,
        sources: &mut Sources,
    ) -> Result<Option<Box<Notifier>>, String> {
        let Some(proxy) = settings.seccomp_notify_proxy.as_ref() else {
            return Ok(None);
        };
        if confine.listener.is_none() {
            return Ok(None);
        }
        let fail = |what: String| format!("lxc.seccomp.notify.proxy = {proxy}: {what}");
        let sizes = sys_seccomp::notif_sizes().map_err(|e| fail(e.desc().into()))?;
        if (
            sizes.seccomp_notif as usize,
            sizes.seccomp_notif_resp as usize,
        ) != (seccomp_proxy::NOTIF_LEN, seccomp_proxy::RESP_LEN)
        {
            return Err(fail(format!(
                "this kernel's seccomp notifications are {}/{} bytes, not {}/{}",
                sizes.seccomp_notif,
                sizes.seccomp_notif_resp,
                seccomp_proxy::NOTIF_LEN,
                seccomp_proxy::RESP_LEN
            )));
        }
        let path = proxy.strip_prefix("unix:").unwrap_or(proxy);
        let addr = match path.strip_prefix('@') {
            Some(name) => UnixAddr::new_abstract(name.as_bytes()),
            None => UnixAddr::new(path),
        }
        .map_err(|e| fail(e.desc().into()))?;
        let timeout = std::env::var(TIMEOUT_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(TIMEOUT, Duration::from_millis);
        let mut n = Box::new(Notifier {
            proxy: proxy.clone(),
            addr,
            cookie: settings
                .seccomp_notify_cookie
                .clone()
                .unwrap_or_default()
                .into_bytes(),
            timeout,
            conn: None,
            listeners: Vec::new(),
            handoffs: Vec::new(),
            pending: VecDeque::new(),
            in_flight: None,
            logged: 0,
        });
        n.connect(registry, sources)
            .map_err(|e| fail(format!("connect: {}", e.desc())))?;
        Ok(Some(n))
    }

    /// Connects to the proxy (never waits: a full backlog is EAGAIN).
    fn connect(&mut self, registry: &Registry, sources: &mut Sources) -> nix::Result<()> {
        let fd = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        socket::connect(fd.as_raw_fd(), &self.addr)?;
        let token = sources.add(Source::SeccompProxy);
        registry
            .register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        self.conn = Some((token, fd));
        Ok(())
    }

    pub(crate) fn disconnect(&mut self, registry: &Registry, sources: &mut Sources) {
        if let Some((token, fd)) = self.conn.take() {
            let _ = registry.deregister(&mut SourceFd(&fd.as_raw_fd()));
            sources.remove(token);
        }
    }

    /// Takes a listener into the loop, if it is one and there is room.
    pub(crate) fn add_listener(&mut self, fd: OwnedFd, registry: &Registry, sources: &mut Sources) {
        let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        if !link.is_ok_and(|l| l.as_os_str() == LISTENER_LINK) {
            self.warn(format_args!("a seccomp listener that is none was dropped"));
            return;
        }
        if self.listeners.len() >= MAX_LISTENERS {
            // Closed: the kernel answers its calls with ENOSYS.
            self.warn(format_args!(
                "{MAX_LISTENERS} seccomp listeners held: one dropped"
            ));
            return;
        }
        let token = sources.add(Source::SeccompListener);
        if registry
            .register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)
            .is_err()
        {
            sources.remove(token);
            return;
        }
        self.listeners.push((token, fd));
        self.pending.push_back(token);
    }

    pub(crate) fn remove_listener(
        &mut self,
        token: Token,
        registry: &Registry,
        sources: &mut Sources,
    ) {
        if let Some(i) = self.listeners.iter().position(|(t, _)| *t == token) {
            let (_, fd) = self.listeners.swap_remove(i);
            let _ = registry.deregister(&mut SourceFd(&fd.as_raw_fd()));
            sources.remove(token);
        }
    }

    pub(crate) fn listener(&self, token: Token) -> Option<&OwnedFd> {
        self.listeners
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, fd)| fd)
    }

    /// Logs a problem; after MAX_LOGGED only counts (a container can cause them at will).
    pub(crate) fn warn(&mut self, what: std::fmt::Arguments<'_>) {
        self.logged = self.logged.saturating_add(1);
        if self.logged <= MAX_LOGGED {
            log::warn!("seccomp notify: {what}");
        } else if self.logged == MAX_LOGGED + 1 {
            log::warn!("seccomp notify: further problems are not logged");
        }
    }

    /// Answers call `resp.id` of `listener`; an answer the kernel refuses becomes ENOSYS.
    pub(crate) fn answer(&mut self, listener: Token, resp: &NotifResp) {
        let Some(fd) = self.listener(listener) else {
            return;
        };
        match sys_seccomp::notif_send(fd.as_fd(), resp) {
            // ENOENT: the caller is gone, or was interrupted by a signal.
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(e) => {
                let _ = sys_seccomp::notif_send(fd.as_fd(), &seccomp_proxy::enosys(resp.id));
                self.warn(format_args!("the kernel refused an answer: {}", e.desc()));
            }
        }
    }

    /// Sends call `notif` to the proxy, reconnecting once if the connection is gone.
    pub(crate) fn forward(
        &mut self,
        listener: Token,
        notif: &Notif,
        init_pid: i32,
        registry: &Registry,
        sources: &mut Sources,
    ) -> Result<(), String> {
        let Some(lfd) = self.listener(listener) else {
            return Err("its listener is gone".into());
        };
        let lfd = lfd.try_clone().map_err(|e| e.to_string())?;
        // The caller's /proc entries, then the check that the call still waits: the pid was
        // the caller's when they were opened, not a reused one.
        let proc_dir = format!("/proc/{}", notif.pid);
        let dir = open(
            proc_dir.as_str(),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("open {proc_dir}: {}", e.desc()))?;
        let mem = open(
            format!("{proc_dir}/mem").as_str(),
            OFlag::O_RDWR | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("open {proc_dir}/mem: {}", e.desc()))?;
        if !sys_seccomp::notif_id_valid(lfd.as_fd(), notif.id) {
            return Err("the caller is gone".into());
        }
        let msg = seccomp_proxy::encode(std::process::id() as i32, init_pid, notif, &self.cookie);
        let fds = [dir.as_fd(), mem.as_fd(), lfd.as_fd()];
        for retry in [false, true] {
            if self.conn.is_none() || retry {
                self.disconnect(registry, sources);
                if let Err(e) = self.connect(registry, sources) {
                    return Err(format!("connect to {}: {}", self.proxy, e.desc()));
                }
            }
            let Some((_, conn)) = &self.conn else { break };
            match lxc_proto::fdpass::send(conn.as_fd(), &msg, &fds) {
                Ok(n) if n == msg.len() => {
                    self.in_flight = Some((listener, notif.id));
                    return Ok(());
                }
                Ok(_) => {}
                Err(e) if retry => {
                    return Err(format!(
                        "send to {}: {}",
                        self.proxy,
                        lxc_proto::strerror(&e)
                    ))
                }
                Err(_) => {}
            }
        }
        Err(format!("send to {}: short write", self.proxy))
    }
}
