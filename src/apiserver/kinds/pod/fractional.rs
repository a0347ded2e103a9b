//! Whether a byte quantity is fractional, and how upstream prints it in the warning: exact
//! decimal arithmetic over apimachinery's `resource.Quantity` (`ParseQuantity` rounding
//! beyond nano precision up, `MilliValue` rounding up, `String()` in canonical form).

/// The canonical text of `text` when its milli-value is not a whole number of units
/// (`MilliValue() % 1000 != 0`), `None` when it is whole or does not parse.
pub(super) fn fractional_canonical(text: &str) -> Option<String> {
    let quantity = Quantity::parse(text)?;
    if quantity.milli_is_whole() {
        return None;
    }
    Some(quantity.canonical())
}

/// How the quantity was written, which decides how it is printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `1.5`, `100m`, `1Gi`: SI suffixes (a binary one prints as SI unless exact).
    DecimalSi,
    /// `15e-1`.
    DecimalExponent,
}

/// `mantissa × 10^exponent`, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    mantissa: i128,
    exponent: i32,
    format: Format,
}

/// The largest mantissa considered (10^30); canonical printing multiplies it by up to 100.
const MAX_MANTISSA: i128 = 1_000_000_000_000_000_000_000_000_000_000;

/// Nano precision: digits beyond it are rounded up on parse.
const MIN_EXPONENT: i32 = -9;

impl Quantity {
    fn parse(text: &str) -> Option<Self> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut mantissa: i128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            if !digit.is_ascii_digit() {
                return None;
            }
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(digit - b'0'))?;
        }
        let mut exponent = -i32::try_from(fraction.len()).ok()?;
        let mut format = Format::DecimalSi;
        let mut binary_power = 0u32;
        match suffix {
            "" => {}
            "n" => exponent -= 9,
            "u" => exponent -= 6,
            "m" => exponent -= 3,
            "k" => exponent += 3,
            "M" => exponent += 6,
            "G" => exponent += 9,
            "T" => exponent += 12,
            "P" => exponent += 15,
            "E" => exponent += 18,
            "Ki" => binary_power = 1,
            "Mi" => binary_power = 2,
            "Gi" => binary_power = 3,
            "Ti" => binary_power = 4,
            "Pi" => binary_power = 5,
            "Ei" => binary_power = 6,
            e if e.starts_with(['e', 'E']) => {
                exponent = exponent.checked_add(e[1..].parse::<i32>().ok()?)?;
                format = Format::DecimalExponent;
            }
            _ => return None,
        }
        mantissa = mantissa.checked_mul(1024i128.checked_pow(binary_power)?)?;
        // Far beyond any real quantity; refusing it keeps the arithmetic below in range.
        if mantissa > MAX_MANTISSA {
            return None;
        }
        if negative {
            mantissa = -mantissa;
        }
        let mut quantity = Self {
            mantissa,
            exponent,
            format,
        };
        quantity.round_up_to_nano()?;
        Some(quantity)
    }

    /// Digits below a nanounit round up (away from zero), as `ParseQuantity` rounds.
    fn round_up_to_nano(&mut self) -> Option<()> {
        if self.exponent >= MIN_EXPONENT {
            return Some(());
        }
        let divisor =
            10i128.checked_pow(u32::try_from(MIN_EXPONENT.checked_sub(self.exponent)?).ok()?);
        self.mantissa = match divisor {
            Some(d) => {
                let (q, r) = (self.mantissa / d, self.mantissa % d);
                q + r.signum()
            }
            // Smaller than any nanounit: one nanounit with its sign.
            None => self.mantissa.signum(),
        };
        self.exponent = MIN_EXPONENT;
        Some(())
    }

    /// Whether `MilliValue()` (the value in thousandths, rounded up) is a multiple of 1000.
    fn milli_is_whole(&self) -> bool {
        let milli_exponent = self.exponent + 3;
        if milli_exponent >= 0 {
            // Whole thousandths; whole units unless below 10^0.
            return self.exponent >= 0 || self.mantissa % 10i128.pow(-self.exponent as u32) == 0;
        }
        let divisor = 10i128.pow((-milli_exponent) as u32);
        let (q, r) = (self.mantissa / divisor, self.mantissa % divisor);
        let milli = q + i128::from(r > 0);
        milli % 1000 == 0
    }

    /// `String()`: trailing zeros moved into the exponent, which is then lowered to a
    /// multiple of three, and the exponent as an SI suffix or `e<n>`.
    fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let (mut mantissa, mut exponent) = (self.mantissa, self.exponent);
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        let lower = exponent.rem_euclid(3);
        mantissa *= 10i128.pow(lower as u32);
        exponent -= lower;
        let suffix = match (self.format, exponent) {
            (_, 0) => String::new(),
            (Format::DecimalExponent, e) => format!("e{e}"),
            (Format::DecimalSi, e) => match e {
                -9 => "n".into(),
                -6 => "u".into(),
                -3 => "m".into(),
                3 => "k".into(),
                6 => "M".into(),
                9 => "G".into(),
                12 => "T".into(),
                15 => "P".into(),
                18 => "E".into(),
                e => format!("e{e}"),
            },
        };
        format!("{mantissa}{suffix}")
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
