//! Cutting text to a size without splitting a UTF-8 character (audit entries and tool output are
//! bounded in bytes, chat messages and quoted values in characters), and a stable hash of it.

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

/// FNV-1a (64 bits) of the bytes: the same input gives the same value on every build, platform
/// and restart, which fingerprints, ETags and the policy model's hashed features rely on.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(*b"foobar"), 0x8594_4171_f739_67e8);
    }
}
