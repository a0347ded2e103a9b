//! The value transformers of encryption at rest, as kube-apiserver's storage applies them
//! (`k8s.io/apiserver/pkg/storage/value`): each provider writes its prefix, each key its
//! name, then the sealed value.
//!
//! | provider | stored value |
//! |---|---|
//! | `aesgcm` | `k8s:enc:aesgcm:v1:<key>:` + 12-byte nonce + ciphertext + 16-byte tag, with the storage key as additional authenticated data (`encrypt/aes/aes.go`, `gcm`) |
//! | `secretbox` | `k8s:enc:secretbox:v1:<key>:` + 24-byte nonce + 16-byte Poly1305 tag + ciphertext, as NaCl's `secretbox.Seal` (`encrypt/secretbox/secretbox.go`); the storage key is not authenticated |
//! | `identity` | the value itself; refuses to read a value that starts `k8s:enc:` |
//!
//! Reading tries the providers in order by prefix, and a provider its keys by name; a value
//! read by anything but the first provider and its first key is *stale*, so that a write
//! of unchanged content still rewrites it (`value.NewPrefixTransformers`). Nonces are
//! random from aws-lc-rs's generator, as upstream's are from `crypto/rand`.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;

/// The prefix of every encrypted value; `identity` refuses to read one.
const ENCRYPTED: &[u8] = b"k8s:enc:";
/// `aesGCMTransformerPrefixV1`.
pub const AESGCM_PREFIX: &str = "k8s:enc:aesgcm:v1:";
/// `secretboxTransformerPrefixV1`.
pub const SECRETBOX_PREFIX: &str = "k8s:enc:secretbox:v1:";
const GCM_NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;
const SECRETBOX_NONCE_LEN: usize = 24;
const SECRETBOX_TAG_LEN: usize = 16;

/// Why a value could not be transformed; the texts are upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// A stored value no provider could read (`NewPrefixTransformers`' error, or the
    /// errors of the providers whose prefix matched, joined as Go's `errors.Reduce` does).
    #[error("{0}")]
    Unreadable(String),
    /// The system random generator failed while making a nonce.
    #[error("failed to write nonce: {0}")]
    Nonce(String),
    /// The cipher refused to seal the value.
    #[error("{0}")]
    Seal(String),
}

/// One AES-GCM key (16, 24 or 32 bytes: AES-128/192/256, all in aws-lc-rs).
pub struct AesGcmKey {
    key: LessSafeKey,
}

