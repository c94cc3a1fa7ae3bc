//! Cutting text to a size without splitting a UTF-8 character: audit entries and tool output are
//! bounded in bytes, chat messages and quoted values in characters.

/// The longest prefix of `text` that is at most `max` bytes and ends on a character boundary.
pub fn truncate_bytes(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// The first `max` characters of `text` (all of it when shorter).
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_never_split_a_character() {
        assert_eq!(truncate_bytes("héllo", 2), "h");
        assert_eq!(truncate_bytes("héllo", 3), "hé");
        assert_eq!(truncate_bytes("héllo", 100), "héllo");
        assert_eq!(truncate_bytes("", 0), "");
        assert_eq!(truncate_bytes("😀x", 3), "");
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("héllo", 0), "");
        assert_eq!(truncate_chars("ab", 10), "ab");
    }
}
