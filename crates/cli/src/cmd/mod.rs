//! One module per command: its argh struct and its `run`.
pub mod create;
pub mod destroy;
pub mod execute;
pub mod info;
pub mod state;
