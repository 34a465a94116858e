//! File descriptors over the control socket (SCM_RIGHTS), both ways: a client hands the shim
//! its stdio or a terminal with a request; the shim hands a client a descriptor (a pty master)
//! with a response. The descriptors travel with the first byte of the line they belong to (one
//! `sendmsg`); the receiver queues them per connection and the line's method takes them.
//! This module is the proto crate's only `unsafe`: nix hands received descriptors over as bare
//! numbers, which must be adopted as owned ones exactly once.
#![allow(unsafe_code)]

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The most descriptors one message may carry; more are refused (sending) or closed
/// (receiving).
pub const MAX_FDS: usize = 16;
/// The kernel's SCM_MAX_FD: the most descriptors a sender can attach to one message. The
/// receive buffer has room for all of them: on a truncated control buffer the kernel installs
/// those that fit but nix hands over none (MSG_CTRUNC), which would leak them.
const KERNEL_MAX_FDS: usize = 253;

/// Sends `data` with `fds` attached to its first byte, in one `sendmsg`. Returns how many bytes
/// went out (the rest is sent without descriptors). Never raises SIGPIPE.
pub fn send(sock: BorrowedFd<'_>, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("at most {MAX_FDS} descriptors per message"),
        ));
    }
    let raw: Vec<RawFd> = fds.iter().map(AsRawFd::as_raw_fd).collect();
    let cmsgs = if raw.is_empty() {
        Vec::new()
    } else {
        vec![ControlMessage::ScmRights(&raw)]
    };
    let iov = [IoSlice::new(data)];
    loop {
        match sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
            Ok(n) => return Ok(n),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Receives into `buf`; descriptors that came along are appended to `fds` (close-on-exec).
/// Returns the number of bytes read, 0 at end of stream.
pub fn recv(sock: BorrowedFd<'_>, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    let mut space = nix::cmsg_space!([RawFd; KERNEL_MAX_FDS], nix::libc::ucred);
    let first = fds.len();
    let mut iov = [IoSliceMut::new(buf)];
    loop {
        let msg = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        };
        let n = msg.bytes;
        let cmsgs = msg.cmsgs()?;
        for cmsg in cmsgs {
            if let ControlMessageOwned::ScmRights(received) = cmsg {
                for fd in received {
                    // SAFETY: the kernel installed `fd` in our table for this message alone
                    // (SCM_RIGHTS); nothing else in the process knows its number, so it is
                    // owned here exactly once and closed when dropped.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
        }
        // More than a message may carry: the rest are closed.
        fds.truncate(first + MAX_FDS);
        return Ok(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn descriptors_travel_with_their_line() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut file = tempfile();
        file.write_all(b"through the socket").unwrap();
        let n = send(a.as_fd(), b"{\"line\":1}\n", &[file.as_fd()]).unwrap();
        assert_eq!(n, 11);
        let mut buf = [0u8; 64];
        let mut fds = Vec::new();
        let n = recv(b.as_fd(), &mut buf, &mut fds).unwrap();
        assert_eq!(&buf[..n], b"{\"line\":1}\n");
        assert_eq!(fds.len(), 1);
        let mut got = std::fs::File::from(fds.pop().unwrap());
        got.rewind().unwrap();
        let mut text = String::new();
        got.read_to_string(&mut text).unwrap();
        assert_eq!(text, "through the socket");
        let too_many: Vec<BorrowedFd> = (0..=MAX_FDS).map(|_| file.as_fd()).collect();
        assert!(send(a.as_fd(), b"x", &too_many).is_err());
    }

    /// A sender that attaches more descriptors than a message may carry (as many as the
    /// kernel takes): none of them stays open in the receiver beyond what `recv` hands over.
    #[test]
    fn descriptors_beyond_the_limit_are_closed_not_leaked() {
        let (a, b) = UnixStream::pair().unwrap();
        let (w, mut r) = UnixStream::pair().unwrap();
        r.set_nonblocking(true).unwrap();
        for count in [MAX_FDS + 1, 253] {
            let raw: Vec<RawFd> = (0..count).map(|_| w.as_raw_fd()).collect();
            let cmsgs = [ControlMessage::ScmRights(&raw)];
            let iov = [IoSlice::new(b"x")];
            sendmsg::<()>(a.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), None).unwrap();
            let mut buf = [0u8; 8];
            let mut fds = Vec::new();
            let got = recv(b.as_fd(), &mut buf, &mut fds);
            assert!(fds.len() <= MAX_FDS, "{count}: {} handed over", fds.len());
            drop(fds);
            let _ = got;
        }
        // Only our own copy of `w` is left: closed, `r` reads as ended.
        drop(w);
        let mut end = [0u8; 1];
        assert_eq!(
            r.read(&mut end).map_err(|e| e.kind()),
            Ok(0),
            "a received copy of the other end is still open"
        );
    }

    fn tempfile() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("lxc-fdpass-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }
}
