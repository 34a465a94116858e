//! Window sizes of terminals, for the commands (their crate has no `unsafe`): what the
//! caller's terminal measures, and setting a pty master's size (the kernel then sends SIGWINCH
//! to the pty's foreground process group).
use lxc_proto::terminal::WinSize;
use std::os::fd::BorrowedFd;

/// The size of the terminal `fd`, if it is one.
pub fn window_size(fd: BorrowedFd<'_>) -> Option<WinSize> {
    crate::sys_tty::window_size(fd)
        .ok()
        .map(|(rows, cols)| WinSize { rows, cols })
}

/// Sets the size of a terminal (a pty master).
pub fn set_window_size(fd: BorrowedFd<'_>, size: WinSize) -> nix::Result<()> {
    crate::sys_tty::set_window_size(fd, size.rows, size.cols)
}