impl AesGcmKey {
    /// The key for `secret`; `None` unless it is 16, 24 or 32 bytes long.
    pub fn new(secret: &[u8]) -> Option<Self> {
        let algorithm = match secret.len() {
            16 => &aead::AES_128_GCM,
            24 => &aead::AES_192_GCM,
            32 => &aead::AES_256_GCM,
            _ => return None,
        };
        let key = UnboundKey::new(algorithm, secret).ok()?;
        Some(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// nonce + ciphertext + tag, with `aad` authenticated.
    fn seal_with(&self, nonce: [u8; GCM_NONCE_LEN], data: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(GCM_NONCE_LEN + data.len() + GCM_TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(data);
        let tag = self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[GCM_NONCE_LEN..],
        );
        match tag {
            Ok(tag) => out.extend_from_slice(tag.as_ref()),
            // Only for inputs past GCM's 64 GiB limit; no stored object comes near it.
            Err(_) => out.truncate(0),
        }
        out
    }

    fn seal(&self, data: &[u8], aad: &[u8]) -> Result<Vec<u8>, TransformError> {
        let mut nonce = [0u8; GCM_NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|e| TransformError::Nonce(e.to_string()))?;
        let sealed = self.seal_with(nonce, data, aad);
        if sealed.is_empty() {
            return Err(TransformError::Seal("AES-GCM refused the value".into()));
        }
        Ok(sealed)
    }

    fn open(&self, data: &[u8], aad: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() < GCM_NONCE_LEN {
            return Err("the stored data was shorter than the required size".into());
        }
        let (nonce, sealed) = data.split_at(GCM_NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|e| e.to_string())?;
        let mut buffer = sealed.to_vec();
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buffer)
            // Go's crypto/cipher text.
            .map_err(|_| "cipher: message authentication failed".to_string())?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

/// One secretbox key (32 bytes).
pub struct SecretboxKey {
    cipher: XSalsa20Poly1305,
}

impl SecretboxKey {
    /// The key for `secret`; `None` unless it is 32 bytes long.
    pub fn new(secret: &[u8]) -> Option<Self> {
        let key: [u8; 32] = secret.try_into().ok()?;
        Some(Self {
            cipher: XSalsa20Poly1305::new(&key.into()),
        })
    }

    /// nonce + tag + ciphertext (NaCl's layout: the tag leads).
    fn seal_with(&self, nonce: [u8; SECRETBOX_NONCE_LEN], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN + data.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&[0; SECRETBOX_TAG_LEN]);
        out.extend_from_slice(data);
        let body = SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN;
        match self
            .cipher
            .encrypt_in_place_detached(&nonce.into(), b"", &mut out[body..])
        {
            Ok(tag) => out[SECRETBOX_NONCE_LEN..body].copy_from_slice(&tag),
            Err(_) => out.truncate(0),
        }
        out
    }

    fn seal(&self, data: &[u8]) -> Result<Vec<u8>, TransformError> {
        let mut nonce = [0u8; SECRETBOX_NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|e| TransformError::Nonce(e.to_string()))?;
        let sealed = self.seal_with(nonce, data);
        if sealed.is_empty() {
            return Err(TransformError::Seal("secretbox refused the value".into()));
        }
        Ok(sealed)
    }

    fn open(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() < SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN {
            return Err("the stored data was shorter than the required size".into());
        }
        let (nonce, rest) = data.split_at(SECRETBOX_NONCE_LEN);
        let (tag, ciphertext) = rest.split_at(SECRETBOX_TAG_LEN);
        let nonce: [u8; SECRETBOX_NONCE_LEN] = nonce.try_into().map_err(|_| "nonce")?;
        let tag: [u8; SECRETBOX_TAG_LEN] = tag.try_into().map_err(|_| "tag")?;
        let mut buffer = ciphertext.to_vec();
        self.cipher
            .decrypt_in_place_detached(&nonce.into(), b"", &mut buffer, &tag.into())
            // Upstream's text for any failure to open the box.
            .map_err(|_| "output array was not large enough for encryption".to_string())?;
        Ok(buffer)
    }
}

/// One entry of a resource's `providers`, with its keys in order (the first one writes).
pub enum Provider {
    /// `aesgcm`.
    AesGcm(Vec<(String, AesGcmKey)>),
    /// `secretbox`.
    Secretbox(Vec<(String, SecretboxKey)>),
    /// `identity`.
    Identity,
}

impl Provider {
    fn prefix(&self) -> &'static str {
        match self {
            Provider::AesGcm(_) => AESGCM_PREFIX,
            Provider::Secretbox(_) => SECRETBOX_PREFIX,
            Provider::Identity => "",
        }
    }

    /// What `data` (the prefix already removed) holds and whether it is stale (read with
    /// a key other than the first).
    fn open(&self, data: &[u8], aad: &[u8]) -> Result<(Vec<u8>, bool), String> {
        match self {
            Provider::Identity => identity_open(data).map(|data| (data, false)),
            Provider::AesGcm(keys) => open_by_key_name(
                keys,
                data,
                |key, sealed| key.open(sealed, aad),
                "no matching key was found for the provided AES transformer",
            ),
            Provider::Secretbox(keys) => open_by_key_name(
                keys,
                data,
                |key, sealed| key.open(sealed),
                "no matching key was found for the provided Secretbox transformer",
            ),
        }
    }

    fn seal(&self, data: &[u8], aad: &[u8]) -> Result<Vec<u8>, TransformError> {
        let prefixed = |name: &str, sealed: Vec<u8>| {
            let prefix = self.prefix();
            let mut out = Vec::with_capacity(prefix.len() + name.len() + 1 + sealed.len());
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(&sealed);
            out
        };
        match self {
            Provider::Identity => Ok(data.to_vec()),
            Provider::AesGcm(keys) => match keys.first() {
                Some((name, key)) => Ok(prefixed(name, key.seal(data, aad)?)),
                None => Err(TransformError::Seal(
                    "aes provider has no valid keys".into(),
                )),
            },
            Provider::Secretbox(keys) => match keys.first() {
                Some((name, key)) => Ok(prefixed(name, key.seal(data)?)),
                None => Err(TransformError::Seal(
                    "secretbox provider has no valid keys".into(),
                )),
            },
        }
    }
}

/// `identity.NewEncryptCheckTransformer`'s read.
fn identity_open(data: &[u8]) -> Result<Vec<u8>, String> {
    if data.starts_with(ENCRYPTED) {
        return Err("identity transformer tried to read encrypted data".into());
    }
    Ok(data.to_vec())
}

/// Tries the keys whose `name:` prefixes `data`, in order, as a provider's inner
/// `NewPrefixTransformers` does: a failing key does not stop a later one of the same name.
fn open_by_key_name<K>(
    keys: &[(String, K)],
    data: &[u8],
    open: impl Fn(&K, &[u8]) -> Result<Vec<u8>, String>,
    none_matched: &str,
) -> Result<(Vec<u8>, bool), String> {
    let mut errors = Vec::new();
    for (index, (name, key)) in keys.iter().enumerate() {
        let Some(sealed) = strip_key_name(data, name) else {
            continue;
        };
        match open(key, sealed) {
            Ok(plain) => return Ok((plain, index != 0)),
            Err(e) => errors.push(e),
        }
    }
    Err(reduce(errors).unwrap_or_else(|| none_matched.to_string()))
}

fn strip_key_name<'a>(data: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let rest = data.strip_prefix(name.as_bytes())?;
    rest.strip_prefix(b":")
}

