//! The contract between the lxc-* commands, the per-container shim and any script: the wire
//! types of the control socket (newline-delimited JSON-RPC 2.0), a small blocking client, the
//! launch channel between `lxc-execute` and the shim it starts, and the run directory layout.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod launch;
pub mod logfile;
pub mod monitor;
pub mod net;
pub mod rundir;
pub mod state;
pub mod wire;

pub use client::{Client, ClientError};
pub use state::{ExitStatus, Info, State};
pub use wire::{ErrorCode, Message, Request, Response, RpcError, MAX_LINE};

/// Version of the control protocol, reported by `info` as `protocol`.
pub const PROTOCOL_VERSION: u32 = 1;
