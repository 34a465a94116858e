//! LXC's seccomp proxy protocol (`struct seccomp_notify_proxy_msg`, lxcseccomp.h; LXC's
//! `seccomp_notify_handler`), so that a proxy written for LXC (LXD's, for one) works: one
//! SOCK_SEQPACKET datagram per call, in native byte order:
//!
//! ```text
//! u64 reserved (0) | i32 monitor pid | i32 init pid | u16 sizes: notif, resp, data | 2 pad |
//! u64 cookie length | struct seccomp_notif | struct seccomp_notif_resp (id set) | cookie
//! ```
//!
//! with three descriptors: the caller's /proc/PID directory, its /proc/PID/mem (read-write)
//! and the listener. The proxy answers with the same header, notification and response, the
//! response filled in (and no cookie). Pure: encoding and the checks of an answer.
use crate::sys_seccomp::{Notif, NotifResp};

/// The header's size.
pub const HEADER_LEN: usize = 32;
/// `struct seccomp_notif`'s size, which the kernel must report (see `notifier.rs`).
pub const NOTIF_LEN: usize = std::mem::size_of::<Notif>();
/// `struct seccomp_notif_resp`'s size.
pub const RESP_LEN: usize = std::mem::size_of::<NotifResp>();
/// An answer's exact length.
pub const REPLY_LEN: usize = HEADER_LEN + NOTIF_LEN + RESP_LEN;
/// `struct seccomp_data`'s size.
const DATA_LEN: u16 = 64;
/// The largest errno a call can return (the kernel's MAX_ERRNO).
const MAX_ERRNO: i32 = 4095;

/// One call's message for the proxy.
pub fn encode(monitor_pid: i32, init_pid: i32, notif: &Notif, cookie: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(REPLY_LEN + cookie.len());
    m.extend_from_slice(&0u64.to_ne_bytes());
    m.extend_from_slice(&monitor_pid.to_ne_bytes());
    m.extend_from_slice(&init_pid.to_ne_bytes());
    for size in [NOTIF_LEN as u16, RESP_LEN as u16, DATA_LEN] {
        m.extend_from_slice(&size.to_ne_bytes());
    }
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&(cookie.len() as u64).to_ne_bytes());
    // struct seccomp_notif: id, pid, flags, then struct seccomp_data.
    m.extend_from_slice(&notif.id.to_ne_bytes());
    m.extend_from_slice(&notif.pid.to_ne_bytes());
    m.extend_from_slice(&notif.flags.to_ne_bytes());
    m.extend_from_slice(&notif.data.nr.to_ne_bytes());
    m.extend_from_slice(&notif.data.arch.to_ne_bytes());
    m.extend_from_slice(&notif.data.instruction_pointer.to_ne_bytes());
    for arg in notif.data.args {
        m.extend_from_slice(&arg.to_ne_bytes());
    }
    // struct seccomp_notif_resp, the id filled in: id, val, error, flags.
    m.extend_from_slice(&notif.id.to_ne_bytes());
    m.extend_from_slice(&[0; RESP_LEN - 8]);
    m.extend_from_slice(cookie);
    m
}

/// Why an answer is not taken (the call then fails with ENOSYS, LXC's default answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// Not `REPLY_LEN` bytes.
    Length(usize),
    /// The response names another call.
    Id(u64),
    /// `error` is no errno (0 or -1 ... -4095).
    Error(i32),
    /// Flags other than SECCOMP_USER_NOTIF_FLAG_CONTINUE, or CONTINUE with a value or error.
    Flags(u32),
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::Length(n) => write!(f, "{n} bytes instead of {REPLY_LEN}"),
            ReplyError::Id(id) => write!(f, "it answers another call ({id})"),
            ReplyError::Error(e) => write!(f, "error {e} is no errno"),
            ReplyError::Flags(x) => write!(f, "flags {x:#x} are not valid there"),
        }
    }
}

