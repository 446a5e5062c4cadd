//! Lost packets of a talker in the mix: Opus recovers them from the next packet's in-band
//! FEC when it is there and extrapolates (PLC) when it is not; G.711 fades out. The
//! listeners keep hearing the talker through short gaps.

mod mixer_support;

use std::time::Duration;

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::{JitterConfig, MixerConfig, OpusEncoding};
use mixer_support::{db, rms, Conference, Talker, Tone};

const TALKER: u32 = 1;
const LISTENER: u32 = 2;

/// The RMS of each 20 ms the listener heard, from `skip` periods on.
fn loudness_per_period(conf: &Conference, skip: usize) -> Vec<f64> {
    let receiver = &conf.receivers[&LegId(LISTENER)];
    let period = receiver.rate() as usize / 50;
    receiver
        .pcm
        .chunks_exact(period)
        .skip(skip)
        .map(rms)
        .collect()
}

fn conference(jitter: JitterConfig) -> Conference {
    let config = MixerConfig::new(SelectionPolicy::loudest(2))
        .with_jitter(jitter)
        .with_opus(OpusEncoding::new(64_000, 5));
    Conference::with_config(config)
}

/// The talker of the Opus test: voiced speech with in-band FEC.
fn fec_talker() -> Talker {
    Talker::opus_with_fec(Tone::voiced(140.0, 8000.0), 1)
}

/// The first packet period `k` from 40 on where periods `k - 1 ..= k + 2` are voiced and
/// packet `k + 2` carries FEC for `k + 1`: losing `k` and `k + 1` then exercises PLC
/// and FEC mid-syllable. Read from the talker's own packets (SILK 20 ms, RFC 6716
/// sec. 4.2.3: the VAD flag, then the LBRR flag, lead the first byte).
fn loss_period() -> usize {
    let mut talker = fec_talker();
    let flags: Vec<(bool, bool)> = (0..100)
        .map(|_| {
            let packet = talker.next_packet();
            // 12-byte header and one extension word with the level.
            let (toc, first) = (packet[20], packet[21]);
            assert!(
                toc >> 3 < 12 && toc & 3 == 0,
                "not a one-frame SILK packet: {toc:#x}"
            );
            (first & 0x80 != 0, first & 0x40 != 0)
        })
        .collect();
    (40..95)
        .find(|&k| (k - 1..=k + 2).all(|i| flags[i].0) && flags[k + 2].1)
        .expect("a voiced stretch with FEC")
}

/// The listener's loudness per period with the talker's packets `lost` never arriving.
fn opus_run(lost: &[usize]) -> (Conference, Vec<f64>) {
    // 60 ms of buffer: when a packet is due, the two after it have arrived.
    let mut conf = conference(JitterConfig::new(
        Duration::from_millis(60),
        Duration::from_millis(200),
    ));
    conf.add_talker(TALKER, fec_talker());
    conf.add_listener(LISTENER, Codec::Opus);
    conf.run_with(100, |_, period| !lost.contains(&period));
    let levels = loudness_per_period(&conf, 0);
    (conf, levels)
}

#[test]
fn opus_losses_are_recovered_by_fec_or_concealed_by_plc() {
    let k = loss_period();
    // Packet k has no successor at hand when it is due, so PLC conceals it; packet k + 1's
    // successor carries its FEC.
    let (conf, lossy) = opus_run(&[k, k + 1]);
    let stats = conf.mixer.leg_stats(LegId(TALKER)).expect("talker");
    assert_eq!(stats.jitter.lost, 2, "{stats:?}");
    assert_eq!(stats.concealed, 1, "{stats:?}");
    assert_eq!(stats.fec_recovered, 1, "{stats:?}");
    assert_eq!(stats.jitter.underruns, 0, "{stats:?}");

    // The listener keeps hearing the talker through the gap: against a run without loss,
    // no 20 ms around the gap drops by 10 dB (silence would), though the gap is audible.
    let (_, clean) = opus_run(&[]);
    let changes: Vec<f64> = (k..k + 10).map(|i| db(lossy[i], clean[i])).collect();
    assert!(changes.iter().all(|&c| c > -10.0), "{changes:.1?}");
    assert!(
        changes.iter().any(|&c| c < -0.5),
        "the loss left no trace: {changes:.1?}"
    );
}

#[test]
fn a_lost_g711_packet_fades_out_and_a_long_gap_falls_silent() {
    let tone = Tone::new(500.0, 8000.0);
    let mut conf = conference(JitterConfig::default());
    conf.add_talker(TALKER, Talker::new(Codec::Pcmu, tone, 1));
    conf.add_listener(LISTENER, Codec::Pcmu);
    // One packet lost at period 30; six in a row from period 60.
    conf.run_with(100, |_, period| period != 30 && !(60..66).contains(&period));

    // The single loss is declared with its successor at hand and faded; the long gap runs
    // the buffer dry for three ticks (concealing), then the leg idles until the talker
    // is back.
    let stats = conf.mixer.leg_stats(LegId(TALKER)).expect("talker");
    let jitter = stats.jitter;
    assert_eq!(
        (jitter.lost, jitter.underruns, stats.concealed),
        (1, 3, 1),
        "{stats:?}"
    );
    let levels = loudness_per_period(&conf, 0);
    let steady = levels[15..25].iter().sum::<f64>() / 10.0;
    // Around the single loss the quietest 20 ms is a fade: quieter, but not silent.
    let dip = levels[26..40].iter().cloned().fold(f64::MAX, f64::min);
    let dip_db = db(dip, steady);
    assert!(
        (-15.0..-1.0).contains(&dip_db),
        "single loss: {dip_db:.1} dB"
    );
    // A 120 ms gap fades to silence.
    let gap = levels[58..75].iter().cloned().fold(f64::MAX, f64::min);
    assert!(db(gap.max(1e-3), steady) < -40.0, "long gap: {gap:.1}");
    // And the talker comes back.
    let after = levels[90..].iter().sum::<f64>() / levels[90..].len() as f64;
    assert!(
        db(after, steady).abs() < 1.0,
        "after: {after:.0} against {steady:.0}"
    );
}
