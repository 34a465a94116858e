//! The one way this crate reads a file (configs, included files, fstabs): a regular file of at
//! most `MAX_FILE_SIZE` bytes, UTF-8 without NUL bytes. Nothing else is ever opened: a FIFO
//! would block open(2) and read(2) forever, a device (/dev/zero) never ends, and opening a
//! tty can make it our controlling terminal.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{io_message, ConfigError};

/// The largest config, included file or fstab read (1 MiB; LXC's own configs are a few kB).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

const TOO_LARGE: &str = "larger than 1 MiB, the limit for config files and fstabs";
const NOT_REGULAR: &str = "not a regular file";

/// Reads `path` as config text; errors name the file as given (and the line, for a NUL byte
/// or invalid UTF-8).
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
    let name = path.display().to_string();
    let fail = |message: String| ConfigError::new(&name, 0, None, message);
    // Look before opening: opening is what a FIFO blocks on, and what has effects on devices.
    let meta = fs::metadata(path).map_err(|e| fail(io_message(&e)))?;
    if !meta.is_file() {
        return Err(fail(NOT_REGULAR.to_owned()));
    }
    // O_NONBLOCK: if the path was swapped for a FIFO since the look, open(2) still returns at
    // once, and the fstat below refuses it. O_NOCTTY: likewise for a terminal.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| fail(io_message(&e)))?;
    let meta = file.metadata().map_err(|e| fail(io_message(&e)))?;
    if !meta.is_file() {
        return Err(fail(NOT_REGULAR.to_owned()));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(fail(TOO_LARGE.to_owned()));
    }
    // The size can change while we read (and /proc files say 0): read one byte past the
    // limit to tell, never more.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(io_message(&e)))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(fail(TOO_LARGE.to_owned()));
    }
    decode(bytes, &name)
}

/// Checks for NUL bytes (text with one is not a config, and C consumers would cut it there)
/// and invalid UTF-8, naming the line of the first bad byte.
fn decode(bytes: Vec<u8>, name: &str) -> Result<String, ConfigError> {
    let line_of =
        |bytes: &[u8], pos: usize| 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count();
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = line_of(&bytes, pos);
        return Err(ConfigError::new(name, line, None, "contains a NUL byte"));
    }
    String::from_utf8(bytes).map_err(|err| {
        let line = line_of(err.as_bytes(), err.utf8_error().valid_up_to());
        ConfigError::new(name, line, None, "not valid UTF-8")
    })
}

/// What `lxc.include = PATH` reads: PATH itself, or for a directory its `*.conf` entries in
/// name order (as LXC: a name of at least one character before `.conf`). Each is read by
/// `read_file` later, which refuses what is not a regular file.
pub(crate) fn include_targets(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = fs::metadata(path).map_err(|e| io_message(&e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| io_message(&e))? {
        let entry = entry.map_err(|e| io_message(&e))?;
        let name = entry.file_name();
        let bytes = name.as_encoded_bytes();
        if bytes.len() > ".conf".len() && bytes.ends_with(b".conf") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names.into_iter().map(|name| path.join(name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::TempDir;
    use std::fs::File;

    #[test]
    fn reads_a_regular_file() {
        let dir = TempDir::new("read-ok");
        let path = dir.write("a.conf", "lxc.uts.name = a\n");
        assert_eq!(read_file(&path).unwrap(), "lxc.uts.name = a\n");
        let missing = dir.path().join("missing");
        let err = read_file(&missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: No such file or directory", missing.display())
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = TempDir::new("read-fifo");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo");
        // No writer ever opens it: a blocking open or read would hang this test.
        let err = read_file(&fifo).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: not a regular file", fifo.display())
        );
    }

    #[test]
    fn devices_and_directories_are_refused() {
        for path in ["/dev/zero", "/dev/null", "/"] {
            let err = read_file(Path::new(path)).unwrap_err();
            assert_eq!(err.to_string(), format!("{path}: not a regular file"));
        }
    }

    #[test]
    fn a_large_file_is_refused() {
        let dir = TempDir::new("read-big");
        let limit = usize::try_from(MAX_FILE_SIZE).unwrap();
        let ok = dir.write("ok.conf", &"#".repeat(limit));
        assert_eq!(read_file(&ok).unwrap().len(), limit);
        let big = dir.write("big.conf", &"#".repeat(limit + 1));
        let err = read_file(&big).unwrap_err();
        assert_eq!(err.to_string(), format!("{}: {TOO_LARGE}", big.display()));
        // A sparse 10 GB file is refused by its size alone, without reading it.
        let sparse = dir.path().join("sparse.conf");
        File::create(&sparse).unwrap().set_len(10 << 30).unwrap();
        assert!(read_file(&sparse).unwrap_err().message.contains("1 MiB"));
    }

    #[test]
    fn nul_bytes_and_bad_utf8_name_their_line() {
        let dir = TempDir::new("read-bytes");
        let nul = dir.path().join("nul.conf");
        fs::write(&nul, b"lxc.uts.name = a\n\nlxc.uts.name = b\0c\n").unwrap();
        let err = read_file(&nul).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}:3: contains a NUL byte", nul.display())
        );
        let latin1 = dir.path().join("latin1.conf");
        fs::write(&latin1, b"# ok\nlxc.uts.name = caf\xe9\n").unwrap();
        let err = read_file(&latin1).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}:2: not valid UTF-8", latin1.display())
        );
    }

    #[test]
    fn directories_include_their_conf_files_in_name_order() {
        let dir = TempDir::new("read-dir");
        for name in ["b.conf", "a.conf", ".conf", "c.conf.bak", "README"] {
            dir.write(name, "");
        }
        fs::create_dir(dir.path().join("d.conf")).unwrap();
        let got = include_targets(dir.path()).unwrap();
        let names: Vec<_> = got.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["a.conf", "b.conf", "d.conf"]);
    }
}
