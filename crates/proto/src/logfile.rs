//! A `log` backend shared by the commands and the shim (`-o LOGFILE -l LEVEL`): one line per
//! record, `time level name=<container> pid=<pid> message`, appended to the file.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

struct FileLogger {
    file: Mutex<File>,
    name: String,
    level: log::LevelFilter,
}

impl log::Log for FileLogger {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= self.level
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!(
            "{}.{:06} {} name={} pid={} {}\n",
            t.as_secs(),
            t.subsec_micros(),
            record.level(),
            self.name,
            std::process::id(),
            record.args()
        );
        if let Ok(mut f) = self.file.lock() {
            // A full disk must not take the container down with it.
            let _ = f.write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// Parses a level name as LXC spells them (ERROR, WARN, INFO, DEBUG, TRACE, any case; also
/// NOTICE as INFO and FATAL/CRIT/ALERT as ERROR).
pub fn parse_level(s: &str) -> Option<log::LevelFilter> {
    Some(match s.to_ascii_uppercase().as_str() {
        "TRACE" => log::LevelFilter::Trace,
        "DEBUG" => log::LevelFilter::Debug,
        "INFO" | "NOTICE" => log::LevelFilter::Info,
        "WARN" | "WARNING" => log::LevelFilter::Warn,
        "ERROR" | "CRIT" | "ALERT" | "FATAL" => log::LevelFilter::Error,
        _ => return None,
    })
}

static LOG_FD: OnceLock<RawFd> = OnceLock::new();

/// The log file's descriptor, once [`init`] has opened one: a process that closes the
/// descriptors it inherited (the shim) must keep this one.
pub fn fd() -> Option<RawFd> {
    LOG_FD.get().copied()
}

/// Appends records for container `name` at `level` or above to `path`.
pub fn init(path: &Path, name: &str, level: log::LevelFilter) -> io::Result<()> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let _ = LOG_FD.set(file.as_raw_fd());
    let logger = FileLogger {
        file: Mutex::new(file),
        name: name.to_string(),
        level,
    };
    log::set_boxed_logger(Box::new(logger)).map_err(io::Error::other)?;
    log::set_max_level(level);
    Ok(())
}
