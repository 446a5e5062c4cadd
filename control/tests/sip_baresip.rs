//! A second user agent written by others, for real: baresip (Debian `baresip-core`) dials
//! the conference factory with SDES SRTP mandatory (`mediaenc=srtp-mand`), follows the 302
//! to the new conference URI and joins it, sending a sox-made tone from a file (`aufile`)
//! and recording what it hears (`sndfile`), with no sound card. A SIPp participant joins
//! the same conference URI over plain RTP and plays `fixtures/baresip/g711a.pcap` into it.
//!
//! Checked: baresip's leg is SRTP and SIPp's is not; baresip's recording carries the
//! capture's speech (its loudness matches the capture's); and a capture on the loopback
//! interface (tshark) shows the node sending baresip's tone, decrypted, to SIPp.
//!
//! Needs root (or CAP_NET_RAW), like every SIPp scenario that plays a pcap: SIPp sends it
//! through a raw socket, and tshark captures on `lo`.

mod sip_support;
mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use sip_support::*;
use support::*;

/// The node's media ports in this test (unique among the test binaries).
const MEDIA_PORTS: (u16, u16) = (36600, 36619);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baresip")
        .join(name)
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

/// 20 ms frames (160 samples at 8 kHz) louder than `floor`.
fn loud_frames(samples: &[i16], floor: f64) -> Vec<&[i16]> {
    samples.chunks(160).filter(|f| rms(f) > floor).collect()
}

