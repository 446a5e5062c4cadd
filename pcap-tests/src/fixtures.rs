//! Paths of the capture fixtures copied into this crate (see `fixtures/SOURCES.md`).

use std::path::PathBuf;

/// The fixture at `relative` (e.g. `"rtpproxy/c1.a.rtp"`); panics if it is missing, since
/// a missing fixture is a broken checkout, not a reason to skip.
pub fn fixture(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative);
    assert!(path.is_file(), "fixture {} is missing", path.display());
    path
}

/// A scratch directory for files a test writes, unique per test name and process.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "medianode-pcap-tests-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// Every capture fixture (not the expected-output files), with its path relative to
/// `fixtures/`.
pub const CAPTURES: &[&str] = &[
    "rtpproxy/DLT_NULL.a.rtp",
    "rtpproxy/alice_srtp.pcap",
    "rtpproxy/alice_srtp_out.pcap",
    "rtpproxy/c1.a.rtp",
    "rtpproxy/dtmf.pcapng",
    "rtpproxy/dups.a.rtp",
    "rtpproxy/lost.a.rtp",
    "rtpproxy/lost.o.rtp",
    "rtpproxy/rtcp.a.pcap",
    "rtpproxy/rtcp.o.pcap",
    "rtpproxy/sess6.a.rtp",
    "rtpproxy/sess6.o.rtp",
    "rtpproxy/weird.a.rtp",
    "rtpproxy/weird.o.rtp",
    "ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    "ndpi/rtcp_multiple_pkts_in_the_same_datagram.pcap",
    "ndpi/rtp.pcapng",
    "ndpi/sip.pcap",
];
