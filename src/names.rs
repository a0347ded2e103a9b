//! Random name suffixes (`generateName`, `<sa>-token-xxxxx`), injectable so tests can be
//! deterministic, and random object UIDs.

use rand::Rng;

/// The alphabet Kubernetes uses for generated suffixes: no vowels, no confusable digits.
pub const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of a generated suffix.
pub const SUFFIX_LENGTH: usize = 5;
/// Names are at most 63 characters, so a base is cut to 58 before the suffix.
pub const MAX_BASE_LENGTH: usize = 63 - SUFFIX_LENGTH;

/// A random (version 4) UUID in its hyphenated form, as `metadata.uid` and a token's `jti`
/// carry one (upstream's `uuid.NewUUID`). The bytes come from the thread's CSPRNG
/// (`rand::rng()`, seeded by the OS) rather than a `getrandom` system call per UID, which
/// every create would otherwise make.
pub fn new_uid() -> String {
    uuid::Builder::from_random_bytes(rand::rng().random())
        .into_uuid()
        .to_string()
}

/// Turns a base such as `default-token-` into a full name.
pub trait NameGenerator: Send + Sync + std::fmt::Debug {
    /// `base` followed by a suffix; the base is cut so the name fits 63 characters.
    fn generate(&self, base: &str) -> String;
}

/// Kubernetes' `SimpleNameGenerator`: base (cut to 58 characters) plus 5 random characters.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomNames;

impl NameGenerator for RandomNames {
    fn generate(&self, base: &str) -> String {
        let mut rng = rand::rng();
        let suffix: String = (0..SUFFIX_LENGTH)
            .map(|_| SUFFIX_ALPHABET[rng.random_range(0..SUFFIX_ALPHABET.len())] as char)
            .collect();
        format!("{}{}", truncate_base(base), suffix)
    }
}

/// Appends a fixed suffix, as upstream tests do with `n -> n + "abc123"`.
#[derive(Debug, Clone)]
pub struct FixedSuffix(pub String);

impl NameGenerator for FixedSuffix {
    fn generate(&self, base: &str) -> String {
        format!("{}{}", truncate_base(base), self.0)
    }
}

fn truncate_base(base: &str) -> &str {
    match base.char_indices().nth(MAX_BASE_LENGTH) {
        Some((idx, _)) => &base[..idx],
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_use_the_kubernetes_alphabet_and_length() {
        let name = RandomNames.generate("default-token-");
        let suffix = name.strip_prefix("default-token-").expect("base kept");
        assert_eq!(suffix.len(), SUFFIX_LENGTH);
        assert!(
            suffix.bytes().all(|b| SUFFIX_ALPHABET.contains(&b)),
            "{suffix}"
        );
    }

    #[test]
    fn long_bases_are_cut_to_58_characters() {
        let base = "a".repeat(70);
        let name = RandomNames.generate(&base);
        assert_eq!(name.len(), 63);
        assert!(name.starts_with(&"a".repeat(58)));
    }

    #[test]
    fn fixed_suffix_is_deterministic() {
        assert_eq!(FixedSuffix("abc123".into()).generate("p-"), "p-abc123");
    }
}
