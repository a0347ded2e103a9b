use super::*;

// After apimachinery's quantity_test.go: what `String()` prints for text that parses.
#[test]
fn parsed_quantities_print_as_upstream() {
    let cases = [
        // Kept as written: canonical enough.
        ("0", "0"),
        ("1", "1"),
        ("+1", "+1"),
        ("01", "01"),
        ("1.441", "1.441"),
        ("1.500k", "1.500k"),
        ("100M", "100M"),
        ("1E6", "1E6"),
        ("80e-3", "80e-3"),
        ("1e99", "1e99"),
        ("6Ki", "6Ki"),
        ("10u", "10u"),
        // Canonical form.
        ("00", "0"),
        ("1e100", "10e99"),
        ("-0", "0"),
        (".", "0"),
        ("1.5", "1500m"),
        ("0.5", "500m"),
        ("1000m", "1"),
        ("1000u", "1m"),
        ("0.001e0", "1e-3"),
        ("15e-1", "1500e-3"),
        ("2048Ki", "2Mi"),
        ("1024Mi", "1Gi"),
        ("307200Ki", "300Mi"),
        ("8Mi", "8Mi"),
        ("1.0Gi", "1Gi"),
        ("1.5Ki", "1536"),
        ("-1.5Ki", "-1536"),
        (".001Ki", "1024m"),
        ("0.1Gi", "107374182400m"),
        (".000000000001Ki", "2n"),
        ("0.0000000001", "1n"),
        ("1e-2147483648", "1e-9"),
        ("9Ei", "9223372036854775807"),
        // No SI suffix beyond `E`: Go prints the bare mantissa.
        ("1000E", "1"),
    ];
    for (text, printed) in cases {
        let quantity = Quantity::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(quantity.to_string(), printed, "{text}");
        // Printed once more after the storage round trip: the same text.
        assert_eq!(Quantity::stored(text).as_deref(), Ok(printed), "{text}");
    }
}

#[test]
fn storage_reads_a_binary_plain_number_as_decimal() {
    let text = "707757029866687.5Ki";
    let printed = Quantity::parse(text).map(|q| q.to_string());
    assert_eq!(printed.as_deref(), Ok("724743198583488000"));
    assert_eq!(Quantity::stored(text).as_deref(), Ok("724743198583488k"));
}

#[test]
fn malformed_quantities_get_upstream_errors() {
    let cases = [
        ("", QuantityError::FormatWrong),
        ("lots", QuantityError::FormatWrong),
        ("1abc", QuantityError::FormatWrong),
        ("1Qi", QuantityError::FormatWrong),
        ("1e5.5", QuantityError::FormatWrong),
        (" 1", QuantityError::FormatWrong),
        ("1i", QuantityError::Suffix),
        ("1e", QuantityError::Suffix),
        ("1Ki5", QuantityError::Suffix),
        ("1mi", QuantityError::Suffix),
        (".e-20", QuantityError::Numeric),
    ];
    for (text, error) in cases {
        assert_eq!(Quantity::parse(text), Err(error), "{text:?}");
    }
    assert_eq!(
        QuantityError::FormatWrong.to_string(),
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
}

#[test]
fn milli_values_tell_whole_units() {
    let cases = [
        ("1", Some(true)),
        ("1Gi", Some(true)),
        ("0.5Ki", Some(true)),
        ("1500m", Some(false)),
        ("1.9999", Some(true)),
        ("10u", Some(false)),
        ("1e99999999999", None),
        ("123456789012345678901234567890123.5", None),
    ];
    for (text, whole) in cases {
        let quantity = Quantity::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(quantity.milli_is_whole(), whole, "{text}");
    }
}

/// Every short text over the quantity alphabet: parsing never panics, and the stored text
/// is stored as itself (the server normalizes stored objects again on every update).
#[test]
fn printed_quantities_are_stable() {
    const ALPHABET: &[u8] = b"0123456789.+-eEinumkKMGTP";
    let mut text = Vec::new();
    let mut checked = 0;
    let mut check = |text: &[u8]| {
        let text = std::str::from_utf8(text).expect("ASCII");
        if let Ok(stored) = Quantity::stored(text) {
            assert_eq!(
                Quantity::stored(&stored).as_deref(),
                Ok(stored.as_str()),
                "{text}"
            );
            checked += 1;
        }
    };
    for length in 1..=4u32 {
        for mut index in 0..ALPHABET.len().pow(length) {
            text.clear();
            for _ in 0..length {
                text.push(ALPHABET[index % ALPHABET.len()]);
                index /= ALPHABET.len();
            }
            check(&text);
        }
    }
    // Longer numbers with every suffix, digits from a fixed linear congruential sequence.
    let mut state: u64 = 1;
    for suffix in ["", "n", "m", "k", "E", "Ki", "Ei", "e-12", "e40"] {
        for _ in 0..2_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let digits = format!("{}", state >> 11);
            let cut = (state % digits.len() as u64) as usize;
            check(format!("{}.{}{suffix}", &digits[..cut], &digits[cut..]).as_bytes());
        }
    }
    assert!(checked > 10_000, "only {checked} texts parsed");
}

#[test]
fn amounts_compare_exactly_across_suffixes() {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let cases = [
        ("1", "1000m", Equal),
        ("1Gi", "1024Mi", Equal),
        ("1025Mi", "1Gi", Greater),
        ("500m", "0.5", Equal),
        ("1k", "1Ki", Less),
        ("-1", "0", Less),
        ("0", "-1n", Greater),
        ("1e40", "1E", Greater),
        ("2n", "1e-40", Greater),
        ("1n", "1e-40", Equal),
        ("-1e40", "-1", Less),
    ];
    for (a, b, expected) in cases {
        let (qa, qb) = (Quantity::parse(a).unwrap(), Quantity::parse(b).unwrap());
        assert_eq!(qa.cmp_amount(&qb), expected, "{a} against {b}");
        assert_eq!(qb.cmp_amount(&qa), expected.reverse(), "{b} against {a}");
    }
    assert!(Quantity::parse("-1m").unwrap().is_negative());
    assert!(!Quantity::parse("0").unwrap().is_negative());
}

#[test]
fn whole_units_round_up_as_value_does() {
    let cases = [
        ("2Mi", Some(2_097_152)),
        ("1500m", Some(2)),
        ("1n", Some(1)),
        ("0", Some(0)),
        ("-1500m", Some(-2)),
        ("1e19", None),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Quantity::parse(text).unwrap().whole_units(),
            expected,
            "{text}"
        );
    }
}
