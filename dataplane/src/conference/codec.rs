//! The codecs a leg carries and the table from RTP payload type to codec. The core needs
//! the codec for three things: the RTP clock rate (jitter), whether it can measure the
//! talker's level from the payload (G.711), and whether a packet is a telephone-event
//! (RFC 4733), which passes through selection untouched.

use core::fmt;

use super::ConferenceError;

/// An audio codec, or telephone-events, as negotiated in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Opus at its 48 kHz RTP clock (RFC 7587).
    Opus,
    /// G.711 mu-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
    /// RFC 4733 telephone-events (DTMF) at the given RTP clock rate.
    TelephoneEvent {
        /// The RTP clock rate, normally that of the audio codec it travels with.
        clock_rate: u32,
    },
}

impl Codec {
    /// The RTP timestamp clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48_000,
            Self::Pcmu | Self::Pcma => 8_000,
            Self::TelephoneEvent { clock_rate } => clock_rate,
        }
    }

    /// Whether packets of this codec are telephone-events rather than audio.
    pub fn is_telephone_event(self) -> bool {
        matches!(self, Self::TelephoneEvent { .. })
    }
}

/// Highest RTP payload type.
const MAX_PAYLOAD_TYPE: u8 = 127;

/// Which codec each payload type of a leg carries. A packet with a payload type not in the
/// table is dropped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PayloadTypes {
    codecs: [Option<Codec>; MAX_PAYLOAD_TYPE as usize + 1],
}

impl PayloadTypes {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            codecs: [None; MAX_PAYLOAD_TYPE as usize + 1],
        }
    }

    /// A table with one entry.
    pub fn single(payload_type: u8, codec: Codec) -> Result<Self, ConferenceError> {
        Self::new().with(payload_type, codec)
    }

    /// This table plus `payload_type -> codec`.
    ///
    /// Payload types 64..=95 are refused: with RTP and RTCP on one port (RFC 5761 sec. 4)
    /// they read as RTCP packet types when the marker bit is set.
    pub fn with(mut self, payload_type: u8, codec: Codec) -> Result<Self, ConferenceError> {
        if payload_type > MAX_PAYLOAD_TYPE || (64..=95).contains(&payload_type) {
            return Err(ConferenceError::InvalidPayloadType(payload_type));
        }
        if let Some(slot) = self.codecs.get_mut(usize::from(payload_type)) {
            *slot = Some(codec);
        }
        Ok(self)
    }

    /// The codec of `payload_type`, if the table has it.
    pub fn get(&self, payload_type: u8) -> Option<Codec> {
        self.codecs
            .get(usize::from(payload_type))
            .copied()
            .flatten()
    }

    /// The lowest payload type of `codec`, if the table has one.
    pub fn payload_type_of(&self, codec: Codec) -> Option<u8> {
        self.iter().find(|&(_, c)| c == codec).map(|(pt, _)| pt)
    }

    /// The entries, by ascending payload type.
    pub fn iter(&self) -> impl Iterator<Item = (u8, Codec)> + '_ {
        (0..=MAX_PAYLOAD_TYPE).filter_map(|pt| self.get(pt).map(|codec| (pt, codec)))
    }
}

impl Default for PayloadTypes {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PayloadTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_what_was_inserted_and_nothing_else() {
        let table = PayloadTypes::single(0, Codec::Pcmu)
            .and_then(|t| t.with(101, Codec::TelephoneEvent { clock_rate: 8000 }))
            .expect("valid payload types");
        assert_eq!(table.get(0), Some(Codec::Pcmu));
        assert_eq!(
            table.get(101),
            Some(Codec::TelephoneEvent { clock_rate: 8000 })
        );
        assert_eq!(table.get(8), None);
        assert_eq!(table.get(200), None);
        assert_eq!(table.iter().count(), 2);
    }

    #[test]
    fn refuses_payload_types_that_collide_with_rtcp_or_do_not_fit() {
        for pt in [64, 72, 95, 128, 255] {
            assert_eq!(
                PayloadTypes::single(pt, Codec::Opus),
                Err(ConferenceError::InvalidPayloadType(pt))
            );
        }
        assert!(PayloadTypes::single(63, Codec::Opus).is_ok());
        assert!(PayloadTypes::single(96, Codec::Opus).is_ok());
    }

    #[test]
    fn clock_rates() {
        assert_eq!(Codec::Opus.clock_rate(), 48_000);
        assert_eq!(Codec::Pcma.clock_rate(), 8_000);
        assert_eq!(
            Codec::TelephoneEvent { clock_rate: 48_000 }.clock_rate(),
            48_000
        );
    }
}