/// Go's `errors.Reduce(errors.NewAggregate(errs))`: nothing, the one message, or the
/// distinct messages as `[e1, e2]` (an aggregate prints each text once).
fn reduce(errors: Vec<String>) -> Option<String> {
    let mut distinct: Vec<String> = Vec::with_capacity(errors.len());
    for error in errors {
        if !distinct.contains(&error) {
            distinct.push(error);
        }
    }
    match distinct.len() {
        0 => None,
        1 => distinct.pop(),
        _ => Some(format!("[{}]", distinct.join(", "))),
    }
}

/// A resource's providers in order: the first writes, all read by prefix
/// (`value.NewPrefixTransformers` with upstream's `no matching prefix found`). A resource
/// no configuration names gets [`Chain::identity`].
pub struct Chain {
    providers: Vec<Provider>,
    /// Reads with identity alone, without the prefix chain (`NewEncryptCheckTransformer`
    /// as the default transformer).
    unconfigured: bool,
}

impl Chain {
    /// The providers of one configured resource.
    pub fn new(providers: Vec<Provider>) -> Self {
        Self {
            providers,
            unconfigured: false,
        }
    }

    /// The transformer of resources no configuration names: values are stored as they
    /// are, and an encrypted value is refused.
    pub fn identity() -> Self {
        Self {
            providers: vec![Provider::Identity],
            unconfigured: true,
        }
    }

    /// Whether values are written as they are (the first provider is `identity`).
    pub fn writes_plain(&self) -> bool {
        matches!(self.providers.first(), None | Some(Provider::Identity))
    }

    /// The stored form of `data`, sealed by the first provider with its first key.
    ///
    /// Errors: the random generator or the cipher failed.
    pub fn to_storage(&self, data: &[u8], aad: &[u8]) -> Result<Vec<u8>, TransformError> {
        match self.providers.first() {
            Some(first) => first.seal(data, aad),
            None => Ok(data.to_vec()),
        }
    }

