//! Word lists: a list of names is one string of single-space-separated words
//! (`"cgroup ipc mnt"`), never an array of strings, so that no `static` or `const` of this
//! crate holds a pointer (lib.rs says why). Lists that error messages print are printed as
//! they are written.

/// The words of `list`.
pub(crate) fn iter(list: &str) -> impl Iterator<Item = &str> {
    list.split_ascii_whitespace()
}

/// Whether `word` is one of `list`'s (an empty word never is).
pub(crate) fn contains(list: &str, word: &str) -> bool {
    iter(list).any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_list() {
        assert_eq!(iter("a bc d").collect::<Vec<_>>(), ["a", "bc", "d"]);
        assert_eq!(iter("").count(), 0);
        assert!(contains("a bc d", "bc") && !contains("a bc d", "b"));
        assert!(!contains("a bc", "") && !contains("a bc", "a bc"));
    }
}
