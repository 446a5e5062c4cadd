//! Writing RFC 8285 elements into a caller's buffer.

use super::{ExtensionElement, ExtensionError, ExtensionForm};
use crate::rtp::ExtensionBlock;

/// Most data bytes an extension block can hold (65535 32-bit words).
const MAX_BLOCK_LEN: usize = 4 * 0xffff;

/// Writes extension elements into a caller's buffer and finishes them into an
/// [`ExtensionBlock`] ready for [`crate::rtp::RtpHeader::emit`].
///
/// The buffer receives only the block's data (elements and zero padding to a 32-bit
/// boundary); the 4-byte profile/length preamble is written by the header emitter.
#[derive(Debug)]
pub struct ExtensionWriter<'a> {
    buf: &'a mut [u8],
    form: ExtensionForm,
    len: usize,
}

impl<'a> ExtensionWriter<'a> {
    /// Starts an empty block of `form` in `buf`.
    pub fn new(buf: &'a mut [u8], form: ExtensionForm) -> Self {
        Self { buf, form, len: 0 }
    }

    /// Writes `elements` in the smallest form that carries them all
    /// ([`ExtensionForm::for_elements`]) and returns the finished block.
    pub fn write_all(
        buf: &'a mut [u8],
        elements: &[ExtensionElement<'_>],
    ) -> Result<ExtensionBlock<'a>, ExtensionError> {
        let mut writer = Self::new(buf, ExtensionForm::for_elements(elements));
        for element in elements {
            writer.push(element.id, element.data)?;
        }
        writer.finish()
    }

    /// The form this writer lays elements out in.
    pub fn form(&self) -> ExtensionForm {
        self.form
    }

    /// Appends one element.
    pub fn push(&mut self, id: u8, data: &[u8]) -> Result<(), ExtensionError> {
        if !self.form.fits(id, data.len()) {
            return Err(ExtensionError::DoesNotFit {
                id,
                len: data.len(),
            });
        }
        let header = match self.form {
            ExtensionForm::OneByte => 1,
            ExtensionForm::TwoByte => 2,
        };
        let end = self.len + header + data.len();
        if end > MAX_BLOCK_LEN {
            return Err(ExtensionError::TooLong);
        }
        let out = self
            .buf
            .get_mut(self.len..end)
            .ok_or(ExtensionError::BufferTooSmall(end))?;
        // `fits` proved the id and length ranges, so the casts below are exact.
        match self.form {
            ExtensionForm::OneByte => out[0] = (id << 4) | (data.len() - 1) as u8,
            ExtensionForm::TwoByte => {
                out[0] = id;
                out[1] = data.len() as u8;
            }
        }
        out[header..].copy_from_slice(data);
        self.len = end;
        Ok(())
    }

    /// Pads with zero bytes to a 32-bit boundary and returns the block.
    pub fn finish(self) -> Result<ExtensionBlock<'a>, ExtensionError> {
        let padded = self.len.next_multiple_of(4);
        if padded > MAX_BLOCK_LEN {
            return Err(ExtensionError::TooLong);
        }
        let out = self
            .buf
            .get_mut(..padded)
            .ok_or(ExtensionError::BufferTooSmall(padded))?;
        out[self.len..].fill(0);
        Ok(ExtensionBlock {
            profile: self.form.profile(),
            data: out,
        })
    }
}
