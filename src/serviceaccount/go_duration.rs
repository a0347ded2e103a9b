//! Go's `time.Duration` as kube-apiserver's and kube-controller-manager's duration flags
//! take it: parsed as `time.ParseDuration` does (a sign, then numbers with units, `0`
//! alone, negative values allowed), printed as `Duration.String()` does (`1h0m0s`,
//! `-1h0m0s`, `1.5s`, `250ms`), because upstream's validation and warning texts print
//! the flag's value that way.
//!
//! ```
//! use kube_sa::serviceaccount::go_duration::GoDuration;
//!
//! let cap: GoDuration = "-1h".parse().unwrap();
//! assert!(cap.is_negative());
//! assert_eq!(cap.to_string(), "-1h0m0s");
//! assert_eq!("8760h".parse::<GoDuration>().unwrap().to_string(), "8760h0m0s");
//! assert_eq!(
//!     "5d".parse::<GoDuration>().unwrap_err().to_string(),
//!     r#"time: unknown unit "d" in duration "5d""#
//! );
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A signed span of nanoseconds, as Go's `int64` `time.Duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(i64);

/// Why a duration did not parse; the text is Go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GoDurationError(String);

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// `time.ParseDuration`'s units, in nanoseconds.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => NANOS_PER_SECOND,
        "m" => 60 * NANOS_PER_SECOND,
        "h" => 3_600 * NANOS_PER_SECOND,
        _ => return None,
    })
}

/// Go's `time.quote`: double quotes, `"` and `\` escaped, bytes of control and non-ASCII
/// characters as `\xNN`.
fn quote(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        if c.is_ascii() && c >= ' ' {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        }
    }
    out.push('"');
    out
}

/// The leading decimal digits of `s` as an integer, the rest, and whether there were any;
/// `None` when the value passes 2^63.
fn leading_int(s: &str) -> Option<(u64, &str, bool)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut value: u64 = 0;
    for byte in s[..digits].bytes() {
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(byte - b'0'))
            .filter(|&v| v <= 1 << 63)?;
    }
    Some((value, &s[digits..], digits > 0))
}

/// The digits after a decimal point: their value, the power of ten they are scaled by,
/// and the rest. Digits past what fits are dropped, as Go does.
fn leading_fraction(s: &str) -> (u64, f64, &str, bool) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (mut value, mut scale, mut overflow) = (0u64, 1f64, false);
    for byte in s[..digits].bytes() {
        if overflow {
            continue;
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
            .filter(|&v| v <= 1 << 63)
        {
            Some(next) => {
                value = next;
                scale *= 10.0;
            }
            None => overflow = true,
        }
    }
    (value, scale, &s[digits..], digits > 0)
}

impl FromStr for GoDuration {
    type Err = GoDurationError;

    /// `time.ParseDuration`, with its error texts (`time: invalid duration "x"`,
    /// `time: missing unit in duration "5"`, `time: unknown unit "d" in duration "5d"`).
    fn from_str(original: &str) -> Result<Self, Self::Err> {
        let invalid = || GoDurationError(format!("time: invalid duration {}", quote(original)));
        let (negative, mut rest) = match original.as_bytes().first() {
            Some(b'-') => (true, &original[1..]),
            Some(b'+') => (false, &original[1..]),
            _ => (false, original),
        };
        if rest == "0" {
            return Ok(Self(0));
        }
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total: u64 = 0;
        while !rest.is_empty() {
            if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
                return Err(invalid());
            }
            let (whole, after, has_whole) = leading_int(rest).ok_or_else(invalid)?;
            rest = after;
            let (mut fraction, mut scale, mut has_fraction) = (0, 1.0, false);
            if let Some(after_point) = rest.strip_prefix('.') {
                (fraction, scale, rest, has_fraction) = leading_fraction(after_point);
            }
            if !has_whole && !has_fraction {
                return Err(invalid());
            }
            let unit_len = rest
                .find(|c: char| c == '.' || c.is_ascii_digit())
                .unwrap_or(rest.len());
            if unit_len == 0 {
                return Err(GoDurationError(format!(
                    "time: missing unit in duration {}",
                    quote(original)
                )));
            }
            let unit_text = &rest[..unit_len];
            rest = &rest[unit_len..];
            let unit = unit_nanos(unit_text).ok_or_else(|| {
                GoDurationError(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit_text),
                    quote(original)
                ))
            })?;
            if whole > (1 << 63) / unit {
                return Err(invalid());
            }
            let mut value = whole * unit;
            if fraction > 0 {
                // Go converts through float64 here, rounding as it does.
                value = value
                    .checked_add((fraction as f64 * (unit as f64 / scale)) as u64)
                    .filter(|&v| v <= 1 << 63)
                    .ok_or_else(invalid)?;
            }
            total = total
                .checked_add(value)
                .filter(|&t| t <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        if negative {
            // 2^63 itself is i64::MIN.
            return Ok(Self(0i64.wrapping_sub_unsigned(total)));
        }
        i64::try_from(total).map(Self).map_err(|_| invalid())
    }
}

/// Go's `fmtFrac`: `value`'s last `precision` digits as a fraction with trailing zeros
/// dropped (nothing when all are zero), and what is left above them.
fn split_fraction(value: u64, precision: u32) -> (u64, String) {
    let divisor = 10u64.pow(precision);
    let fraction = value % divisor;
    if fraction == 0 {
        return (value / divisor, String::new());
    }
    let digits = format!("{fraction:0width$}", width = precision as usize);
    (
        value / divisor,
        format!(".{}", digits.trim_end_matches('0')),
    )
}

