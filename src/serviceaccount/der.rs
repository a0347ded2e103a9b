//! The little DER reading and writing the key formats need: enough to find an algorithm
//! identifier, a curve, or a certificate's SubjectPublicKeyInfo. Crypto itself stays in aws-lc.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// `[0]` constructed, context-specific (certificate version, SEC1 curve parameters).
pub(crate) const TAG_CONTEXT_0: u8 = 0xA0;

/// Object identifiers, as the content bytes of a DER OBJECT IDENTIFIER.
pub(crate) mod oid {
    /// 1.2.840.113549.1.1.1
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    /// 1.2.840.10045.2.1
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    /// 1.2.840.10045.3.1.7 (P-256)
    pub(crate) const SECP256R1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    /// 1.3.132.0.34 (P-384)
    pub(crate) const SECP384R1: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
    /// 1.3.132.0.35 (P-521)
    pub(crate) const SECP521R1: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x23];
    /// 1.3.101.112
    pub(crate) const ED25519: &[u8] = &[0x2B, 0x65, 0x70];
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
}

/// Reads elements one after another from a byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// The next element and its full encoding (tag and length included).
    pub(crate) fn read_with_encoding(&mut self) -> Option<(Element<'a>, &'a [u8])> {
        let input = self.input;
        let (&tag, rest) = input.split_first()?;
        let (&first_length_byte, rest) = rest.split_first()?;
        let (length, rest) = if first_length_byte < 0x80 {
            (usize::from(first_length_byte), rest)
        } else {
            // Long form; 0x80 (indefinite) is not DER, and 4 bytes is plenty for a key.
            let count = usize::from(first_length_byte & 0x7F);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (length_bytes, rest) = rest.split_at(count);
            let length = length_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (length, rest)
        };
        if rest.len() < length {
            return None;
        }
        let (content, remaining) = rest.split_at(length);
        let header_length = input.len() - rest.len();
        let encoding = &input[..header_length + length];
        self.input = remaining;
        Some((Element { tag, content }, encoding))
    }

    pub(crate) fn read(&mut self) -> Option<Element<'a>> {
        self.read_with_encoding().map(|(element, _)| element)
    }

    /// The content of the next element, which must carry `tag`.
    pub(crate) fn read_tagged(&mut self, tag: u8) -> Option<&'a [u8]> {
        let element = self.read()?;
        (element.tag == tag).then_some(element.content)
    }

    /// Reads the next element only when it carries `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.input.first() {
            Some(&next) if next == tag => self.read_tagged(tag),
            _ => None,
        }
    }
}

/// An AlgorithmIdentifier: the algorithm OID and, when the parameter is an OID
/// (the named curve of an EC key), that OID.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlgorithmIdentifier<'a> {
    pub(crate) algorithm: &'a [u8],
    pub(crate) parameter_oid: Option<&'a [u8]>,
}

fn algorithm_identifier(content: &[u8]) -> Option<AlgorithmIdentifier<'_>> {
    let mut reader = Reader::new(content);
    let algorithm = reader.read_tagged(TAG_OID)?;
    let parameter_oid = reader.optional(TAG_OID);
    Some(AlgorithmIdentifier {
        algorithm,
        parameter_oid,
    })
}

/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
pub(crate) fn parse_spki(der: &[u8]) -> Option<(AlgorithmIdentifier<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut spki = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    let algorithm = algorithm_identifier(spki.read_tagged(TAG_SEQUENCE)?)?;
    let bits = spki.read_tagged(TAG_BIT_STRING)?;
    // The first byte counts unused bits, always 0 for keys.
    let (&unused_bits, key) = bits.split_first()?;
    (unused_bits == 0).then_some((algorithm, key))
}

/// The full SubjectPublicKeyInfo encoding inside an X.509 certificate.
pub(crate) fn certificate_spki(der: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(der);
    let mut certificate = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    let mut tbs = Reader::new(certificate.read_tagged(TAG_SEQUENCE)?);
    tbs.optional(TAG_CONTEXT_0); // version
    tbs.read_tagged(TAG_INTEGER)?; // serialNumber
    tbs.read_tagged(TAG_SEQUENCE)?; // signature
    tbs.read_tagged(TAG_SEQUENCE)?; // issuer
    tbs.read_tagged(TAG_SEQUENCE)?; // validity
    tbs.read_tagged(TAG_SEQUENCE)?; // subject
    let (element, encoding) = tbs.read_with_encoding()?;
    (element.tag == TAG_SEQUENCE).then_some(encoding)
}

/// PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
pub(crate) fn parse_pkcs8(der: &[u8]) -> Option<(AlgorithmIdentifier<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    info.read_tagged(TAG_INTEGER)?;
    let algorithm = algorithm_identifier(info.read_tagged(TAG_SEQUENCE)?)?;
    let private_key = info.read_tagged(TAG_OCTET_STRING)?;
    Some((algorithm, private_key))
}

