//! apimachinery's `resource.Quantity` as an API server reads and writes it: `ParseQuantity`
//! (with its errors) and `String()`, which keeps the text as written when it is already in
//! a canonical enough form (`1.500k`, `+1`, `6Ki`) and otherwise prints the canonical form
//! (`1.5` → `1500m`, `2048Ki` → `2Mi`, `1.5Ki` → `1536`). After
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`, `suffix.go`, `amount.go`.

use std::fmt;

/// The regular expression that upstream's format error quotes.
const SPLIT_RE: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// Why a quantity does not parse, in upstream's words (`ErrFormatWrong`, `ErrNumeric`,
/// `ErrSuffix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// `ErrFormatWrong`: not a number followed by a suffix.
    #[error("quantities must match the regular expression '{SPLIT_RE}'")]
    FormatWrong,
    /// `ErrNumeric`: the number does not parse (or, here, has more than 36 significant
    /// digits, which Go's arbitrary-precision decimal would still hold).
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    /// `ErrSuffix`: an unknown suffix (`1Qi`, `1e`).
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// How the quantity was written, which decides how it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `1.5`, `100m`, `1G`.
    DecimalSi,
    /// `1.5Gi`.
    BinarySi,
    /// `15e-1`.
    DecimalExponent,
}

/// A parsed quantity: `value × 10^scale`, exact, at most nano precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    value: i128,
    scale: i64,
    format: Format,
    /// The text as written, when `ParseQuantity` keeps it for `String()`.
    text: Option<String>,
}

/// Nano precision: `ParseQuantity` rounds digits beyond it up.
const NANO: i64 = -9;

/// Significant digits the exact arithmetic here holds (i128 with room to scale by 100).
const MAX_DIGITS: usize = 36;

/// The largest binary quantity (`maxAllowed`, 2^63 - 1); larger ones are capped to it.
const MAX_ALLOWED: i128 = i64::MAX as i128;

/// The parts of a quantity's text (`parseQuantityString`).
struct Parts<'a> {
    positive: bool,
    /// Sign, digits and fraction as written (`-01.50` of `-01.50Ki`).
    number: &'a str,
    /// Integer digits without leading zeros, `0` when there are none.
    num: &'a str,
    /// Fraction digits.
    denom: &'a str,
    suffix: &'a str,
}

fn split(text: &str) -> Result<Parts<'_>, QuantityError> {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut pos = 0;
    let mut positive = true;
    match bytes.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    while pos < end && bytes[pos] == b'0' {
        pos += 1;
    }
    let zero = |positive| Parts {
        positive,
        number: "0",
        num: "0",
        denom: "",
        suffix: "",
    };
    if pos == end {
        return Ok(zero(positive));
    }
    let num_start = pos;
    while pos < end && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = if pos == num_start {
        "0"
    } else {
        &text[num_start..pos]
    };
    let mut denom = "";
    if pos < end && bytes[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &text[denom_start..pos];
    }
    let number = &text[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < end && matches!(bytes[pos], b'-' | b'+') {
        pos += 1;
    }
    while pos < end && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(QuantityError::FormatWrong);
    }
    Ok(Parts {
        positive,
        number,
        num,
        denom,
        suffix: &text[suffix_start..],
    })
}

/// `quantitySuffixer.interpret`: base, exponent and format of a suffix.
fn interpret(suffix: &str) -> Option<(u32, i64, Format)> {
    let decimal = |exponent| Some((10, exponent, Format::DecimalSi));
    let binary = |exponent| Some((2, exponent, Format::BinarySi));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        s if s.len() > 1 && s.starts_with(['e', 'E']) => {
            // Go parses an int64 and keeps its low 32 bits.
            let exponent = s[1..].parse::<i64>().ok()?;
            Some((10, i64::from(exponent as i32), Format::DecimalExponent))
        }
        _ => None,
    }
}

