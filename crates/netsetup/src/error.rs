//! The error of a network step: the interface, what was tried, and why, with the errno by
//! name (EEXIST, ENODEV, EBUSY...), printed as one line.
use std::fmt;
use std::io;

/// A failed step: the interface, what was tried, and why.
#[derive(Debug)]
pub struct NetError {
    pub iface: String,
    pub message: String,
}

impl NetError {
    /// A message that names its interface itself.
    pub fn plain(message: String) -> NetError {
        NetError {
            iface: String::new(),
            message,
        }
    }

    pub fn io(iface: &str, what: impl Into<String>, e: io::Error) -> NetError {
        NetError {
            iface: iface.to_string(),
            message: format!("{}: {}", what.into(), describe_io(&e)),
        }
    }

    pub(crate) fn nl(iface: &str, what: impl Into<String>, e: rtnetlink::Error) -> NetError {
        let why = match &e {
            rtnetlink::Error::NetlinkError(m) => describe_io(&m.to_io()),
            other => other.to_string(),
        };
        NetError {
            iface: iface.to_string(),
            message: format!("{}: {why}", what.into()),
        }
    }
}

/// "File exists (EEXIST)".
fn describe_io(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => {
            let errno = nix::errno::Errno::from_raw(n);
            format!("{} ({errno:?})", errno.desc())
        }
        None => e.to_string(),
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.iface.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.iface, self.message)
        }
    }
}

impl std::error::Error for NetError {}
