//! baresip as a peer of the node (a participant, or an SDES trunk): its home directory,
//! the tone it plays, its start, and the recording it leaves behind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::peers::Running;

/// A WAV file of a `hz` sine at half scale, `seconds` long, 8 kHz mono 16-bit (sox).
pub fn tone_wav(path: &Path, hz: u32, seconds: u32) {
    let sox = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
        .arg(path)
        .args([
            "synth",
            &seconds.to_string(),
            "sine",
            &hz.to_string(),
            "vol",
            "0.5",
        ])
        .output()
        .expect("sox must be installed");
    assert!(sox.status.success(), "{sox:?}");
}

/// A baresip home in `home` listening on `sip_port`: G.711 and SDES SRTP, playing `tone`,
/// recording what it hears into `records`, with `account` as its one accounts line and
/// `extra` more config lines.
pub fn write_baresip_home(
    home: &Path,
    sip_port: u16,
    tone: &Path,
    records: &Path,
    account: &str,
    extra: &str,
) {
    std::fs::create_dir_all(home).unwrap();
    std::fs::create_dir_all(records).unwrap();
    let config = format!(
        "poll_method epoll\n\
         sip_listen 127.0.0.1:{sip_port}\n\
         net_interface 127.0.0.1\n\
         call_max_calls 1\n\
         audio_player aubridge,sink\n\
         audio_source aufile,{tone}\n\
         audio_alert aubridge,alert\n\
         audio_level no\n\
         rtcp_mux no\n\
         jitter_buffer_delay 1-10\n\
         module_path /usr/lib/baresip/modules\n\
         module g711.so\n\
         module aufile.so\n\
         module aubridge.so\n\
         module sndfile.so\n\
         module srtp.so\n\
         module_tmp account.so\n\
         module_app menu.so\n\
         snd_path {records}\n\
         {extra}",
        tone = tone.display(),
        records = records.display(),
    );
    std::fs::write(home.join("config"), config).unwrap();
    std::fs::write(home.join("accounts"), format!("{account}\n")).unwrap();
}

/// Starts baresip on `home` with `args`, its output in `log`; stopped when dropped.
pub fn start_baresip(home: &Path, log: &Path, args: &[String]) -> Running {
    let log_file = File::create(log).unwrap();
    Running::start(
        "baresip",
        Command::new("baresip")
            .arg("-f")
            .arg(home)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file),
    )
}

/// The recording of what baresip decoded (its `-dec.wav` in `records`), if it made one.
pub fn decoded_recording(records: &Path) -> Option<PathBuf> {
    std::fs::read_dir(records)
        .ok()?
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
}

/// The samples of an 8 kHz mono 16-bit WAV file (what baresip records for G.711).
pub fn wav_samples(path: &Path) -> Vec<i16> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() >= 12 && &bytes[..4] == b"RIFF",
        "{path:?} is not WAV"
    );
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8 + len).min(bytes.len())];
        if id == b"fmt " {
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            let bits = u16::from_le_bytes([body[14], body[15]]);
            assert_eq!((channels, rate, bits), (1, 8000, 16), "{path:?}");
        }
        if id == b"data" {
            return body
                .chunks_exact(2)
                .map(|s| i16::from_le_bytes([s[0], s[1]]))
                .collect();
        }
        at += 8 + len + (len & 1);
    }
    panic!("{path:?} has no data chunk");
}
