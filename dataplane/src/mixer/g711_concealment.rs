//! Concealment for G.711, which has no decoder state to extrapolate from: the last 10 ms
//! heard are repeated under a linear fade to silence over 20 ms (the spirit of G.711
//! Appendix I, without its pitch search). A gap of one packet becomes a short fade
//! instead of a click; a longer gap becomes silence.

/// Samples of history kept and repeated: 10 ms at 8 kHz.
const HISTORY: usize = 80;
/// Samples over which the repetition fades to silence: 20 ms at 8 kHz.
const FADE: u32 = 160;

/// The concealment state of one G.711 stream.
#[derive(Debug, Clone)]
pub(crate) struct FadeOutConcealment {
    history: [i16; HISTORY],
    /// Samples concealed since the last real audio.
    position: u32,
}

impl FadeOutConcealment {
    pub(crate) fn new() -> Self {
        FadeOutConcealment {
            history: [0; HISTORY],
            position: 0,
        }
    }

    /// Remembers the end of freshly decoded audio and ends any fade.
    pub(crate) fn heard(&mut self, pcm: &[i16]) {
        if pcm.len() >= HISTORY {
            self.history.copy_from_slice(&pcm[pcm.len() - HISTORY..]);
        } else {
            self.history.copy_within(pcm.len().., 0);
            self.history[HISTORY - pcm.len()..].copy_from_slice(pcm);
        }
        self.position = 0;
    }

    /// Writes concealment into all of `out`, continuing any fade already begun.
    pub(crate) fn conceal(&mut self, out: &mut [i16]) {
        for sample in out.iter_mut() {
            let remaining = FADE.saturating_sub(self.position);
            *sample = if remaining == 0 {
                0
            } else {
                let source = self.history[self.position as usize % HISTORY];
                // Gain remaining / FADE, exact in i32.
                (i32::from(source) * remaining as i32 / FADE as i32) as i16
            };
            self.position = self.position.saturating_add(1);
        }
    }

    /// Forgets the history (a new stream).
    pub(crate) fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_the_last_audio_fading_to_silence() {
        let mut concealment = FadeOutConcealment::new();
        let heard: Vec<i16> = (0..160).map(|i| 10_000 + i as i16).collect();
        concealment.heard(&heard);
        let mut out = [1i16; 400];
        concealment.conceal(&mut out[..100]);
        concealment.conceal(&mut out[100..]);
        // The first sample repeats the start of the last 10 ms at full gain.
        assert_eq!(out[0], heard[80]);
        // The fade is monotonic in magnitude for a constant-sign signal.
        assert!(out[..FADE as usize].windows(2).all(|w| w[1] < w[0]));
        assert!(out[FADE as usize..].iter().all(|&s| s == 0));
        // Real audio ends the fade.
        concealment.heard(&heard);
        concealment.conceal(&mut out[..1]);
        assert_eq!(out[0], heard[80]);
    }

    #[test]
    fn short_frames_shift_into_the_history() {
        let mut concealment = FadeOutConcealment::new();
        concealment.heard(&[5; 100]);
        concealment.heard(&[7; 20]);
        let mut out = [0i16; HISTORY];
        concealment.conceal(&mut out);
        assert_eq!(out[0], 5);
        assert!(out[HISTORY - 20..].iter().all(|&s| s != 5 && s > 0));
    }
}
