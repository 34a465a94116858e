//! The per-container shim: forked by `lxc-execute` and detached from it, parent and reaper of
//! the container's init, owner of the container's cgroups, server of its control socket. One
//! thread, one mio loop; the container's init is a clone of the shim (see `init`).
//!
//! Start-up (`spawn`, `start`, `payload`), the loop (`event_loop`, `sources`, `timers`,
//! `children`), the container's life (`lifecycle`), the clients (`clients`, `conn`, `methods`)
//! and the end (`ending`) are separate; what the commands use too is public: the run directory
//! and the clean-up after a dead shim (`rundir`, `cgroup`, `net`).
#![deny(unsafe_code)]

mod attach;
pub mod caps;
pub mod cgroup;
mod checkpoint;
mod children;
mod ckpt_tty;
mod client_io;
mod clients;
mod command;
pub mod confine;
mod conn;
mod console;
mod criu;
mod delegate;
mod ending;
pub mod ephemeral;
mod event_loop;
mod exec;
mod exec_method;
mod gate;
pub mod hooks;
pub mod idmap;
mod init;
pub mod init_channel;
mod init_plan;
mod launcher;
mod lifecycle;
mod live;
mod methods;
pub mod monitor;
mod mounts;
pub mod net;
mod notifier;
mod notify_loop;
mod oom;
mod payload;
mod ps;
mod pty_init;
mod reaper;
mod relaunch;
mod restore;
mod rootfs;
pub mod rundir;
pub mod seccomp;
mod seccomp_notify;
pub mod seccomp_proxy;
mod security;
mod sources;
mod spawn;
mod spec;
mod start;
pub mod subid;
#[allow(unsafe_code)]
mod sys;
#[allow(unsafe_code)]
mod sys_bpf;
#[allow(unsafe_code)]
mod sys_confine;
#[allow(unsafe_code)]
mod sys_seccomp;
#[allow(unsafe_code)]
mod sys_tty;
pub mod term;
mod terminals;
mod timers;
mod tunables;
pub mod usernsexec;
mod viewer;

pub use spawn::spawn;
pub use spec::{LaunchOptions, LaunchSpec, LaunchStdio};