/// The pieces of a SEC1 ECPrivateKey that decide the curve:
/// SEQUENCE { version INTEGER, privateKey OCTET STRING, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
pub(crate) struct Sec1Key<'a> {
    pub(crate) private_key: &'a [u8],
    pub(crate) curve_oid: Option<&'a [u8]>,
}

pub(crate) fn parse_sec1(der: &[u8]) -> Option<Sec1Key<'_>> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    let version = key.read_tagged(TAG_INTEGER)?;
    if version != [1] {
        return None;
    }
    let private_key = key.read_tagged(TAG_OCTET_STRING)?;
    let curve_oid = match key.optional(TAG_CONTEXT_0) {
        Some(parameters) => Some(Reader::new(parameters).read_tagged(TAG_OID)?),
        None => None,
    };
    Some(Sec1Key {
        private_key,
        curve_oid,
    })
}

/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }; returns the modulus size in bits.
pub(crate) fn rsa_public_key_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut outer = Reader::new(pkcs1);
    let mut key = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    let modulus = key.read_tagged(TAG_INTEGER)?;
    key.read_tagged(TAG_INTEGER)?;
    key.is_empty().then(|| integer_bits(modulus))
}

/// RSAPrivateKey ::= SEQUENCE { version INTEGER, modulus INTEGER, ... }; returns the modulus size in bits.
pub(crate) fn rsa_private_key_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut outer = Reader::new(pkcs1);
    let mut key = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    key.read_tagged(TAG_INTEGER)?;
    let modulus = key.read_tagged(TAG_INTEGER)?;
    Some(integer_bits(modulus))
}

/// Significant bits of a non-negative DER INTEGER.
fn integer_bits(content: &[u8]) -> usize {
    match content.iter().position(|&b| b != 0) {
        Some(start) => (content.len() - start) * 8 - content[start].leading_zeros() as usize,
        None => 0,
    }
}

/// How the top of a private key's DER reveals its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateKeyFormat {
    /// SEQUENCE { INTEGER, SEQUENCE (algorithm), OCTET STRING, ... }
    Pkcs8,
    /// SEQUENCE { INTEGER 1, OCTET STRING, ... }
    Sec1,
    /// SEQUENCE { INTEGER 0, INTEGER (modulus), ... }
    Pkcs1,
}

pub(crate) fn private_key_format(der: &[u8]) -> Option<PrivateKeyFormat> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.read_tagged(TAG_SEQUENCE)?);
    key.read_tagged(TAG_INTEGER)?;
    match key.read()?.tag {
        TAG_SEQUENCE => Some(PrivateKeyFormat::Pkcs8),
        TAG_OCTET_STRING => Some(PrivateKeyFormat::Sec1),
        TAG_INTEGER => Some(PrivateKeyFormat::Pkcs1),
        _ => None,
    }
}

/// Writes one element.
pub(crate) fn write(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// Wraps a PKCS#1 RSAPublicKey into a SubjectPublicKeyInfo.
pub(crate) fn rsa_spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut algorithm = Vec::new();
    write(TAG_OID, oid::RSA_ENCRYPTION, &mut algorithm);
    write(TAG_NULL, &[], &mut algorithm);
    let mut bits = Vec::with_capacity(pkcs1.len() + 1);
    bits.push(0);
    bits.extend_from_slice(pkcs1);
    let mut body = Vec::new();
    write(TAG_SEQUENCE, &algorithm, &mut body);
    write(TAG_BIT_STRING, &bits, &mut body);
    let mut out = Vec::new();
    write(TAG_SEQUENCE, &body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for length in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; length];
            let mut encoded = Vec::new();
            write(TAG_OCTET_STRING, &content, &mut encoded);
            let mut reader = Reader::new(&encoded);
            let (element, encoding) = reader.read_with_encoding().unwrap();
            assert_eq!(element.tag, TAG_OCTET_STRING);
            assert_eq!(element.content.len(), length, "length {length}");
            assert_eq!(encoding.len(), encoded.len());
            assert!(reader.is_empty());
        }
    }

    #[test]
    fn truncated_and_indefinite_lengths_are_rejected() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x30],
            &[0x30, 0x05, 0x00],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
        ];
        for case in cases {
            assert!(Reader::new(case).read().is_none(), "{case:?}");
        }
    }

    #[test]
    fn rsa_modulus_bits() {
        // modulus 0x00 0x80 0x01 → 16 bits; exponent 3
        let mut key = Vec::new();
        write(TAG_INTEGER, &[0x00, 0x80, 0x01], &mut key);
        write(TAG_INTEGER, &[0x03], &mut key);
        let mut pkcs1 = Vec::new();
        write(TAG_SEQUENCE, &key, &mut pkcs1);
        assert_eq!(rsa_public_key_bits(&pkcs1), Some(16));
    }
}
