//! Nonce-count replay tracking (RFC 7616 sec. 3.4.4, 5.4): each nonce accepts each `nc`
//! once. A 64-entry window below the highest count seen tolerates requests that overtake
//! each other on UDP, as SRTP's replay list does.

use std::collections::HashMap;

/// How often expired entries are swept, in seconds.
const SWEEP_INTERVAL_SECS: u64 = 60;

#[derive(Debug, Clone, Copy)]
struct Window {
    highest: u32,
    seen: u64,
    forget_at: u64,
}

/// The counts seen per nonce.
#[derive(Debug, Default)]
pub struct NonceCounts {
    windows: HashMap<String, Window>,
    next_sweep: u64,
}

impl NonceCounts {
    /// Records `nc` for `nonce` at `unix_now`, remembering the nonce until `forget_at`;
    /// false when that count was already used (a replay) or is too far behind.
    pub fn record(&mut self, nonce: &str, nc: u32, unix_now: u64, forget_at: u64) -> bool {
        if unix_now >= self.next_sweep {
            self.windows.retain(|_, w| w.forget_at > unix_now);
            self.next_sweep = unix_now + SWEEP_INTERVAL_SECS;
        }
        let Some(w) = self.windows.get_mut(nonce) else {
            self.windows.insert(
                nonce.to_string(),
                Window {
                    highest: nc,
                    seen: 1,
                    forget_at,
                },
            );
            return true;
        };
        if nc > w.highest {
            let shift = nc - w.highest;
            w.seen = if shift >= 64 { 0 } else { w.seen << shift };
            w.seen |= 1;
            w.highest = nc;
            return true;
        }
        let behind = w.highest - nc;
        if behind >= 64 || w.seen & (1 << behind) != 0 {
            return false;
        }
        w.seen |= 1 << behind;
        true
    }

    /// Nonces currently tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True when no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_count_once_with_reordering() {
        let mut c = NonceCounts::default();
        assert!(c.record("n", 1, 0, 100));
        assert!(!c.record("n", 1, 0, 100));
        assert!(c.record("n", 3, 0, 100));
        assert!(c.record("n", 2, 0, 100), "late but unseen");
        assert!(!c.record("n", 2, 0, 100));
        assert!(c.record("n", 100, 0, 100));
        assert!(!c.record("n", 3, 0, 100), "too far behind the window");
        assert!(c.record("m", 1, 0, 100), "counts are per nonce");
    }

    #[test]
    fn expired_nonces_are_swept() {
        let mut c = NonceCounts::default();
        assert!(c.record("old", 1, 0, 10));
        assert_eq!(c.len(), 1);
        assert!(c.record("new", 1, 61, 200));
        assert_eq!(c.len(), 1);
        assert!(
            c.record("old", 1, 62, 200),
            "a forgotten nonce starts over (its issuer says stale)"
        );
    }
}