impl fmt::Display for GoDuration {
    /// `Duration.String()`: `0s`, `1h0m0s`, `1m30s`, `1.5s`, `250ms`, `1.5µs`, `2ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let nanos = self.0.unsigned_abs();
        if nanos == 0 {
            return f.write_str("0s");
        }
        if nanos < NANOS_PER_SECOND {
            let (whole, fraction, unit) = match nanos {
                n if n < 1_000 => (n, String::new(), "ns"),
                n if n < 1_000_000 => {
                    let (whole, fraction) = split_fraction(n, 3);
                    (whole, fraction, "\u{b5}s")
                }
                n => {
                    let (whole, fraction) = split_fraction(n, 6);
                    (whole, fraction, "ms")
                }
            };
            return write!(f, "{sign}{whole}{fraction}{unit}");
        }
        let (seconds, fraction) = split_fraction(nanos, 9);
        let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        f.write_str(sign)?;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if hours > 0 || minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        write!(f, "{seconds}{fraction}s")
    }
}

impl GoDuration {
    /// The duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// Whole seconds, as `time.Duration(n) * time.Second`; saturates past `i64`.
    pub const fn from_secs(seconds: i64) -> Self {
        Self(seconds.saturating_mul(NANOS_PER_SECOND as i64))
    }

    /// Nanoseconds, negative for a negative duration.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Below zero (Go accepts `-1h`; the flags' validation then refuses it).
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Exactly zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The duration as a [`std::time::Duration`]; `None` when it is negative.
    pub fn to_std(self) -> Option<Duration> {
        u64::try_from(self.0).ok().map(Duration::from_nanos)
    }
}

impl From<Duration> for GoDuration {
    /// Saturates at Go's largest duration (about 292 years).
    fn from(duration: Duration) -> Self {
        Self(i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_time_parse_duration() {
        let s = NANOS_PER_SECOND as i64;
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("0", Ok(0)),
            ("-0", Ok(0)),
            ("+0", Ok(0)),
            ("0s", Ok(0)),
            ("8760h", Ok(8760 * 3600 * s)),
            ("1h30m", Ok(5400 * s)),
            ("1.5h", Ok(5400 * s)),
            ("1.h", Ok(3600 * s)),
            (".5s", Ok(s / 2)),
            ("90s", Ok(90 * s)),
            ("250ms", Ok(250_000_000)),
            ("1us", Ok(1_000)),
            ("1\u{b5}s", Ok(1_000)),
            ("1\u{3bc}s", Ok(1_000)),
            ("3ns", Ok(3)),
            ("-1h", Ok(-3600 * s)),
            ("+2m", Ok(120 * s)),
            ("-1.5s", Ok(-3 * s / 2)),
            (
                "1h-1m",
                Err(r#"time: unknown unit "h-" in duration "1h-1m""#),
            ),
            ("2562047h47m16.854775807s", Ok(i64::MAX)),
            ("-2562047h47m16.854775808s", Ok(i64::MIN)),
            (
                "2562047h47m16.854775808s",
                Err(r#"time: invalid duration "2562047h47m16.854775808s""#),
            ),
            (
                "9223372036854775808ns",
                Err(r#"time: invalid duration "9223372036854775808ns""#),
            ),
            ("", Err(r#"time: invalid duration """#)),
            ("-", Err(r#"time: invalid duration "-""#)),
            (".s", Err(r#"time: invalid duration ".s""#)),
            ("s", Err(r#"time: invalid duration "s""#)),
            ("5", Err(r#"time: missing unit in duration "5""#)),
            ("-1", Err(r#"time: missing unit in duration "-1""#)),
            ("5d", Err(r#"time: unknown unit "d" in duration "5d""#)),
            ("1 h", Err(r#"time: unknown unit " h" in duration "1 h""#)),
            (
                "5\u{e9}",
                Err(r#"time: unknown unit "\xc3\xa9" in duration "5\xc3\xa9""#),
            ),
            ("\"1h", Err(r#"time: invalid duration "\"1h""#)),
        ];
        for (text, want) in cases {
            let got = text
                .parse::<GoDuration>()
                .map(GoDuration::as_nanos)
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{text:?}");
        }
    }

    #[test]
    fn prints_as_duration_string() {
        let s = NANOS_PER_SECOND as i64;
        for (nanos, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (250_000_000, "250ms"),
            (s, "1s"),
            (3 * s / 2, "1.5s"),
            (90 * s, "1m30s"),
            (3600 * s, "1h0m0s"),
            (3607 * s, "1h0m7s"),
            (-3600 * s, "-1h0m0s"),
            (8760 * 3600 * s, "8760h0m0s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ] {
            assert_eq!(GoDuration::from_nanos(nanos).to_string(), want, "{nanos}");
        }
    }

    #[test]
    fn converts_to_and_from_std() {
        assert_eq!(
            GoDuration::from_secs(90).to_std(),
            Some(Duration::from_secs(90))
        );
        assert_eq!(GoDuration::from_secs(-1).to_std(), None);
        assert_eq!(
            GoDuration::from(Duration::from_secs(3600)),
            GoDuration::from_secs(3600)
        );
        assert_eq!(GoDuration::from(Duration::MAX).as_nanos(), i64::MAX);
    }
}
