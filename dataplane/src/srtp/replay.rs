//! Replay protection (RFC 3711 sec. 3.3.2): a sliding bitmap of the packet indices seen
//! at and below the highest one, sized per session (64 to 1024 packets) in a fixed array so
//! that checking and recording an index never allocates.

#[cfg(test)]
use super::error::SrtpConfigError;
use super::error::SrtpError;

/// Bits the bitmap holds; the configured window is at most this.
pub const MAX_REPLAY_WINDOW: usize = 1024;
/// Smallest window RFC 3711 allows.
pub const MIN_REPLAY_WINDOW: usize = 64;
/// Window libsrtp and this engine use by default.
pub const DEFAULT_REPLAY_WINDOW: usize = 128;

const WORDS: usize = MAX_REPLAY_WINDOW / 64;

/// Which indices within `window` of the highest accepted index were seen.
#[derive(Clone, Debug)]
pub(crate) struct ReplayWindow {
    /// Highest index accepted so far; `None` until the first.
    top: Option<u64>,
    window: u64,
    /// Bit `i % 1024` is set when index `i` (within the window) was seen.
    seen: [u64; WORDS],
}

impl ReplayWindow {
    #[cfg(test)]
    pub(crate) fn new(window: usize) -> Result<Self, SrtpConfigError> {
        if !(MIN_REPLAY_WINDOW..=MAX_REPLAY_WINDOW).contains(&window) {
            return Err(SrtpConfigError::ReplayWindow(window));
        }
        Ok(Self::clamped(window))
    }

    /// A window of `window` packets brought into 64..=1024 (policies are validated already).
    pub(crate) fn clamped(window: usize) -> Self {
        Self {
            top: None,
            window: window.clamp(MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW) as u64,
            seen: [0; WORDS],
        }
    }

    /// Highest index accepted so far.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.top
    }

    fn bit(index: u64) -> (usize, u64) {
        let pos = (index % MAX_REPLAY_WINDOW as u64) as usize;
        (pos / 64, 1u64 << (pos % 64))
    }

    /// Whether `index` would be accepted now.
    pub(crate) fn check(&self, index: u64) -> Result<(), SrtpError> {
        let Some(top) = self.top else {
            return Ok(());
        };
        if index > top {
            return Ok(());
        }
        if top - index >= self.window {
            return Err(SrtpError::TooOld);
        }
        let (word, mask) = Self::bit(index);
        if self.seen[word] & mask != 0 {
            Err(SrtpError::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `index` (which `check` accepted).
    pub(crate) fn record(&mut self, index: u64) {
        match self.top {
            Some(top) if index <= top => {}
            Some(top) => {
                let advance = index - top;
                if advance >= MAX_REPLAY_WINDOW as u64 {
                    self.seen = [0; WORDS];
                } else {
                    for i in top + 1..index {
                        let (word, mask) = Self::bit(i);
                        self.seen[word] &= !mask;
                    }
                }
                let (word, mask) = Self::bit(index);
                self.seen[word] &= !mask;
                self.top = Some(index);
            }
            None => {
                self.seen = [0; WORDS];
                self.top = Some(index);
            }
        }
        let (word, mask) = Self::bit(index);
        self.seen[word] |= mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bounds_are_validated() {
        assert!(ReplayWindow::new(63).is_err());
        assert!(ReplayWindow::new(1025).is_err());
        assert!(ReplayWindow::new(64).is_ok() && ReplayWindow::new(1024).is_ok());
    }

    #[test]
    fn accepts_once_rejects_replay_and_old() {
        let mut w = ReplayWindow::new(128).unwrap();
        for i in [1000u64, 1002, 1001] {
            assert_eq!(w.check(i), Ok(()));
            w.record(i);
            assert_eq!(w.check(i), Err(SrtpError::Replayed));
        }
        assert_eq!(w.check(1002 - 127), Ok(()));
        assert_eq!(w.check(1002 - 128), Err(SrtpError::TooOld));
        // Jumping further than the bitmap forgets everything before the new window.
        w.record(5000);
        assert_eq!(w.check(5000 - 127), Ok(()));
        assert_eq!(w.check(1002), Err(SrtpError::TooOld));
    }

    #[test]
    fn bits_reused_after_wraparound_of_the_bitmap_are_cleared() {
        let mut w = ReplayWindow::new(1024).unwrap();
        w.record(10);
        w.record(10 + 1023);
        // Index 10 + 1024 maps to the same bit as 10; it must not look replayed.
        assert_eq!(w.check(10 + 1024), Ok(()));
        w.record(10 + 1024);
        assert_eq!(w.check(10), Err(SrtpError::TooOld));
        assert_eq!(w.check(11), Ok(()));
    }
}
