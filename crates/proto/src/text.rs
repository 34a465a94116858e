//! Text for messages: an errno's words without Rust's suffix, and what others chose (a
//! container, a client, a user) cut short before it is quoted, its control characters escaped.

/// An I/O error's text without Rust's " (os error N)" suffix: what strerror(3) says.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `text` cut to at most `max` characters (`max` >= 3), ending in `...` when cut: for quoting
/// what a user or a container chose without echoing megabytes of it.
pub fn shorten(text: &str, max: usize) -> String {
    if text.char_indices().nth(max).is_none() {
        return text.to_string();
    }
    let keep = max.saturating_sub(3);
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    format!("{}...", &text[..end])
}

/// `text` with control characters (and DEL) shown as escapes, `\u{1b}` for ESC: for printing
/// or logging what a container chose, which must not drive a terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_and_shorten() {
        let e = std::io::Error::from_raw_os_error(13);
        assert_eq!(strerror(&e), "Permission denied");
        assert_eq!(shorten("abcdefgh", 6), "abc...");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("éééééé", 4), "é...");
        assert!(shorten(&"x".repeat(10_000), 4096).chars().count() == 4096);
        assert_eq!(
            printable("a\u{1b}[31mb\tc\u{7f}"),
            "a\\u{1b}[31mb\\tc\\u{7f}"
        );
        assert_eq!(printable("sleep 60 é"), "sleep 60 é");
    }
}
