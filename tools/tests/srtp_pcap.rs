//! `srtp-pcap` run for real on rtpproxy's alice_srtp.pcap (a real AES_CM_128_HMAC_SHA1_80
//! call): decrypting authenticates all 1556 packets and keeps every frame's time and
//! addresses; encrypting the result gives the original payloads back; a wrong key fails
//! with exit status 1 unless --keep-going.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use medianode_tools::capture::CaptureReader;

const SUITE: &str = "AES_CM_128_HMAC_SHA1_80";
const SSRC: &str = "2a1ad144";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/srtp")
        .join(name)
}

fn alice_key() -> String {
    let args = std::fs::read_to_string(fixture("alice_to_bob.args")).unwrap();
    let arg = args
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--alice-crypto="))
        .unwrap();
    let (suite, key) = arg.split_once(':').unwrap();
    assert_eq!(suite, SUITE);
    key.to_string()
}

fn out_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn srtp_pcap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srtp-pcap"))
        .args(args)
        .output()
        .expect("run srtp-pcap")
}

/// (timestamp, src, dst, UDP payload) of every UDP frame.
fn datagrams(path: &Path) -> Vec<(u64, String, String, Vec<u8>)> {
    let mut reader = CaptureReader::new(BufReader::new(File::open(path).unwrap())).unwrap();
    let mut out = Vec::new();
    while let Some(d) = reader.next_datagram() {
        let d = d.unwrap();
        out.push((
            d.timestamp_ns,
            d.src.to_string(),
            d.dst.to_string(),
            d.payload.to_vec(),
        ));
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn decrypts_every_packet_then_encrypts_back_to_the_capture() {
    let input = fixture("alice_srtp.pcap");
    let plain = out_path("alice_plain.pcap");
    let key = alice_key();
    let o = srtp_pcap(&[
        "decrypt",
        "--suite",
        SUITE,
        "--key",
        &key,
        "--in",
        input.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&o),
        "packets=1556 ok=1556 auth_failed=0 replayed=0 other_failed=0"
    );

    let original = datagrams(&input);
    let decrypted = datagrams(&plain);
    assert_eq!(decrypted.len(), 1556);
    for (o, d) in original.iter().zip(&decrypted) {
        assert_eq!(
            (o.0, &o.1, &o.2),
            (d.0, &d.1, &d.2),
            "time and addresses kept"
        );
        assert_eq!(d.3.len(), o.3.len() - 10);
        assert_eq!(&d.3[..12], &o.3[..12]);
        assert_eq!(d.3[1] & 0x7F, 9, "G.722");
    }

    let again = out_path("alice_again.pcap");
    let o = srtp_pcap(&[
        "encrypt",
        "--suite",
        SUITE,
        "--key",
        &format!("inline:{key}"),
        "--ssrc",
        SSRC,
        "--in",
        plain.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&o),
        "packets=1556 ok=1556 auth_failed=0 replayed=0 other_failed=0"
    );
    assert_eq!(datagrams(&again), original);
}

#[test]
fn wrong_key_fails_with_status_1_unless_keep_going() {
    let input = fixture("alice_srtp.pcap");
    let out = out_path("alice_wrong_key.pcap");
    let wrong = "NhqBK/JjtVJgmOgPyDKpvMTEjvFCQ4eiyVQelF6x"; // bob's key from the same args file
    let base = [
        "--suite",
        SUITE,
        "--key",
        wrong,
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];

    let o = srtp_pcap(&[&["decrypt"], &base[..]].concat());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert_eq!(
        stdout(&o),
        "packets=1 ok=0 auth_failed=1 replayed=0 other_failed=0"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("frame 1"));

    let o = srtp_pcap(&[&["decrypt", "--keep-going"], &base[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(
        stdout(&o),
        "packets=1556 ok=0 auth_failed=1556 replayed=0 other_failed=0"
    );
    assert_eq!(
        datagrams(&out),
        datagrams(&input),
        "failed packets copied unchanged"
    );
}

#[test]
fn ssrc_filter_and_bad_arguments() {
    let input = fixture("alice_srtp.pcap");
    let out = out_path("alice_other_ssrc.pcap");
    let key = alice_key();
    let o = srtp_pcap(&[
        "decrypt",
        "--suite",
        SUITE,
        "--key",
        &key,
        "--ssrc",
        "0x12345678",
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&o),
        "packets=0 ok=0 auth_failed=0 replayed=0 other_failed=0"
    );
    assert_eq!(datagrams(&out), datagrams(&input));

    let o = srtp_pcap(&[
        "decrypt",
        "--suite",
        "AES_CM_128_HMAC_SHA1_64",
        "--key",
        &key,
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("AES_CM_128_HMAC_SHA1_64"));

    let o = srtp_pcap(&[
        "decrypt",
        "--suite",
        "AEAD_AES_256_GCM",
        "--key",
        &key,
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("44 bytes") && !err.contains(&key), "{err}");
}
