//! The line syntax both directions share: `key = value` split at the first '=', and values
//! in matching quotes. A leaf of its own so that the reader (`parse.rs`) and the `Writer`
//! agree on quoting without importing each other.

/// Splits `KEY = VALUE` at the first '=', trims both sides and unquotes the value; None
/// without '=' or key.
pub(crate) fn split_key_value(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text.split_once('=')?;
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    Some((key, unquote(value.trim())))
}

/// A value in matching single or double quotes, without them (LXC's templates write
/// `lxc.uts.name = "box"`); anything else as it is. No escapes inside.
pub(crate) fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}
