//! Value checks, one function per kind of value. Each takes a trimmed, non-empty value and
//! returns the normalized value or a message that quotes (a short prefix of) the offending
//! text; the caller adds file, line and key. `scalar.rs`: scalars; `net.rs`: network fields;
//! `lists.rs`: lists and records; `signal.rs`: signals. This file only declares them, so
//! that `lists.rs` can build on `scalar.rs` without importing its parent.

pub(crate) mod lists;
pub(crate) mod net;
mod scalar;
mod signal;

pub use lists::capability_number;
pub(crate) use scalar::{
    parse_absolute, parse_arch, parse_bool, parse_facility, parse_hostname, parse_log_level,
    parse_number, parse_overlay, parse_proxy, parse_rootfs, parse_size, parse_text,
};
pub use signal::parse_signal;
