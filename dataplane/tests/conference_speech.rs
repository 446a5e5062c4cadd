//! Speech through a mixing conference: three talkers (jfk.wav and two espeak-ng voices at
//! different gains) and seven silent legs that take the mix, loudest-2, recorded. The
//! recorded mix's energy must follow the two loudest talkers, and the selection must not
//! flap in their pauses, which are shorter than the hold. espeak-ng and sox run for real.

mod conference_support;
mod mixer_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use conference_support::{addr, Harness};
use medianode_dataplane::conference::{
    Codec, ConferenceId, CoreConfig, CoreEvent, LegConfig, LegId, PayloadTypes, Receive,
    RecordingId, SelectionPolicy,
};
use medianode_dataplane::mixer::{MixerConfig, OpusEncoding, OutputKind};
use medianode_simd::audio_level_dbov;
use mixer_support::{opus_encoder, rtp, Receiver, LEVEL_ID, PT_OPUS, PT_PCMU};

const FRAME: usize = 960;
/// Seconds of conference.
const SECONDS: usize = 12;
/// Envelope resolution.
const BLOCK: usize = 4800;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medianode-speech-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `input` as 48 kHz mono s16 with `gain_db`, through sox.
fn to_48k(input: &Path, gain_db: f64, dir: &Path, name: &str) -> Vec<i16> {
    let out = dir.join(format!("{name}.raw"));
    let status = Command::new("sox")
        .arg(input)
        .args([
            "-r", "48000", "-b", "16", "-c", "1", "-e", "signed", "-t", "raw",
        ])
        .arg(&out)
        .args(["gain", &gain_db.to_string()])
        .status()
        .expect("sox must be installed");
    assert!(status.success());
    std::fs::read(&out)
        .unwrap()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn espeak(text: &str, voice: &str, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.wav"));
    let status = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&out)
        .arg(text)
        .status()
        .expect("espeak-ng must be installed");
    assert!(status.success());
    out
}

/// The frames of `pcm` without leading and trailing silence, repeated to `frames`.
fn looped(pcm: &[i16], frames: usize) -> Vec<i16> {
    let loud = |f: &[i16]| audio_level_dbov(f) < 50;
    let chunks: Vec<&[i16]> = pcm.chunks_exact(FRAME).collect();
    let first = chunks.iter().position(|f| loud(f)).expect("speech");
    let last = chunks.iter().rposition(|f| loud(f)).expect("speech");
    let speech: Vec<i16> = chunks[first..=last].concat();
    speech
        .iter()
        .copied()
        .cycle()
        .take(frames * FRAME)
        .collect()
}

