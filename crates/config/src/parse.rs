//! The line reader shared by `parse_str`, `parse_file` and `Config::set`: `key = value` lines,
//! values unquoted, each key resolved through the table and applied; `lxc.include` reads
//! other files in place. A failed key may leave `Settings` half-updated: callers drop them
//! (a parse returns the error, `Config::set` works on a copy).

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{quoted, ConfigError};
use crate::model::{Config, Entry};
use crate::netkeys::NetState;
use crate::read;
use crate::syntax::split_key_value;
use crate::table::def::{Apply, Input};
use crate::table::Table;

/// How deep `lxc.include` may nest (a file including a file ... 16 levels).
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// How many files one parse reads at most: includes may fan out (a file including a
/// directory twice, each file of which does the same...), and each file costs up to 1 MiB.
const MAX_FILES: usize = 1000;

/// Where a line is.
pub(crate) struct Place<'a> {
    pub(crate) source: &'a str,
    pub(crate) line: usize,
    /// The directory of the file; None for `-s` and for text without a file.
    pub(crate) dir: Option<&'a Path>,
}

impl Place<'_> {
    fn error(&self, key: Option<&str>, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.source, self.line, key, message)
    }
}

pub(crate) struct Parser<'c> {
    config: &'c mut Config,
    /// Made for this parse and dropped with it (see `Table`).
    table: Table,
    net: NetState,
    /// Canonical paths of the files being read, outermost first: including one is a cycle.
    reading: Vec<PathBuf>,
    depth: usize,
    files: usize,
}

impl<'c> Parser<'c> {
    /// A parser that continues `config`: `lxc.network.*` keys address the last 2008
    /// interface of its entries.
    pub(crate) fn new(config: &'c mut Config) -> Self {
        let table = Table::new();
        let net = NetState::replay(&table, &config.entries);
        Parser {
            config,
            table,
            net,
            reading: Vec::new(),
            depth: 0,
            files: 0,
        }
    }

    /// Parses a file's text (or text standing for one).
    pub(crate) fn text(
        &mut self,
        text: &str,
        source: &str,
        dir: Option<&Path>,
    ) -> Result<(), ConfigError> {
        self.text_seen(text, source, dir, &mut |_, _, _| {})
    }

    /// `text`, calling `seen(net, line, key)` after each of its own `key = value` lines is
    /// applied (not those of the files it includes), with the network state as it stands
    /// then: `update.rs` learns which interface each 2008 network key addressed.
    pub(crate) fn text_seen(
        &mut self,
        text: &str,
        source: &str,
        dir: Option<&Path>,
        seen: &mut dyn FnMut(&NetState, usize, &str),
    ) -> Result<(), ConfigError> {
        // Editors on other systems may leave a byte-order mark; it is not part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, raw) in text.lines().enumerate() {
            let place = Place {
                source,
                line: number + 1,
                dir,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (key, value) = split_key_value(trimmed).ok_or_else(|| {
                place.error(
                    None,
                    format!("expected KEY = VALUE, got {}", quoted(trimmed)),
                )
            })?;
            self.line(key, value, &place)?;
            seen(&self.net, place.line, key);
        }
        Ok(())
    }

    /// Applies one `key = value` (trimmed, unquoted) and records it.
    pub(crate) fn line(
        &mut self,
        key: &str,
        value: &str,
        at: &Place<'_>,
    ) -> Result<(), ConfigError> {
        let resolved = (self.table.resolve(key)).map_err(|message| at.error(Some(key), message))?;
        if value.contains(|c: char| c.is_control() && c != '\t') {
            // A newline (from `-s`) would split the value when written back; the rest has no
            // business in a config and could reach a terminal through messages.
            return Err(at.error(Some(key), "control character in the value"));
        }
        if resolved.is_bare_family() && !value.is_empty() {
            return Err(at.error(
                Some(key),
                format!(
                    "only an empty value is allowed here (it removes every {}.* setting), got {}",
                    resolved.def.name,
                    quoted(value)
                ),
            ));
        }
        let input = Input {
            key,
            def: resolved.def,
            sub: resolved.sub,
            legacy: resolved.legacy,
            value,
            source: at.source,
            line: at.line,
            dir: at.dir,
        };
        let settings = &mut self.config.settings;
        let applied = match resolved.def.apply {
            Apply::Set(set) => set(settings, &input),
            Apply::Net => self.net.apply(settings, &input),
            Apply::Include => {
                let path = (!value.is_empty()).then(|| input.resolve(value));
                // The include's entry goes before the entries of what it reads.
                self.record(key, value, at);
                return match path {
                    Some(path) => self.include(key, &path, at),
                    None => Ok(()),
                };
            }
        };
        applied.map_err(|message| at.error(Some(key), message))?;
        self.record(key, value, at);
        Ok(())
    }