/// The response in the proxy's answer to call `id`, checked.
pub fn decode_reply(bytes: &[u8], id: u64) -> Result<NotifResp, ReplyError> {
    if bytes.len() != REPLY_LEN {
        return Err(ReplyError::Length(bytes.len()));
    }
    let r = &bytes[HEADER_LEN + NOTIF_LEN..];
    let word = |at: usize| u64::from_ne_bytes(r[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |at: usize| u32::from_ne_bytes(r[at..at + 4].try_into().unwrap_or([0; 4]));
    let resp = NotifResp {
        id: word(0),
        val: word(8) as i64,
        error: half(16) as i32,
        flags: half(20),
    };
    if resp.id != id {
        return Err(ReplyError::Id(resp.id));
    }
    if !(-MAX_ERRNO..=0).contains(&resp.error) {
        return Err(ReplyError::Error(resp.error));
    }
    let cont = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32;
    if resp.flags & !cont != 0 || (resp.flags == cont && (resp.val != 0 || resp.error != 0)) {
        return Err(ReplyError::Flags(resp.flags));
    }
    Ok(resp)
}

/// The default answer: the call fails with ENOSYS (LXC's `seccomp_notify_default_answer`).
pub fn enosys(id: u64) -> NotifResp {
    NotifResp {
        id,
        val: 0,
        error: -libc::ENOSYS,
        flags: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notif() -> Notif {
        Notif {
            id: 0x1122_3344_5566_7788,
            pid: 4242,
            flags: 0,
            data: libc::seccomp_data {
                nr: 83,
                arch: 0xc000_003e,
                instruction_pointer: 0x7fff_0000_1234,
                args: [1, 2, 3, 4, 5, 6],
            },
        }
    }

    /// An answer as a proxy makes it: the message back, the response filled in.
    fn reply(id: u64, val: i64, error: i32, flags: u32) -> Vec<u8> {
        let mut m = encode(7, 8, &notif(), b"");
        let r = HEADER_LEN + NOTIF_LEN;
        m[r..r + 8].copy_from_slice(&id.to_ne_bytes());
        m[r + 8..r + 16].copy_from_slice(&val.to_ne_bytes());
        m[r + 16..r + 20].copy_from_slice(&error.to_ne_bytes());
        m[r + 20..r + 24].copy_from_slice(&flags.to_ne_bytes());
        m
    }

    #[test]
    fn the_message_has_lxcs_layout() {
        assert_eq!((NOTIF_LEN, RESP_LEN, REPLY_LEN), (80, 24, 136));
        let m = encode(100, 200, &notif(), b"cookie!");
        assert_eq!(m.len(), REPLY_LEN + 7);
        let u16_at = |at: usize| u16::from_ne_bytes([m[at], m[at + 1]]);
        let u64_at = |at: usize| u64::from_ne_bytes(m[at..at + 8].try_into().unwrap());
        assert_eq!(u64_at(0), 0);
        assert_eq!(i32::from_ne_bytes(m[8..12].try_into().unwrap()), 100);
        assert_eq!(i32::from_ne_bytes(m[12..16].try_into().unwrap()), 200);
        assert_eq!((u16_at(16), u16_at(18), u16_at(20)), (80, 24, 64));
        assert_eq!(u64_at(24), 7);
        // The notification: id, pid, flags, nr, arch, ip, args.
        assert_eq!(u64_at(32), 0x1122_3344_5566_7788);
        assert_eq!(u32::from_ne_bytes(m[40..44].try_into().unwrap()), 4242);
        assert_eq!(i32::from_ne_bytes(m[48..52].try_into().unwrap()), 83);
        assert_eq!(
            u32::from_ne_bytes(m[52..56].try_into().unwrap()),
            0xc000_003e
        );
        assert_eq!(u64_at(56), 0x7fff_0000_1234);
        assert_eq!(u64_at(64), 1);
        assert_eq!(u64_at(104), 6);
        // The response: the id, the rest zero.
        assert_eq!(u64_at(112), 0x1122_3344_5566_7788);
        assert!(m[120..136].iter().all(|b| *b == 0));
        assert_eq!(&m[136..], b"cookie!");
    }

    #[test]
    fn answers_are_checked() {
        let id = notif().id;
        let r = decode_reply(&reply(id, 0, -libc::EPERM, 0), id).unwrap();
        assert_eq!((r.id, r.val, r.error, r.flags), (id, 0, -libc::EPERM, 0));
        let r = decode_reply(&reply(id, 42, 0, 0), id).unwrap();
        assert_eq!(r.val, 42);
        assert!(decode_reply(&reply(id, 0, 0, 1), id).is_ok());
        let bad = [
            (reply(id + 1, 0, 0, 0), ReplyError::Id(id + 1)),
            (reply(id, 0, 5, 0), ReplyError::Error(5)),
            (reply(id, 0, -4096, 0), ReplyError::Error(-4096)),
            (reply(id, 0, 0, 2), ReplyError::Flags(2)),
            (reply(id, 1, 0, 1), ReplyError::Flags(1)),
            (reply(id, 0, -1, 1), ReplyError::Flags(1)),
            (Vec::new(), ReplyError::Length(0)),
            (
                reply(id, 0, 0, 0)[..REPLY_LEN - 1].to_vec(),
                ReplyError::Length(135),
            ),
        ];
        for (bytes, want) in bad {
            assert_eq!(decode_reply(&bytes, id), Err(want));
        }
        // A cookie echoed back is a wrong length too (LXC takes exactly the base size).
        let mut long = reply(id, 0, 0, 0);
        long.push(b'c');
        assert_eq!(decode_reply(&long, id), Err(ReplyError::Length(137)));
        assert_eq!(enosys(3).error, -38);
    }

    /// Property test of the answer decoder (what a hostile or broken proxy sends): random
    /// and mutated answers never panic it, and what it takes is always a valid answer to the
    /// call asked.
    #[test]
    fn answers_never_panic_and_what_passes_is_valid() {
        use lxc_config::fuzzgen::{Gen, CASES};
        let id = notif().id;
        let seeds = [reply(id, 0, -1, 0), reply(id, 7, 0, 0), reply(id, 0, 0, 1)];
        let mut g = Gen::new(0x5ecc_0b0f);
        for _ in 0..CASES {
            let input = match g.below(3) {
                0 => g.bytes(2 * REPLY_LEN),
                _ => {
                    let mut m = seeds[g.below(seeds.len())].clone();
                    // Flip a few bytes of the response where they matter.
                    for _ in 0..=g.below(3) {
                        let at = HEADER_LEN + NOTIF_LEN + g.below(RESP_LEN);
                        m[at] = g.bits() as u8;
                    }
                    m
                }
            };
            if let Ok(r) = decode_reply(&input, id) {
                assert_eq!(r.id, id);
                assert!((-4095..=0).contains(&r.error));
                assert!(r.flags == 0 || (r.flags == 1 && r.val == 0 && r.error == 0));
            }
        }
    }
}