/// The longest run of frames quieter than -50 dBov.
fn longest_pause(pcm: &[i16]) -> Duration {
    let mut longest = 0;
    let mut run = 0;
    for frame in pcm.chunks_exact(FRAME) {
        if audio_level_dbov(frame) >= 50 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    Duration::from_millis(20 * longest)
}

fn envelope(pcm: &[i16]) -> Vec<f64> {
    pcm.chunks_exact(BLOCK)
        .map(|b| (b.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / BLOCK as f64).sqrt())
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let mean = |x: &[f64]| x.iter().take(n as usize).sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    ab / (aa * bb).sqrt()
}

#[test]
fn the_recorded_mix_follows_the_two_loudest_talkers_without_flapping() {
    let dir = scratch();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jfk.wav");
    let frames = SECONDS * 50;
    let jfk = looped(&to_48k(&fixture, 0.0, &dir, "jfk"), frames);
    let a_wav = espeak(
        "The quick brown fox jumps over the lazy dog, and then it runs far away \
         across the wide green field towards the old stone bridge by the river.",
        "en-us",
        &dir,
        "a",
    );
    let b_wav = espeak(
        "Seven silent listeners wait in the room while somebody quietly reads numbers \
         aloud: one, two, three, four, five, six, seven, eight, nine, ten.",
        "en-gb",
        &dir,
        "b",
    );
    let a = looped(&to_48k(&a_wav, -4.0, &dir, "a"), frames);
    let b = looped(&to_48k(&b_wav, -22.0, &dir, "b"), frames);
    let hold = SelectionPolicy::default().hold;
    for (name, pcm) in [("jfk", &jfk), ("a", &a)] {
        let pause = longest_pause(pcm);
        assert!(
            pause < hold,
            "{name} pauses {pause:?}, the test needs < {hold:?}"
        );
    }

    let policy = SelectionPolicy::loudest(2);
    let mut config = CoreConfig::default();
    config.mix = MixerConfig::new(policy).with_opus(OpusEncoding::new(64_000, 5));
    let mut h = Harness::new(config);
    h.conference(1, policy);
    let opus = PayloadTypes::single(PT_OPUS, Codec::Opus).unwrap();
    let pcmu = PayloadTypes::single(PT_PCMU, Codec::Pcmu).unwrap();
    for leg in 1..=10u32 {
        let (types, receive) = if leg <= 3 {
            (opus, Receive::Streams)
        } else {
            (pcmu, Receive::Mix)
        };
        let config = LegConfig::new(20_000 + 2 * leg as u16, types)
            .with_remote(addr(40_000 + 2 * leg as u16))
            .with_audio_level(LEVEL_ID)
            .with_receive(receive);
        h.leg(1, leg, config);
    }
    let conference = ConferenceId(1);
    h.core
        .start_recording(conference, RecordingId(1), h.now)
        .unwrap();

    let talkers = [(1u32, &jfk), (2, &a), (3, &b)];
    let mut encoders: Vec<_> = talkers
        .iter()
        .map(|_| opus_encoder(64_000, false))
        .collect();
    let mut recorded = Receiver::new(Codec::Opus);
    let mut changes_after_settling = Vec::new();
    for frame in 0..frames {
        let start = h.now;
        h.advance_to(start + Duration::from_millis(5));
        let mut batch = Vec::new();
        for ((leg, pcm), encoder) in talkers.iter().zip(&mut encoders) {
            let samples = &pcm[frame * FRAME..(frame + 1) * FRAME];
            let input: Vec<u16> = samples.iter().map(|&s| s as u16).collect();
            let mut out = [0u8; 1500];
            let len = encoder.encode_to_slice(&input, &mut out).unwrap();
            let level = audio_level_dbov(samples);
            let packet = rtp(
                PT_OPUS,
                frame as u16,
                (frame * FRAME) as u32,
                *leg,
                Some(level),
                &out[..len],
            );
            batch.push((
                20_000 + 2 * *leg as u16,
                addr(40_000 + 2 * *leg as u16),
                packet,
            ));
        }
        for leg in 4..=10u32 {
            let packet = rtp(
                PT_PCMU,
                frame as u16,
                (frame * 160) as u32,
                leg,
                Some(127),
                &[0xff; 160],
            );
            batch.push((
                20_000 + 2 * leg as u16,
                addr(40_000 + 2 * leg as u16),
                packet,
            ));
        }
        h.batch(batch);
        h.advance_to(start + Duration::from_millis(20));
        while let Some(recorded_frame) = h.core.poll_recorded() {
            recorded.receive(&recorded_frame.payload, OutputKind::Shared);
        }
        for event in h.events() {
            if let CoreEvent::ActiveSpeakers { talkers, .. } = event {
                if frame >= 50 {
                    changes_after_settling.push((frame, talkers));
                }
            }
        }
    }
    assert_eq!(
        h.core.talkers(conference).unwrap(),
        vec![LegId(1), LegId(2)],
        "the two loudest"
    );
    assert!(
        changes_after_settling.is_empty(),
        "the selection flapped: {changes_after_settling:?}"
    );

    // Energy: the recorded mix against the two loudest talkers' sum, best alignment
    // within 200 ms (jitter buffer and codec delay).
    let loudest: Vec<i16> = jfk
        .iter()
        .zip(&a)
        .map(|(&x, &y)| x.saturating_add(y))
        .collect();
    let expected = envelope(&loudest[50 * FRAME..]);
    let heard_all = &recorded.pcm;
    let best = (0..=20)
        .map(|step| {
            let lag_ms = step * 10;
            let start = 50 * FRAME + lag_ms * 48;
            let heard = envelope(&heard_all[start.min(heard_all.len())..]);
            (correlation(&heard, &expected), lag_ms)
        })
        .fold((f64::MIN, 0), |best, x| if x.0 > best.0 { x } else { best });
    assert!(
        best.0 > 0.9,
        "mix energy follows jfk + a: r = {:.3}",
        best.0
    );
    let quiet = envelope(&b[50 * FRAME..]);
    let heard = envelope(&heard_all[50 * FRAME + best.1 * 48..]);
    let with_quiet = correlation(&heard, &quiet);
    assert!(
        with_quiet < best.0 - 0.3,
        "the quiet talker is not what the mix follows: r = {with_quiet:.3}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
