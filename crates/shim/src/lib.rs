//! The per-container shim: forked by `lxc-execute` and detached from it, parent and reaper of
//! the container's init, owner of the container's cgroups, server of its control socket. One
//! thread, one mio loop; the container's init is a clone of the shim (see `init`).
//!
//! Start-up (`spawn`, `start`, `payload`), the loop (`event_loop`, `sources`, `timers`,
//! `children`), the container's life (`lifecycle`), the clients (`clients`, `conn`, `methods`)
//! and the end (`ending`) are separate; what the commands use too is public: the run directory
//! and the clean-up after a dead shim (`rundir`, `cgroup`, `net`).
#![deny(unsafe_code)]

pub mod cgroup;
mod children;
mod clients;
mod conn;
mod ending;
mod event_loop;
mod gate;
pub mod hooks;
mod init;
mod init_channel;
mod launcher;
mod lifecycle;
mod live;
mod methods;
pub mod monitor;
mod mounts;
pub mod net;
mod oom;
mod payload;
mod ps;
mod relaunch;
mod rootfs;
pub mod rundir;
mod security;
mod sources;
mod spawn;
mod spec;
mod start;
#[allow(unsafe_code)]
mod sys;
mod timers;
mod tunables;

pub use spawn::spawn;
pub use spec::{LaunchOptions, LaunchSpec, LaunchStdio};
