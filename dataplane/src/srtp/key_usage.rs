//! Counting packets per master key so a key is retired before its RFC 3711 sec. 9.2 limit
//! (or a shorter SDES lifetime) instead of being used past it.

use super::error::SrtpError;

/// How close a direction's master key is to its lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyStatus {
    /// Well within its lifetime.
    Usable,
    /// Within 1/16 of the lifetime (at most 2^16 packets) of the limit: re-key now.
    RekeySoon,
    /// At the limit: packets are refused until the key is replaced.
    Exhausted,
}

/// Packets processed under one master key, per packet type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyUsage {
    pub(crate) rtp: u64,
    pub(crate) rtcp: u64,
    pub(crate) rtp_limit: u64,
    pub(crate) rtcp_limit: u64,
}

fn status(used: u64, limit: u64) -> KeyStatus {
    let warn = (limit / 16).min(1 << 16);
    if used >= limit {
        KeyStatus::Exhausted
    } else if limit - used <= warn {
        KeyStatus::RekeySoon
    } else {
        KeyStatus::Usable
    }
}

impl KeyUsage {
    pub(crate) fn new(rtp_limit: u64, rtcp_limit: u64) -> Self {
        Self {
            rtp: 0,
            rtcp: 0,
            rtp_limit,
            rtcp_limit,
        }
    }

    pub(crate) fn check(&self, rtcp: bool) -> Result<(), SrtpError> {
        let (used, limit) = if rtcp {
            (self.rtcp, self.rtcp_limit)
        } else {
            (self.rtp, self.rtp_limit)
        };
        if used >= limit {
            Err(SrtpError::KeyLifetimeExhausted)
        } else {
            Ok(())
        }
    }

    pub(crate) fn charge(&mut self, rtcp: bool) {
        if rtcp {
            self.rtcp += 1;
        } else {
            self.rtp += 1;
        }
    }

    /// The worse of the SRTP and SRTCP states.
    pub(crate) fn status(&self) -> KeyStatus {
        let a = status(self.rtp, self.rtp_limit);
        let b = status(self.rtcp, self.rtcp_limit);
        match (a, b) {
            (KeyStatus::Exhausted, _) | (_, KeyStatus::Exhausted) => KeyStatus::Exhausted,
            (KeyStatus::RekeySoon, _) | (_, KeyStatus::RekeySoon) => KeyStatus::RekeySoon,
            _ => KeyStatus::Usable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_then_refuses_at_the_limit() {
        let mut u = KeyUsage::new(32, 1 << 31);
        for _ in 0..30 {
            assert_eq!(u.check(false), Ok(()));
            u.charge(false);
        }
        assert_eq!(u.status(), KeyStatus::RekeySoon);
        u.charge(false);
        u.charge(false);
        assert_eq!(u.check(false), Err(SrtpError::KeyLifetimeExhausted));
        assert_eq!(u.status(), KeyStatus::Exhausted);
        assert_eq!(u.check(true), Ok(()));
    }
}