    fn record(&mut self, key: &str, value: &str, at: &Place<'_>) {
        self.config.entries.push(Entry {
            key: key.to_owned(),
            value: value.to_owned(),
            source: at.source.to_owned(),
            line: at.line,
        });
    }

    /// `key = PATH` (an `lxc.include`, `path` resolved): the file, or each `*.conf` of the
    /// directory, read at this point.
    fn include(&mut self, key: &str, path: &Path, at: &Place<'_>) -> Result<(), ConfigError> {
        let fail = |message: String| at.error(Some(key), message);
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(fail(format!(
                "includes nested deeper than {MAX_INCLUDE_DEPTH} levels"
            )));
        }
        let targets = read::include_targets(path)
            .map_err(|why| fail(format!("{}: {why}", path.display())))?;
        self.depth += 1;
        let result = targets
            .iter()
            .try_for_each(|target| self.file(target, Some(&fail)));
        self.depth -= 1;
        result
    }

    /// Reads and parses one file; `from` makes errors about the file as a whole (a cycle, too
    /// many files, not a regular file, too large) point at the include line that asked for
    /// it. Errors inside the file name the file and its line.
    pub(crate) fn file(
        &mut self,
        path: &Path,
        from: Option<&dyn Fn(String) -> ConfigError>,
    ) -> Result<(), ConfigError> {
        let name = path.display().to_string();
        let at_include = |message: String| match from {
            Some(fail) => fail(message),
            None => ConfigError::new(&name, 0, None, message),
        };
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(at_include(format!(
                "{name}: more than {MAX_FILES} files read through lxc.include"
            )));
        }
        // A path that does not resolve is reported by the read below, in its own words.
        let canonical = fs::canonicalize(path).ok();
        if let Some(canonical) = &canonical {
            if let Some(start) = self.reading.iter().position(|p| p == canonical) {
                let chain: Vec<String> = self.reading[start..]
                    .iter()
                    .chain([canonical])
                    .map(|p| p.display().to_string())
                    .collect();
                return Err(at_include(format!("include cycle: {}", chain.join(" -> "))));
            }
        }
        let text = read::read_file(path).map_err(|err| match from {
            // The file as a whole (missing, a FIFO, too large): say which include asked for it.
            Some(fail) if err.line == 0 => fail(err.to_string()),
            _ => err,
        })?;
        self.reading
            .push(canonical.unwrap_or_else(|| path.to_path_buf()));
        let result = self.text(&text, &name, path.parent());
        self.reading.pop();
        result
    }

    /// A file that stands for `path` but whose text is already read (`parse_file_text`).
    pub(crate) fn text_of_file(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        self.text_of_file_seen(text, path, &mut |_, _, _| {})
    }

    /// `text_of_file` with `text_seen`'s observer.
    pub(crate) fn text_of_file_seen(
        &mut self,
        text: &str,
        path: &Path,
        seen: &mut dyn FnMut(&NetState, usize, &str),
    ) -> Result<(), ConfigError> {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.reading.push(canonical);
        let result = self.text_seen(text, &path.display().to_string(), path.parent(), seen);
        self.reading.pop();
        result
    }

    /// The end-of-input checks.
    pub(crate) fn finish(self) -> Result<(), ConfigError> {
        self.net.finish(&self.config.settings)
    }
}

/// `Config::set`: one `KEY=VALUE` on a copy, committed only if it and the end-of-input checks
/// pass. No end-of-input comes after the last option to report an interface that never got
/// a type, so each option is checked as a complete input: `-s lxc.net.1.link=br0` needs an
/// earlier `lxc.net.1.type`.
pub(crate) fn set(
    config: &mut Config,
    key_value: &str,
    source: &str,
    line: usize,
) -> Result<(), ConfigError> {
    let (key, value) = split_key_value(key_value).ok_or_else(|| {
        let got = quoted(key_value.trim());
        ConfigError::new(source, line, None, format!("expected KEY=VALUE, got {got}"))
    })?;
    let mut copy = config.clone();
    let mut parser = Parser::new(&mut copy);
    let at = Place {
        source,
        line,
        dir: None,
    };
    parser.line(key, value, &at)?;
    parser.finish()?;
    *config = copy;
    Ok(())
}
