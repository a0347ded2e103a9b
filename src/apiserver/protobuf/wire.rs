//! The protobuf wire format: fields, varints and length-delimited values.

use super::{garbled, DecodeError};

/// One field value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WireValue<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl WireValue<'_> {
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            WireValue::Varint(_) => "varint",
            WireValue::Fixed64(_) => "64-bit",
            WireValue::Bytes(_) => "length-delimited",
            WireValue::Fixed32(_) => "32-bit",
        }
    }
}

/// Reads protobuf wire-format fields from a byte slice.
pub(super) struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(super) fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(garbled("unexpected end of data inside a varint"));
            };
            self.pos += 1;
            // The tenth byte may only carry the top bit of a 64-bit value.
            if shift == 63 && byte > 1 {
                return Err(garbled("varint overflows 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(garbled("varint overflows 64 bits"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.buf.len());
        let Some(end) = end else {
            return Err(garbled(
                "unexpected end of data: a field is longer than the message",
            ));
        };
        let slice = &self.buf[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// The next field, or `None` at the end of the message.
    pub(super) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>, DecodeError> {
        if self.at_end() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n != 0 && *n < (1 << 29))
            .ok_or_else(|| garbled(format!("invalid field number {}", key >> 3)))?;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => {
                let bytes = self.take(8)?;
                let mut word = [0u8; 8];
                word.copy_from_slice(bytes);
                WireValue::Fixed64(u64::from_le_bytes(word))
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| garbled("length does not fit in memory"))?;
                WireValue::Bytes(self.take(len)?)
            }
            5 => {
                let bytes = self.take(4)?;
                let mut word = [0u8; 4];
                word.copy_from_slice(bytes);
                WireValue::Fixed32(u32::from_le_bytes(word))
            }
            other => {
                return Err(garbled(format!(
                    "unsupported wire type {other} for field {number}"
                )))
            }
        };
        Ok(Some((number, value)))
    }
}

pub(super) fn expect_bytes<'a>(value: WireValue<'a>, what: &str) -> Result<&'a [u8], DecodeError> {
    match value {
        WireValue::Bytes(bytes) => Ok(bytes),
        other => Err(garbled(format!(
            "{what}: expected a length-delimited field, got {}",
            other.type_name()
        ))),
    }
}

pub(super) fn expect_varint(value: WireValue<'_>, what: &str) -> Result<u64, DecodeError> {
    match value {
        WireValue::Varint(v) => Ok(v),
        other => Err(garbled(format!(
            "{what}: expected a varint field, got {}",
            other.type_name()
        ))),
    }
}

pub(super) fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes)
        .map_err(|_| garbled(format!("{what}: invalid UTF-8 in a string field")))
}
