//! Fixed storage for the packets a jitter buffer holds: a ring of slots indexed by
//! extended sequence number, each with room for one payload, allocated once per leg.

/// Packets held at most; with 10 ms packets that is 320 ms of audio.
pub(super) const SLOTS: usize = 32;
/// The largest payload a slot holds (an Ethernet MTU's worth).
pub const MAX_PAYLOAD: usize = 1500;

/// What the buffer knows about a held packet besides its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SlotMeta {
    pub(super) seq: u64,
    pub(super) present: bool,
    pub(super) len: u16,
    /// Duration in RTP timestamp units.
    pub(super) samples: u32,
    /// RFC 6464 level (-dBov) when known on arrival.
    pub(super) level_dbov: Option<u8>,
}

/// The ring of slots.
#[derive(Debug, Clone)]
pub(super) struct PacketSlots {
    meta: Vec<SlotMeta>,
    payloads: Vec<u8>,
}

impl PacketSlots {
    pub(super) fn new() -> Self {
        PacketSlots {
            meta: vec![SlotMeta::default(); SLOTS],
            payloads: vec![0; SLOTS * MAX_PAYLOAD],
        }
    }

    fn index(seq: u64) -> usize {
        // SLOTS is a power of two and the remainder is below it.
        (seq % SLOTS as u64) as usize
    }

    /// The metadata of `seq`, if it is held.
    pub(super) fn meta(&self, seq: u64) -> Option<SlotMeta> {
        self.meta
            .get(Self::index(seq))
            .filter(|m| m.present && m.seq == seq)
            .copied()
    }

    pub(super) fn contains(&self, seq: u64) -> bool {
        self.meta(seq).is_some()
    }

    /// The payload of `seq`, if it is held.
    pub(super) fn payload(&self, seq: u64) -> Option<&[u8]> {
        let meta = self.meta(seq)?;
        let start = Self::index(seq) * MAX_PAYLOAD;
        self.payloads.get(start..start + usize::from(meta.len))
    }

    /// Stores a packet in `seq`'s slot, evicting whatever was there. The caller keeps the
    /// held sequence numbers within `SLOTS` of each other and the payload within
    /// `MAX_PAYLOAD`; a longer payload is refused (`false`).
    pub(super) fn store(&mut self, meta: SlotMeta, payload: &[u8]) -> bool {
        if payload.len() > MAX_PAYLOAD {
            return false;
        }
        let index = Self::index(meta.seq);
        let start = index * MAX_PAYLOAD;
        let (Some(slot), Some(dest), Ok(len)) = (
            self.meta.get_mut(index),
            self.payloads.get_mut(start..start + payload.len()),
            u16::try_from(payload.len()),
        ) else {
            return false;
        };
        dest.copy_from_slice(payload);
        *slot = SlotMeta {
            present: true,
            len,
            ..meta
        };
        true
    }

    /// Marks `seq` as no longer held; returns its metadata if it was.
    pub(super) fn release(&mut self, seq: u64) -> Option<SlotMeta> {
        let slot = self.meta.get_mut(Self::index(seq))?;
        if slot.present && slot.seq == seq {
            slot.present = false;
            Some(*slot)
        } else {
            None
        }
    }

    /// Releases `seq` and lends its payload, if it was held.
    pub(super) fn take(&mut self, seq: u64) -> Option<(SlotMeta, &[u8])> {
        let meta = self.release(seq)?;
        let start = Self::index(seq) * MAX_PAYLOAD;
        let payload = self.payloads.get(start..start + usize::from(meta.len))?;
        Some((meta, payload))
    }

    /// Forgets every packet; returns how many were held.
    pub(super) fn clear(&mut self) -> u64 {
        let mut held = 0;
        for slot in &mut self.meta {
            held += u64::from(slot.present);
            slot.present = false;
        }
        held
    }

    /// The lowest held sequence number at or above `from`, looking `SLOTS` ahead.
    pub(super) fn lowest_from(&self, from: u64) -> Option<u64> {
        (from..from + SLOTS as u64).find(|&seq| self.contains(seq))
    }

    /// The lowest held sequence number of all.
    pub(super) fn lowest(&self) -> Option<u64> {
        self.meta.iter().filter(|m| m.present).map(|m| m.seq).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(seq: u64) -> SlotMeta {
        SlotMeta {
            seq,
            samples: 160,
            ..SlotMeta::default()
        }
    }

    #[test]
    fn stores_finds_and_releases_by_sequence_number() {
        let mut slots = PacketSlots::new();
        assert!(slots.store(meta(100), &[1, 2, 3]));
        assert_eq!(slots.payload(100), Some(&[1u8, 2, 3][..]));
        // The same slot index, another sequence number: not found.
        assert_eq!(slots.payload(100 + SLOTS as u64), None);
        assert_eq!(slots.lowest_from(90), Some(100));
        assert_eq!(slots.release(100).map(|m| m.len), Some(3));
        assert!(!slots.contains(100));
        assert_eq!(slots.lowest(), None);
    }

    #[test]
    fn refuses_a_payload_larger_than_a_slot() {
        let mut slots = PacketSlots::new();
        assert!(!slots.store(meta(7), &[0; MAX_PAYLOAD + 1]));
        assert!(slots.store(meta(7), &[0; MAX_PAYLOAD]));
        assert!(!slots.store(meta(8), &[0; MAX_PAYLOAD + 1]));
    }
}
