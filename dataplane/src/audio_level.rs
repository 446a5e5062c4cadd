//! The client-to-mixer audio level (RFC 6464): one byte per packet saying how loud the
//! sender is and whether it detected voice, so loudest-N selection works on encrypted media
//! without decoding it.

use core::fmt;

use crate::rtp::extension::ExtensionElements;

/// The extension URI negotiated with `a=extmap`.
pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// Quietest level the field can carry: 127 means -127 dBov, i.e. silence.
pub const SILENCE_DBOV: u8 = 127;

/// One RFC 6464 audio level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// The V bit: the sender's voice activity detector says this packet carries speech.
    pub voice: bool,
    /// Level as a positive number of -dBov: 0 is full scale, 127 is silence.
    pub level_dbov: u8,
}

/// Why an audio level could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioLevelError {
    /// The extension element carries no data byte.
    Empty,
    /// The level exceeds 127; carries the value.
    LevelOutOfRange(u8),
    /// The output buffer has no room for the byte.
    BufferTooSmall,
}

impl fmt::Display for AudioLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("audio level element has no data"),
            Self::LevelOutOfRange(l) => write!(f, "audio level {l} exceeds 127"),
            Self::BufferTooSmall => f.write_str("no room for the audio level byte"),
        }
    }
}

impl std::error::Error for AudioLevelError {}

impl AudioLevel {
    /// Reads the level from an extension element's data. Only the first byte counts;
    /// senders may pad the element (RFC 6464 sec. 3 allows longer forms).
    pub fn parse(data: &[u8]) -> Result<Self, AudioLevelError> {
        let &byte = data.first().ok_or(AudioLevelError::Empty)?;
        Ok(Self::from_byte(byte))
    }

    /// Finds the element with `id` among `elements` and reads its level.
    pub fn find(elements: ExtensionElements<'_>, id: u8) -> Option<Self> {
        elements.find(id).and_then(|data| Self::parse(data).ok())
    }

    /// Decodes the wire byte.
    pub fn from_byte(byte: u8) -> Self {
        Self {
            voice: byte & 0x80 != 0,
            level_dbov: byte & 0x7f,
        }
    }

    /// Encodes the wire byte.
    pub fn to_byte(self) -> Result<u8, AudioLevelError> {
        if self.level_dbov > SILENCE_DBOV {
            return Err(AudioLevelError::LevelOutOfRange(self.level_dbov));
        }
        Ok((u8::from(self.voice) << 7) | self.level_dbov)
    }

    /// Writes the one-byte element data into `buf` and returns 1.
    pub fn write(self, buf: &mut [u8]) -> Result<usize, AudioLevelError> {
        let byte = self.to_byte()?;
        *buf.first_mut().ok_or(AudioLevelError::BufferTooSmall)? = byte;
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::extension::ExtensionForm;

    /// RFC 6464 sec. 3: V in the top bit, level in the low 7 bits.
    #[test]
    fn decodes_voice_bit_and_level() {
        assert_eq!(
            AudioLevel::parse(&[0x80 | 42]),
            Ok(AudioLevel {
                voice: true,
                level_dbov: 42
            })
        );
        assert_eq!(
            AudioLevel::parse(&[127, 0xff, 0xff]),
            Ok(AudioLevel {
                voice: false,
                level_dbov: 127
            })
        );
        assert_eq!(AudioLevel::parse(&[]), Err(AudioLevelError::Empty));
    }

    #[test]
    fn writes_the_wire_byte() {
        let mut buf = [0u8; 1];
        let level = AudioLevel {
            voice: true,
            level_dbov: 3,
        };
        assert_eq!(level.write(&mut buf), Ok(1));
        assert_eq!(buf, [0x83]);
        assert_eq!(level.write(&mut []), Err(AudioLevelError::BufferTooSmall));
        let loud = AudioLevel {
            voice: false,
            level_dbov: 128,
        };
        assert_eq!(
            loud.write(&mut buf),
            Err(AudioLevelError::LevelOutOfRange(128))
        );
    }

    #[test]
    fn every_byte_round_trips() {
        for byte in 0..=255u8 {
            assert_eq!(AudioLevel::from_byte(byte).to_byte(), Ok(byte));
        }
    }

    #[test]
    fn found_among_elements() {
        // One-byte form: id 3 (transport-wide cc, 2 bytes), padding, id 1 (audio level).
        let data = [0x31, 0x00, 0x07, 0x00, 0x10, 0xd5, 0x00, 0x00];
        let elements = ExtensionElements::new(ExtensionForm::OneByte, &data);
        assert_eq!(
            AudioLevel::find(elements.clone(), 1),
            Some(AudioLevel {
                voice: true,
                level_dbov: 0x55
            })
        );
        assert_eq!(AudioLevel::find(elements, 2), None);
    }
}
