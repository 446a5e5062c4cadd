//! RTP header extension elements (RFC 8285): the one-byte form (profile 0xBEDE) and the
//! two-byte form (profile 0x100X), read with [`ExtensionElements`] and written with
//! [`ExtensionWriter`].

mod elements;
mod writer;

use core::fmt;

pub use elements::ExtensionElements;
pub use writer::ExtensionWriter;

/// Profile value announcing one-byte elements.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// Profile value announcing two-byte elements (the low 4 "appbits" are zero here).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Which RFC 8285 element layout an extension block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// One header byte per element: 4-bit id 1..=14, 4-bit length-minus-one (1..=16 bytes).
    OneByte,
    /// Two header bytes per element: 8-bit id 1..=255, 8-bit length (0..=255 bytes).
    TwoByte,
}

impl ExtensionForm {
    /// The form announced by an extension's profile field, or `None` for other profiles.
    pub fn from_profile(profile: u16) -> Option<Self> {
        match profile {
            ONE_BYTE_PROFILE => Some(Self::OneByte),
            p if p & 0xfff0 == TWO_BYTE_PROFILE => Some(Self::TwoByte),
            _ => None,
        }
    }

    /// The profile field value for this form (two-byte with zero appbits).
    pub fn profile(self) -> u16 {
        match self {
            Self::OneByte => ONE_BYTE_PROFILE,
            Self::TwoByte => TWO_BYTE_PROFILE,
        }
    }

    /// The smallest form that can carry every element: one-byte when all ids are 1..=14 and
    /// all lengths 1..=16, otherwise two-byte.
    pub fn for_elements(elements: &[ExtensionElement<'_>]) -> Self {
        if elements
            .iter()
            .all(|e| Self::OneByte.fits(e.id, e.data.len()))
        {
            Self::OneByte
        } else {
            Self::TwoByte
        }
    }

    /// Whether this form can carry an element with `id` and `len` data bytes.
    pub fn fits(self, id: u8, len: usize) -> bool {
        match self {
            Self::OneByte => (1..=14).contains(&id) && (1..=16).contains(&len),
            Self::TwoByte => id != 0 && len <= 255,
        }
    }
}

/// One header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionElement<'a> {
    /// The local identifier negotiated with `a=extmap`.
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// Why an element could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The writer's form cannot carry this id and length; carries both.
    DoesNotFit {
        /// The element's id.
        id: u8,
        /// The element's data length.
        len: usize,
    },
    /// The output buffer is too small; carries the bytes needed.
    BufferTooSmall(usize),
    /// The elements would exceed the 65535 words an extension can hold.
    TooLong,
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DoesNotFit { id, len } => {
                write!(
                    f,
                    "extension element id {id} with {len} bytes does not fit the form"
                )
            }
            Self::BufferTooSmall(n) => write!(f, "output buffer too small, {n} bytes needed"),
            Self::TooLong => f.write_str("header extension exceeds 65535 words"),
        }
    }
}

impl std::error::Error for ExtensionError {}

#[cfg(test)]
mod tests;