fn wait_for<T>(what: &str, log: impl Fn() -> String, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn conference_detail(node: &SipNode, id: &str) -> Option<Value> {
    let answer = node
        .process
        .request("GET", &format!("/v1/conferences/{id}"), "");
    (answer.status == 200).then(|| answer.json())
}

#[test]
fn baresip_joins_through_the_factory_with_srtp_and_exchanges_audio_with_sipp() {
    let expected = pcma_capture_audio(&fixture("g711a.pcap"));
    let expected_rms = rms(&expected);
    let dir = scratch_dir("sip-baresip");
    let node = SipNode::start(&SipNodeSetup {
        dir: &dir,
        users: &[("alice", "wonderland"), ("bob", "builder")],
        algorithms: "[\"MD5\"]",
        media_ports: MEDIA_PORTS,
        tls: None,
        extra_sip: "",
    });

    // A 12 s 440 Hz tone at half scale for baresip to send.
    let tone = dir.join("tone.wav");
    tone_wav(&tone, 440, 12);

    // Everything the node sends from its media ports, as seen on loopback.
    let capture_file = dir.join("capture.txt");
    let mut tshark = Running::start(
        "tshark",
        Command::new("tshark")
            .args(["-i", "lo", "-l", "-n", "-a", "duration:40", "-f"])
            .arg(format!(
                "udp and src portrange {}-{}",
                MEDIA_PORTS.0, MEDIA_PORTS.1
            ))
            .args(["-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport"])
            .args(["-e", "udp.payload"])
            .stdout(File::create(&capture_file).unwrap())
            .stderr(File::create(dir.join("tshark.log")).unwrap()),
    );
    wait_for(
        "tshark to capture",
        || std::fs::read_to_string(dir.join("tshark.log")).unwrap_or_default(),
        || {
            std::fs::read_to_string(dir.join("tshark.log"))
                .ok()?
                .contains("Capturing on")
                .then_some(())
        },
    );

    // baresip dials the factory and follows the 302 into the new conference.
    let home = dir.join("baresip");
    let records = dir.join("records");
    let account = format!(
        "<sip:bob@{};transport=udp>;auth_pass=builder;mediaenc=srtp-mand;regint=0;\
         audio_codecs=PCMA",
        node.sip
    );
    let extra = "call_local_timeout 20\n";
    write_baresip_home(&home, free_port(), &tone, &records, &account, extra);
    let baresip_log = dir.join("baresip.log");
    let dial = format!("/dial sip:conference@{}", node.sip);
    let args = ["-e".to_owned(), dial, "-t".to_owned(), "40".to_owned()];
    let mut baresip = start_baresip(&home, &baresip_log, &args);
    let logs = || {
        format!(
            "baresip: {}\nnode: {}",
            std::fs::read_to_string(&baresip_log).unwrap_or_default(),
            node.process.log()
        )
    };
    let id = wait_for("baresip's conference", logs, || {
        let list = node.process.get_json("/v1/conferences");
        list["conferences"].as_array()?.iter().find_map(|c| {
            (c["legs"].as_array()?.len() == 1).then(|| c["id"].as_str().unwrap().to_owned())
        })
    });
    let baresip_leg = conference_detail(&node, &id).unwrap()["legs"][0].clone();
    assert_eq!(
        baresip_leg["suite"], "AES_CM_128_HMAC_SHA1_80",
        "baresip's leg is SRTP: {baresip_leg}"
    );
    assert_eq!(baresip_leg["participant"], "bob", "{baresip_leg}");

    // SIPp joins the same conference URI and plays the capture.
    let conference_uri = format!("sip:conf-{id}@{}", node.sip);
    let server = node.sip.to_string();
    let sipp_dir = dir.clone();
    let signalling_port = free_port().to_string();
    let media_port = free_port();
    let media_port_text = media_port.to_string();
    let pcap = fixture("g711a.pcap").display().to_string();
    let scenario_file = fixture("join_conference.xml").display().to_string();
    let alice = std::thread::spawn(move || {
        sipp(
            &[
                &server,
                "-sf",
                &scenario_file,
                "-s",
                "alice",
                "-au",
                "alice",
                "-ap",
                "wonderland",
                "-key",
                "conference",
                &conference_uri,
                "-key",
                "pcap",
                &pcap,
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &signalling_port,
                "-mp",
                &media_port_text,
                "-nostdin",
                "-timeout",
                "30",
                "-timeout_error",
            ],
            &sipp_dir,
        )
    });
    let alice_leg = wait_for("SIPp's leg", logs, || {
        let detail = conference_detail(&node, &id)?;
        detail["legs"]
            .as_array()?
            .iter()
            .find(|leg| leg["participant"] == "alice")
            .cloned()
    });
    assert!(
        alice_leg["suite"].is_null(),
        "SIPp's leg is plain RTP: {alice_leg}"
    );
    let alice_leg_port: u16 = alice_leg["local"]
        .as_str()
        .and_then(|l| l.rsplit(':').next()?.parse().ok())
        .expect("the leg's local address");

    let output = alice.join().unwrap();
    assert!(
        output.status.success(),
        "SIPp failed ({}): {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        logs()
    );
    // baresip hangs up and closes its recordings on SIGINT.
    baresip.stop("INT");
    tshark.stop("INT");

    // baresip heard the capture: its decoded recording carries the capture's speech, at
    // the capture's loudness (the node forwards G.711 unchanged).
    let decoded = decoded_recording(&records)
        .unwrap_or_else(|| panic!("baresip recorded nothing\n{}", logs()));
    let heard = wav_samples(&decoded);
    let floor = 200.0;
    let expected_loud = loud_frames(&expected, floor).len();
    let heard_loud: Vec<i16> = loud_frames(&heard, floor).concat();
    assert!(
        heard_loud.len() / 160 * 10 >= expected_loud * 8,
        "baresip heard {} loud frames of the capture's {expected_loud}\n{}",
        heard_loud.len() / 160,
        logs()
    );
    let expected_loud_rms = rms(&loud_frames(&expected, floor).concat());
    let ratio = rms(&heard_loud) / expected_loud_rms;
    assert!(
        (0.8..1.25).contains(&ratio),
        "baresip's recording is {ratio:.2} times as loud as the capture \
         (capture RMS {expected_rms:.0})"
    );

    // SIPp received baresip's tone: plain PCMA from SIPp's leg to SIPp's media port.
    let packets = captured(&std::fs::read_to_string(&capture_file).unwrap());
    let to_sipp: Vec<&[u8]> = packets
        .iter()
        .filter(|(src, dst, _)| *src == alice_leg_port && *dst == media_port)
        .map(|(_, _, payload)| payload.as_slice())
        .filter(|p| rtp_fields(p).is_some() && p[1] & 0x7f == 8)
        .collect();
    assert!(
        to_sipp.len() >= 200,
        "SIPp got {} PCMA packets from the node ({} captured in all)",
        to_sipp.len(),
        packets.len()
    );
    let tone_samples: Vec<i16> = to_sipp.iter().flat_map(|p| alaw(&p[12..])).collect();
    let tone_rms = rms(&tone_samples);
    // A sine at half scale has an RMS of 16384 / sqrt(2) = 11585.
    assert!(
        (9000.0..14000.0).contains(&tone_rms),
        "what SIPp got is not baresip's tone: RMS {tone_rms:.0}"
    );
}