impl Quantity {
    /// `ParseQuantity`: the quantity `text` (`100m`, `1.5Gi`, `2e3`) denotes.
    ///
    /// # Errors
    /// [`QuantityError`] in upstream's words for text that is not a quantity.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        if text.is_empty() {
            return Err(QuantityError::FormatWrong);
        }
        if text == "0" {
            return Ok(Self {
                value: 0,
                scale: 0,
                format: Format::DecimalSi,
                text: Some(text.to_string()),
            });
        }
        let parts = split(text)?;
        let (base, exponent, format) = interpret(parts.suffix).ok_or(QuantityError::Suffix)?;
        let digits = parts.num.len() + parts.denom.len();
        let (precision, mut scale, multiplier) = if base == 10 {
            (18 - digits as i64, exponent, 1i64)
        } else if parts.denom.is_empty() {
            // Upstream's estimate of the digits a binary suffix adds (exponent × 3/10).
            let added = (exponent as f32 * 3.0 / 10.0) as i64;
            (15 - parts.num.len() as i64 - added - 1, 0, 1i64 << exponent)
        } else {
            (-1, 0, 1)
        };
        if precision >= 0 {
            scale -= parts.denom.len() as i64;
            if scale >= NANO {
                let shifted = format!("{}{}", parts.num, parts.denom);
                let parsed: i64 = shifted.parse().map_err(|_| QuantityError::Numeric)?;
                if let Some(product) = parsed.checked_mul(multiplier) {
                    // Text already in canonical enough form is kept for `String()`.
                    let keep = match format {
                        Format::BinarySi => exponent % 10 == 0 && parsed & 0x07 != 0,
                        _ => {
                            scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
                        }
                    };
                    return Ok(Self {
                        value: i128::from(if parts.positive { product } else { -product }),
                        scale,
                        format,
                        text: keep.then(|| text.to_string()),
                    });
                }
            }
        }
        Self::parse_exact(&parts, base, exponent, format)
    }

    /// The arbitrary-precision path of `ParseQuantity`: rounds up to nano precision, caps
    /// binary quantities at 2^63 - 1, and prints a binary quantity below one as decimal.
    fn parse_exact(
        parts: &Parts<'_>,
        base: u32,
        exponent: i64,
        mut format: Format,
    ) -> Result<Self, QuantityError> {
        let unsigned = parts.number.trim_start_matches(['+', '-']);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(QuantityError::Numeric);
        }
        let significant = format!("{whole}{fraction}");
        let significant = significant.trim_start_matches('0');
        if significant.len() > MAX_DIGITS {
            return Err(QuantityError::Numeric);
        }
        let mut value: i128 = if significant.is_empty() {
            0
        } else {
            significant.parse().map_err(|_| QuantityError::Numeric)?
        };
        let mut scale = -(fraction.len() as i64);
        if base == 10 {
            scale += exponent;
        } else {
            value = value
                .checked_mul(1i128 << exponent)
                .ok_or(QuantityError::Numeric)?;
        }
        if value != 0 && scale < NANO {
            value = match u32::try_from(NANO - scale)
                .ok()
                .and_then(|d| 10i128.checked_pow(d))
            {
                Some(divisor) => value / divisor + i128::from(value % divisor != 0),
                // Smaller than a nanounit: one nanounit.
                None => 1,
            };
            scale = NANO;
        }
        if format == Format::BinarySi {
            if compare(value, scale, MAX_ALLOWED) == std::cmp::Ordering::Greater {
                (value, scale) = (MAX_ALLOWED, 0);
            }
            if value > 0 && compare(value, scale, 1) == std::cmp::Ordering::Less {
                format = Format::DecimalSi;
            }
        }
        Ok(Self {
            value: if parts.positive { value } else { -value },
            scale,
            format,
            text: None,
        })
    }

    /// The text upstream stores and answers for `text`: `String()` after the storage round
    /// trip (protobuf writes `String()` and reading it parses again), so a binary quantity
    /// printed as a plain number is read back as decimal (`707757029866687.5Ki` →
    /// `724743198583488000` → `724743198583488k`).
    ///
    /// # Errors
    /// [`QuantityError`] when `text` does not parse.
    pub fn stored(text: &str) -> Result<String, QuantityError> {
        let written = Self::parse(text)?.to_string();
        Ok(Self::parse(&written)?.to_string())
    }

    /// Whether the quantity is below zero (`Sign() < 0`).
    pub fn is_negative(&self) -> bool {
        self.value < 0
    }

    /// `Cmp`: this quantity's amount against `other`'s, exactly (formats do not matter).
    pub fn cmp_amount(&self, other: &Self) -> std::cmp::Ordering {
        let common = self.scale.min(other.scale);
        // An amount that overflows i128 once scaled down is beyond every other amount of
        // at most 36 digits, so its sign decides.
        let scaled = |q: &Self| -> Option<i128> {
            let unit = 10i128.checked_pow(u32::try_from(q.scale - common).ok()?)?;
            q.value.checked_mul(unit)
        };
        match (scaled(self), scaled(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            (None, _) => self.value.cmp(&0),
            (_, None) => 0.cmp(&other.value),
        }
    }

    /// `Value()`: the amount in whole units, rounded up (away from zero for negative
    /// amounts, as `ScaledValue(0)` does); `None` when it does not fit an int64.
    pub fn whole_units(&self) -> Option<i64> {
        let units = if self.scale >= 0 {
            let unit = 10i128.checked_pow(u32::try_from(self.scale).ok()?)?;
            self.value.checked_mul(unit)?
        } else {
            let divisor = 10i128.checked_pow(u32::try_from(-self.scale).ok()?)?;
            let rest = self.value % divisor;
            self.value / divisor + rest.signum()
        };
        i64::try_from(units).ok()
    }

    /// Whether `MilliValue()` (thousandths, rounded up) is a whole number of units; `None`
    /// when it does not fit an int64 (upstream's value then overflows).
    pub fn milli_is_whole(&self) -> Option<bool> {
        let milli_scale = self.scale + 3;
        let milli = if milli_scale >= 0 {
            let unit = 10i128.checked_pow(u32::try_from(milli_scale).ok()?)?;
            self.value.checked_mul(unit)?
        } else {
            let divisor = 10i128.checked_pow(u32::try_from(-milli_scale).ok()?)?;
            self.value / divisor + i128::from(self.value % divisor > 0)
        };
        let milli = i64::try_from(milli).ok()?;
        Some(milli % 1000 == 0)
    }

    /// `CanonicalizeBytes`: the canonical text, whatever was written.
    fn canonical(&self) -> String {
        if self.value == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        let mut whole = None;
        if format == Format::BinarySi {
            whole = self.as_integer();
            let small = compare(self.value.abs(), self.scale, 1024) == std::cmp::Ordering::Less;
            if small || whole.is_none() {
                format = Format::DecimalSi;
            }
        }
        if let (Format::BinarySi, Some(mut whole)) = (format, whole) {
            let mut exponent = 0;
            while whole.abs() >= 1024 && whole % 1024 == 0 {
                whole /= 1024;
                exponent += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(exponent)
                .copied()
                .unwrap_or_default();
            return format!("{whole}{suffix}");
        }
        let (mut value, mut exponent) = (self.value, self.scale);
        while value.abs() >= 10 && value % 10 == 0 {
            value /= 10;
            exponent += 1;
        }
        let lower = exponent.rem_euclid(3);
        value *= 10i128.pow(lower as u32);
        exponent -= lower;
        let suffix = match format {
            Format::DecimalExponent if exponent == 0 => String::new(),
            Format::DecimalExponent => format!("e{exponent}"),
            // Go finds no SI suffix beyond these and prints none (`1000E` → `1`).
            _ => match exponent {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                18 => "E",
                _ => "",
            }
            .to_string(),
        };
        format!("{value}{suffix}")
    }

    /// The value as a whole number, when it is one (`AsScale(0)` exact).
    fn as_integer(&self) -> Option<i128> {
        if self.scale >= 0 {
            return self
                .value
                .checked_mul(10i128.checked_pow(u32::try_from(self.scale).ok()?)?);
        }
        let unit = 10i128.checked_pow(u32::try_from(-self.scale).ok()?)?;
        (self.value % unit == 0).then(|| self.value / unit)
    }
}

/// `value × 10^scale` against `other`, for non-negative `value`.
fn compare(value: i128, scale: i64, other: i128) -> std::cmp::Ordering {
    if scale >= 0 {
        match u32::try_from(scale)
            .ok()
            .and_then(|s| 10i128.checked_pow(s))
            .and_then(|unit| value.checked_mul(unit))
        {
            Some(scaled) => scaled.cmp(&other),
            None => std::cmp::Ordering::Greater,
        }
    } else {
        match u32::try_from(-scale)
            .ok()
            .and_then(|s| 10i128.checked_pow(s))
        {
            Some(unit) => {
                let (whole, rest) = (value / unit, value % unit);
                whole.cmp(&other).then(if rest > 0 {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                })
            }
            None => 0.cmp(&other).then(std::cmp::Ordering::Greater),
        }
    }
}

/// `String()`: the text as written when parsing kept it, the canonical form otherwise.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(text) => f.write_str(text),
            None => f.write_str(&self.canonical()),
        }
    }
}

#[cfg(test)]
mod tests;
