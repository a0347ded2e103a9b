//! Whether a byte quantity is fractional, and how upstream prints it in the warning
//! (`MilliValue() % 1000 != 0`, then `String()`).

use crate::apiserver::quantity::Quantity;

/// The text upstream prints for `text` when its milli-value is not a whole number of units,
/// `None` when it is whole, too large for an int64 of thousandths, or does not parse.
pub(super) fn fractional_canonical(text: &str) -> Option<String> {
    let quantity = Quantity::parse(text).ok()?;
    match quantity.milli_is_whole()? {
        true => None,
        false => Some(quantity.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases after apimachinery's quantity_test.go and warnings_test.go.
    #[test]
    fn fractional_byte_values_print_canonically() {
        let cases = [
            ("1", None),
            ("1Gi", None),
            ("0.5Ki", None),
            ("1500m", Some("1500m")),
            ("1.5", Some("1500m")),
            ("100m", Some("100m")),
            ("10u", Some("10u")),
            ("1.0001", Some("1000100u")),
            ("15e-1", Some("1500e-3")),
            ("1.5Ki", None),
            ("1.0001Ki", Some("1024102400u")),
            ("123456789012345678901234567890123.5", None),
            ("0.0000000001", Some("1n")),
            ("1.9999", None),
            ("lots", None),
            ("1e-2147483648", Some("1e-9")),
            ("1e99999999999", None),
            ("", None),
            (".", None),
        ];
        for (text, expected) in cases {
            assert_eq!(fractional_canonical(text).as_deref(), expected, "{text}");
        }
    }
}
