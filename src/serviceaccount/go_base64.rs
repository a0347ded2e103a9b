//! jwt-go v3's `DecodeSegment` (the legacy, v1.8 authenticator's base64): the segment is
//! padded with `=` to a multiple of four and decoded by Go's `base64.URLEncoding`, which
//! skips `\r` and `\n`, accepts non-zero unused bits, and reports the first bad input with
//! its offset. Follows Go 1.8's `encoding/base64` `decode`, offsets included, since the
//! offset is part of the error a TokenReview shows: v1.8 was built with Go 1.8, whose
//! offset for a bad character followed by line breaks points past them (golang/go#19406,
//! changed in Go 1.9).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Go's `base64.CorruptInputError`: the offset, in the padded segment, of the input that
/// does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal base64 data at input byte {0}")]
pub struct CorruptInputError(pub usize);

/// The 6-bit value of a base64url character.
pub(crate) fn url_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Go's `base64.URLEncoding` for a segment without line breaks: padded to whole quanta,
/// unused trailing bits allowed. The fast path; Go's own loop below decides the rest.
const URL_PADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// jwt-go's `DecodeSegment(segment)`: the decoded bytes, or Go's error.
pub fn decode_segment(segment: &str) -> Result<Vec<u8>, CorruptInputError> {
    let mut padded = segment.as_bytes().to_vec();
    padded.resize(padded.len() + (4 - padded.len() % 4) % 4, b'=');
    // Without line breaks the optimised decoder accepts what Go accepts; a failure, and
    // anything with line breaks, goes through Go's loop for its verdict and offset.
    if !padded.iter().any(|&b| b == b'\r' || b == b'\n') {
        if let Ok(decoded) = URL_PADDED.decode(&padded) {
            return Ok(decoded);
        }
    }
    decode_url_padded(&padded)
}

/// Go 1.8's `base64.URLEncoding.DecodeString`.
fn decode_url_padded(src: &[u8]) -> Result<Vec<u8>, CorruptInputError> {
    let is_line_break = |b: u8| b == b'\n' || b == b'\r';
    let skip_line_breaks = |mut at: usize| {
        while at < src.len() && is_line_break(src[at]) {
            at += 1;
        }
        at
    };
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = skip_line_breaks(0);
    let mut end = false;
    while si < src.len() && !end {
        let mut quantum = [0u8; 4];
        let mut length = 4;
        for (j, slot) in quantum.iter_mut().enumerate() {
            if si == src.len() {
                // A padded encoding has whole quanta only.
                return Err(CorruptInputError(si - j));
            }
            let c = src[si];
            si = skip_line_breaks(si + 1);
            if c == b'=' {
                match j {
                    0 | 1 => return Err(CorruptInputError(si - 1)),
                    2 => {
                        // "==" is expected; the first "=" is consumed.
                        if si == src.len() {
                            return Err(CorruptInputError(src.len()));
                        }
                        if src[si] != b'=' {
                            return Err(CorruptInputError(si - 1));
                        }
                        si = skip_line_breaks(si + 1);
                    }
                    _ => {}
                }
                if si < src.len() {
                    // Trailing garbage after the padding.
                    return Err(CorruptInputError(si));
                }
                length = j;
                end = true;
                break;
            }
            *slot = url_value(c).ok_or(CorruptInputError(si - 1))?;
        }
        let value = u32::from(quantum[0]) << 18
            | u32::from(quantum[1]) << 12
            | u32::from(quantum[2]) << 6
            | u32::from(quantum[3]);
        let bytes = [(value >> 16) as u8, (value >> 8) as u8, value as u8];
        out.extend_from_slice(&bytes[..length.saturating_sub(1)]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_decode_as_jwt_go_decodes_them() {
        let cases: &[(&str, Result<&[u8], usize>)] = &[
            ("", Ok(b"")),
            ("AQ", Ok(&[1])),
            ("AQ==", Ok(&[1])),
            ("AR", Ok(&[1])),
            ("AQI", Ok(&[1, 2])),
            ("AQID", Ok(&[1, 2, 3])),
            ("AQ\r\n\r\nID", Ok(&[1, 2, 3])),
            ("AQ=", Ok(&[1])),
            // Line breaks count when the segment is padded, so a lone one costs the
            // quantum its padding.
            ("\nAQID\n", Err(6)),
            // The first bad character, where Go finds it.
            ("!!not*base64!!", Err(0)),
            ("AQID!", Err(4)),
            ("AQ+D", Err(2)),
            ("A", Err(1)),
            ("A===", Err(1)),
            ("AQ=x", Err(2)),
            ("AQ==AQID", Err(4)),
            // A line break after a bad character moves Go's offset past it.
            ("A!\nB", Err(2)),
        ];
        for (segment, want) in cases {
            let got = decode_segment(segment).map_err(|e| e.0);
            assert_eq!(got, want.map(<[u8]>::to_vec), "{segment:?}");
        }
        // The fast path and Go's loop agree wherever the fast path answers.
        for segment in [
            "", "AQ", "AR", "AQI", "AQJ", "AQID", "AQ==", "A", "A===", "AQ=x", "AQ==AQID",
            "AQID====",
        ] {
            let mut padded = segment.as_bytes().to_vec();
            padded.resize(padded.len() + (4 - padded.len() % 4) % 4, b'=');
            if let Ok(fast) = URL_PADDED.decode(&padded) {
                assert_eq!(decode_url_padded(&padded), Ok(fast), "{segment:?}");
            } else {
                assert!(decode_url_padded(&padded).is_err(), "{segment:?}");
            }
        }
        assert_eq!(
            decode_segment("AQ*D").unwrap_err().to_string(),
            "illegal base64 data at input byte 2"
        );
    }
}
