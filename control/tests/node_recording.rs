//! Recording through the real binary: `[recording]` in the config, a PCMU talker sending a
//! 400 Hz tone, the recording started and stopped over the admin API, its key fetched with
//! the admin token. The file on disk is not Ogg; decrypted with the key, `opusinfo` accepts
//! it and `opusdec` decodes the talker's tone.

mod support;

use std::f64::consts::PI;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use medianode_control::recording::{open_sealed, KEY_LEN};
use serde_json::json;
use support::*;

const TOKEN: &str = "recording-test-admin-token";
const TONE_HZ: f64 = 400.0;

/// Amplitude of `hz` in `pcm` (Goertzel over the whole slice).
fn tone_amplitude(pcm: &[i16], rate: f64, hz: f64) -> f64 {
    let w = 2.0 * PI * hz / rate;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in pcm {
        let s = f64::from(x) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    2.0 * power.sqrt() / pcm.len() as f64
}

#[test]
fn a_recording_is_sealed_on_disk_and_plays_with_the_key_from_the_api() {
    let http_port = free_port();
    let dir = scratch_dir("node-recording");
    let files = dir.join("recordings");
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = 1\nio_backend = \"threads\"\nhousekeeping_ms = 5\n\
             [media]\nport_min = 33340\nport_max = 33349\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\nadmin_token = \"{TOKEN}\"\n\
             [recording]\ndir = \"{}\"\n",
            files.display()
        ),
    );
    let node = NodeProcess::start(&config, http_port);
    let addr: SocketAddr = format!("127.0.0.1:{http_port}").parse().unwrap();
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    let call = |method: &str, path: &str, body: &str| {
        http_with_headers(addr, method, path, &bearer, body).unwrap()
    };

    let created = call("POST", "/v1/conferences", r#"{"loudest_n": 3}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    let conference = created.json()["id"].as_str().unwrap().to_owned();
    let talker = endpoint();
    let leg = call(
        "POST",
        &format!("/v1/conferences/{conference}/legs"),
        &json!({"codec": "PCMU", "remote": talker.local_addr().unwrap().to_string()}).to_string(),
    );
    assert_eq!(leg.status, 201, "{}", leg.body);
    let node_side: SocketAddr = leg.json()["local"].as_str().unwrap().parse().unwrap();

    let started = call(
        "POST",
        &format!("/v1/conferences/{conference}/recording"),
        "",
    );
    assert_eq!(started.status, 201, "{}", started.body);
    let recording = started.json()["recording"].as_str().unwrap().to_owned();

    // 1.5 s of a 400 Hz tone, paced at 20 ms.
    let begin = Instant::now();
    for n in 0..75u32 {
        let mut packet = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
        packet[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        packet[4..8].copy_from_slice(&(n * 160).to_be_bytes());
        let pcm: Vec<i16> = (0..160)
            .map(|i| {
                let t = f64::from(n * 160 + i) / 8000.0;
                (12_000.0 * (2.0 * PI * TONE_HZ * t).sin()) as i16
            })
            .collect();
        let mut payload = [0u8; 160];
        medianode_simd::ulaw_encode(&mut payload, &pcm);
        packet.extend_from_slice(&payload);
        talker.send_to(&packet, node_side).unwrap();
        let due = begin + Duration::from_millis(20 * u64::from(n + 1));
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    let stopped = call(
        "DELETE",
        &format!("/v1/conferences/{conference}/recording"),
        "",
    );
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    let file = stopped.json()["file"].as_str().unwrap().to_owned();
    let sealed = std::fs::read(&file).unwrap();
    assert!(
        !sealed.starts_with(b"OggS"),
        "the file on disk is not plain Ogg"
    );

    let refused = node.request("GET", &format!("/v1/recordings/{recording}/key"), "");
    assert_eq!(refused.status, 401, "no key without the token");
    let key = call("GET", &format!("/v1/recordings/{recording}/key"), "");
    assert_eq!(key.status, 200, "{}", key.body);
    let hex = key.json()["key"].as_str().unwrap().to_owned();
    let mut key_bytes = [0u8; KEY_LEN];
    for (i, byte) in key_bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let ogg = open_sealed(&sealed, &key_bytes).expect("the key opens the recording");
    assert!(ogg.starts_with(b"OggS"));
    let mut wrong = key_bytes;
    wrong[0] ^= 1;
    assert!(
        open_sealed(&sealed, &wrong).is_err(),
        "another key does not"
    );

    let opus = dir.join("recording.opus");
    std::fs::write(&opus, &ogg).unwrap();
    let info = Command::new("opusinfo")
        .arg(&opus)
        .output()
        .expect("opusinfo (Debian opus-tools) runs");
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    let wav = dir.join("recording.wav");
    let decoded = Command::new("opusdec")
        .args(["--quiet", "--rate", "48000"])
        .arg(&opus)
        .arg(&wav)
        .status()
        .expect("opusdec (Debian opus-tools) runs");
    assert!(decoded.success());
    let wav = std::fs::read(&wav).unwrap();
    let pcm: Vec<i16> = wav[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert!(
        pcm.len() > 48_000,
        "at least a second of audio: {}",
        pcm.len()
    );
    // The middle half second, away from the start-up and the end.
    let middle = &pcm[pcm.len() / 2 - 12_000..pcm.len() / 2 + 12_000];
    let tone = tone_amplitude(middle, 48_000.0, TONE_HZ);
    let off = tone_amplitude(middle, 48_000.0, 1_000.0);
    assert!(
        tone > 3_000.0,
        "the 400 Hz talker is in the recording: {tone}"
    );
    assert!(
        tone > 20.0 * off.max(1.0),
        "and dominates it: {tone} vs {off}"
    );
}
