//! The ring and the viewers of `terminals.rs`, on a real pty of the host's.
use super::*;
use mio::Poll;

fn pty() -> (OwnedFd, OwnedFd) {
    let p = nix::pty::openpty(None, None).expect("openpty");
    // Raw: the bytes written on the slave arrive as they are.
    let mut t = nix::sys::termios::tcgetattr(&p.slave).expect("tcgetattr");
    nix::sys::termios::cfmakeraw(&mut t);
    nix::sys::termios::tcsetattr(&p.slave, nix::sys::termios::SetArg::TCSANOW, &t).expect("raw");
    (p.master, p.slave)
}

fn conf(ring: usize) -> ConsoleConf {
    ConsoleConf {
        ring,
        ..ConsoleConf::default()
    }
}

#[test]
fn the_ring_keeps_the_last_output_only_while_nobody_is_attached() {
    let poll = Poll::new().expect("poll");
    let (master, slave) = pty();
    let mut terms = Terminals::new(&conf(4096));
    terms
        .add(TtyId::Number(0), master, Token(1), true, poll.registry())
        .expect("add");
    assert_eq!(
        terms.ttys[0].ring.capacity(),
        0,
        "nothing allocated before output"
    );
    // 10 000 bytes, more than the ring holds: the last 4096 are kept.
    let data: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for chunk in data.chunks(1000) {
        nix::unistd::write(&slave, chunk).expect("write");
        terms.pump(0, poll.registry());
    }
    assert_eq!(terms.ttys[0].ring.len(), 4096);
    let kept: Vec<u8> = terms.ttys[0].ring.iter().copied().collect();
    assert_eq!(kept, data[data.len() - 4096..]);
    // A viewer gets them first; the ring is freed.
    let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().expect("pair");
    ours.set_nonblocking(true).expect("nonblocking");
    let viewer = Viewer::new(
        Token(2),
        mio::net::UnixStream::from_std(ours),
        Vec::new(),
        None,
    );
    let replayed = terms.attach(0, viewer, poll.registry()).expect("attach");
    assert_eq!(replayed, 4096);
    assert_eq!(
        terms.ttys[0].ring.capacity(),
        0,
        "the ring is freed once replayed"
    );
    let mut got = vec![0u8; 4096];
    std::io::Read::read_exact(&mut theirs, &mut got).expect("read");
    assert_eq!(got, data[data.len() - 4096..]);
    // While attached, output goes to the viewer, not the ring.
    nix::unistd::write(&slave, b"live").expect("write");
    terms.pump(0, poll.registry());
    assert_eq!(terms.ttys[0].ring.len(), 0);
    let mut live = [0u8; 4];
    std::io::Read::read_exact(&mut theirs, &mut live).expect("read");
    assert_eq!(&live, b"live");
    // The viewer detaches; its terminal ends; nothing is left behind.
    drop(theirs);
    terms.on_viewer(0, 0, true, poll.registry());
    assert!(terms.ttys[0].viewers.is_empty());
    drop(slave);
    terms.end_all(poll.registry());
    assert!(terms.ttys.is_empty() && terms.orphans.is_empty());
}
