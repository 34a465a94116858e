//! The `log` backend of the commands (`-o LOGFILE -l LEVEL`), inherited by the shims they fork:
//! one line per record, `2026-11-29 12:53:00.123456 INFO name=<container> pid=<pid> message`,
//! appended to the file. The file is opened without following a symlink at its last component
//! (a log in a sticky, shared directory cannot be redirected by another user) and created 0600.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

struct FileLogger {
    file: Mutex<File>,
    name: String,
}

impl log::Log for FileLogger {
    /// The level is `log`'s own maximum, which [`set_level`] may change once the container's
    /// config (`lxc.log.level`) is read.
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {} name={} pid={} {}\n",
            timestamp(SystemTime::now()),
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

/// UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rest) = (secs / 86400, secs % 86400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        d.subsec_micros()
    )
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

/// The log file's descriptor, once [`init`] has opened one: a shim forked from this command
/// must keep it.
pub fn fd() -> Option<RawFd> {
    LOG_FD.get().copied()
}

/// Appends records for container `name` at `level` or above to `path`.
pub fn init(path: &Path, name: &str, level: log::LevelFilter) -> io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let _ = LOG_FD.set(file.as_raw_fd());
    let logger = FileLogger {
        file: Mutex::new(file),
        name: name.to_string(),
    };
    log::set_boxed_logger(Box::new(logger)).map_err(io::Error::other)?;
    log::set_max_level(level);
    Ok(())
}

/// Changes the level of the log opened by [`init`].
pub fn set_level(level: log::LevelFilter) {
    log::set_max_level(level);
}

/// `lxc.log.level`'s level (LXC's nine, onto `log`'s five).
pub fn from_config(level: lxc_config::LogLevel) -> log::LevelFilter {
    use lxc_config::LogLevel as L;
    match level {
        L::Trace => log::LevelFilter::Trace,
        L::Debug => log::LevelFilter::Debug,
        L::Info | L::Notice => log::LevelFilter::Info,
        L::Warn => log::LevelFilter::Warn,
        L::Error | L::Crit | L::Alert | L::Fatal => log::LevelFilter::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_926_814_123_456);
        assert_eq!(timestamp(t), "2026-11-29 04:33:34.123456");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00.000000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29 00:00:00.000000");
    }
}
