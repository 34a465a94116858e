//! The per-container shim: forked by `lxc-execute` and detached from it, parent and reaper of
//! the container's init, owner of the container's cgroup, server of its control socket. One
//! thread, one mio loop; the container's init is a clone of the shim (see `init`).
#![deny(unsafe_code)]

pub mod cgroup;
mod init;
mod methods;
mod mounts;
mod net;
mod ps;
mod server;
mod supervisor;
pub mod sync;
#[allow(unsafe_code)]
mod sys;

pub use supervisor::{spawn, Stdio};