    /// The value stored as `data`, and whether it is stale: read by a provider other
    /// than the first or a key other than its first, so a write must rewrite it even when
    /// its content is unchanged.
    ///
    /// Errors: no provider reads it ([`TransformError::Unreadable`], upstream's texts).
    pub fn from_storage(&self, data: &[u8], aad: &[u8]) -> Result<(Vec<u8>, bool), TransformError> {
        if self.unconfigured {
            return identity_open(data)
                .map(|data| (data, false))
                .map_err(TransformError::Unreadable);
        }
        let mut errors = Vec::new();
        for (index, provider) in self.providers.iter().enumerate() {
            let Some(rest) = data.strip_prefix(provider.prefix().as_bytes()) else {
                continue;
            };
            match provider.open(rest, aad) {
                Ok((plain, stale)) => return Ok((plain, stale || index != 0)),
                // Identity refusing encrypted data lets a later provider try (migrating
                // away from encryption puts identity first).
                Err(_) if matches!(provider, Provider::Identity) => {}
                Err(e) => errors.push(e),
            }
        }
        Err(TransformError::Unreadable(
            reduce(errors).unwrap_or_else(|| "no matching prefix found".into()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn aes(names: &[(&str, &[u8])]) -> Provider {
        Provider::AesGcm(
            names
                .iter()
                .map(|(n, k)| (n.to_string(), AesGcmKey::new(k).expect("key")))
                .collect(),
        )
    }

    fn secretbox(names: &[(&str, &[u8])]) -> Provider {
        Provider::Secretbox(
            names
                .iter()
                .map(|(n, k)| (n.to_string(), SecretboxKey::new(k).expect("key")))
                .collect(),
        )
    }

    #[test]
    fn aes_gcm_seals_nonce_ciphertext_tag_with_the_aad_as_the_gcm_spec_vector() {
        // Test case 4 of "The Galois/Counter Mode of Operation" (McGrew, Viega): AES-128,
        // 96-bit IV, 20 bytes of additional data.
        let key = AesGcmKey::new(&hex("feffe9928665731c6d6a8f9467308308")).expect("key");
        let nonce: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().expect("nonce");
        let plain = hex(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ));
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let sealed = key.seal_with(nonce, &plain, &aad);
        let expected = [
            "cafebabefacedbaddecaf888",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        ]
        .concat();
        assert_eq!(sealed, hex(&expected));
        assert_eq!(key.open(&sealed, &aad).expect("open"), plain);
        assert_eq!(
            key.open(&sealed, b"/registry/secrets/a/other")
                .err()
                .as_deref(),
            Some("cipher: message authentication failed"),
            "the storage key is authenticated"
        );
    }

    #[test]
    fn aes_gcm_takes_128_192_and_256_bit_keys_only() {
        for len in [16, 24, 32] {
            let key = AesGcmKey::new(&vec![7; len]).expect("key");
            let sealed = key.seal(b"{}", b"k").expect("seal");
            assert_eq!(sealed.len(), 12 + 2 + 16);
            assert_eq!(key.open(&sealed, b"k").expect("open"), b"{}");
        }
        for len in [0, 8, 31, 33] {
            assert!(AesGcmKey::new(&vec![7; len]).is_none(), "{len}");
        }
    }

    #[test]
    fn aes_gcm_values_carry_the_prefix_and_key_name_and_read_back() {
        let chain = Chain::new(vec![aes(&[("key1", &[1; 32])])]);
        let aad = b"/registry/secrets/default/s";
        let stored = chain.to_storage(b"{\"a\":1}", aad).expect("seal");
        assert!(stored.starts_with(b"k8s:enc:aesgcm:v1:key1:"));
        assert!(!stored.windows(7).any(|w| w == b"{\"a\":1}"));
        assert_eq!(
            chain.from_storage(&stored, aad).expect("open"),
            (b"{\"a\":1}".to_vec(), false)
        );
        // The same ciphertext moved to another key does not open.
        let moved = chain.from_storage(&stored, b"/registry/secrets/default/t");
        assert_eq!(
            moved,
            Err(TransformError::Unreadable(
                "cipher: message authentication failed".into()
            ))
        );
    }

    #[test]
    fn secretbox_matches_the_nacl_layout_tag_first() {
        let key = SecretboxKey::new(&[9; 32]).expect("key");
        let nonce = [3; 24];
        let sealed = key.seal_with(nonce, b"hello");
        assert_eq!(sealed.len(), 24 + 16 + 5);
        assert_eq!(&sealed[..24], &nonce);
        // The same bytes through the crate's combined NaCl form (tag, then ciphertext).
        use crypto_secretbox::aead::Aead;
        let combined = XSalsa20Poly1305::new(&[9; 32].into())
            .encrypt(&nonce.into(), &b"hello"[..])
            .expect("encrypt");
        assert_eq!(&sealed[24..], &combined[..]);
        assert_eq!(key.open(&sealed).expect("open"), b"hello");
        let mut tampered = sealed.clone();
        tampered[30] ^= 1;
        assert_eq!(
            key.open(&tampered).err().as_deref(),
            Some("output array was not large enough for encryption")
        );
        assert!(SecretboxKey::new(&[9; 16]).is_none());
    }

    #[test]
    fn rotation_reads_old_keys_and_marks_them_stale() {
        let old = Chain::new(vec![aes(&[("key1", &[1; 16])])]);
        let stored = old.to_storage(b"{}", b"k").expect("seal");
        let rotated = Chain::new(vec![aes(&[("key2", &[2; 16]), ("key1", &[1; 16])])]);
        assert_eq!(
            rotated.from_storage(&stored, b"k").expect("read"),
            (b"{}".to_vec(), true)
        );
        let rewritten = rotated.to_storage(b"{}", b"k").expect("seal");
        assert!(rewritten.starts_with(b"k8s:enc:aesgcm:v1:key2:"));
        assert_eq!(
            rotated.from_storage(&rewritten, b"k").expect("read"),
            (b"{}".to_vec(), false)
        );
        let without = Chain::new(vec![aes(&[("key2", &[2; 16])])]);
        assert_eq!(
            without.from_storage(&stored, b"k"),
            Err(TransformError::Unreadable(
                "no matching key was found for the provided AES transformer".into()
            ))
        );
    }

    #[test]
    fn providers_are_tried_by_prefix_and_identity_first_reads_old_encrypted_values() {
        let sealed_by_box = Chain::new(vec![secretbox(&[("b", &[5; 32])])])
            .to_storage(b"{}", b"k")
            .expect("seal");
        assert!(sealed_by_box.starts_with(b"k8s:enc:secretbox:v1:b:"));
        let chain = Chain::new(vec![
            Provider::Identity,
            aes(&[("a", &[1; 32])]),
            secretbox(&[("b", &[5; 32])]),
        ]);
        assert!(chain.writes_plain());
        assert_eq!(chain.to_storage(b"{}", b"k").expect("plain"), b"{}");
        assert_eq!(
            chain.from_storage(&sealed_by_box, b"k").expect("read"),
            (b"{}".to_vec(), true)
        );
        assert_eq!(
            chain.from_storage(b"{}", b"k").expect("plain"),
            (b"{}".to_vec(), false)
        );
        // Encryption first: plain values are stale, and with no identity unreadable.
        let encrypting = Chain::new(vec![aes(&[("a", &[1; 32])]), Provider::Identity]);
        assert_eq!(
            encrypting.from_storage(b"{}", b"k").expect("read"),
            (b"{}".to_vec(), true)
        );
        let only_aes = Chain::new(vec![aes(&[("a", &[1; 32])])]);
        assert_eq!(
            only_aes.from_storage(b"{}", b"k"),
            Err(TransformError::Unreadable(
                "no matching prefix found".into()
            ))
        );
    }

    #[test]
    fn an_unconfigured_resource_refuses_encrypted_values() {
        let chain = Chain::identity();
        assert_eq!(
            chain.from_storage(b"k8s:enc:aesgcm:v1:a:xyz", b"k"),
            Err(TransformError::Unreadable(
                "identity transformer tried to read encrypted data".into()
            ))
        );
        assert_eq!(chain.from_storage(b"{}", b"k").expect("plain").0, b"{}");
    }

    #[test]
    fn failing_keys_of_the_same_name_are_all_reported() {
        let writer = Chain::new(vec![aes(&[("k", &[1; 16])])]);
        let stored = writer.to_storage(b"{}", b"x").expect("seal");
        let reader = Chain::new(vec![aes(&[("k", &[2; 16])]), aes(&[("k", &[3; 16])])]);
        assert_eq!(
            reader.from_storage(&stored, b"x"),
            Err(TransformError::Unreadable(
                "cipher: message authentication failed".into()
            )),
            "one text, printed once"
        );
        let mixed = Chain::new(vec![
            aes(&[("k", &[2; 16])]),
            secretbox(&[("k", &[3; 32])]),
            aes(&[("j", &[1; 16])]),
        ]);
        let boxed = Chain::new(vec![secretbox(&[("k", &[4; 32])])])
            .to_storage(b"{}", b"x")
            .expect("seal");
        assert_eq!(
            mixed.from_storage(&boxed, b"x"),
            Err(TransformError::Unreadable(
                "output array was not large enough for encryption".into()
            ))
        );
        assert_eq!(
            mixed.from_storage(&stored, b"x"),
            Err(TransformError::Unreadable(
                "[cipher: message authentication failed, no matching key was found for the provided AES transformer]".into()
            ))
        );
    }
}
