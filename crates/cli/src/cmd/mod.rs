//! One module per command: its argh struct and its `run`.
pub mod cgroup;
pub mod config;
pub mod create;
pub mod destroy;
pub mod execute;
pub mod freeze;
pub mod info;
pub mod kill;
pub mod ls;
pub mod monitor;
pub mod ps;
pub mod start;
pub mod state;
pub mod stop;
pub mod top;
pub mod update_config;
pub mod wait;
