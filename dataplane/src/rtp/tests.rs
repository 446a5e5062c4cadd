//! Tests for the RTP view and header representation.

use proptest::prelude::*;

use super::extension::ExtensionElement;
use super::*;

/// RFC 3550 sec. 5.1 layout, built by hand: V=2, P=0, X=0, CC=2, M=1, PT=0 (PCMU),
/// seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, CSRCs 0xa0a0a0a0 and 0xb0b0b0b0, payload
/// "xyz".
const TWO_CSRCS: [u8; 23] = [
    0x82, 0x80, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xa0, 0xa0, 0xa0,
    0xb0, 0xb0, 0xb0, 0xb0, b'x', b'y', b'z',
];

/// Frame 69 of `rtp.pcapng` from the ntop/nDPI test captures (LGPL-3.0), UDP payload as
/// printed by `tshark -x`: PT 120 with a one-word 0xBEDE extension whose single element (0xa4: id 10, 5 bytes)
/// claims more bytes than the block holds, as sent by a real endpoint.
const NDPI_FRAME_69: [u8; 43] = [
    0x90, 0x78, 0x48, 0xba, 0xd1, 0x7f, 0x4c, 0x75, 0x00, 0x1a, 0x7e, 0x73, 0xbe, 0xde, 0x00, 0x01,
    0xa4, 0xc0, 0x16, 0xeb, 0x75, 0x8b, 0xe2, 0x70, 0x62, 0x4d, 0xa7, 0xa9, 0x9d, 0x37, 0x3f, 0xdf,
    0xbc, 0xcd, 0xe8, 0x9b, 0x2a, 0xbb, 0x48, 0xf3, 0x35, 0x01, 0x80,
];

#[test]
fn reads_fixed_header_and_csrcs() {
    let p = RtpPacket::new_checked(&TWO_CSRCS[..]).unwrap();
    assert_eq!(p.version(), 2);
    assert!(!p.padding());
    assert!(!p.extension());
    assert_eq!(p.csrc_count(), 2);
    assert!(p.marker());
    assert_eq!(p.payload_type(), 0);
    assert_eq!(p.sequence_number(), 0x1234);
    assert_eq!(p.timestamp(), 0xdead_beef);
    assert_eq!(p.ssrc(), 0x0102_0304);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), [0xa0a0_a0a0, 0xb0b0_b0b0]);
    assert_eq!(p.csrcs().len(), 2);
    assert_eq!(p.header_len(), 20);
    assert_eq!(p.payload(), b"xyz");
    assert_eq!(p.extension_profile(), None);
    assert_eq!(p.extension_data(), None);
    assert_eq!(p.extension_elements().count(), 0);
}

#[test]
fn real_capture_with_overlong_extension_element() {
    let p = RtpPacket::new_checked(&NDPI_FRAME_69[..]).unwrap();
    assert_eq!(p.payload_type(), 120);
    assert_eq!(p.sequence_number(), 18618);
    assert_eq!(p.timestamp(), 3_514_780_789);
    assert_eq!(p.ssrc(), 0x001a_7e73);
    assert_eq!(p.extension_profile(), Some(0xbede));
    assert_eq!(p.extension_data(), Some(&[0xa4, 0xc0, 0x16, 0xeb][..]));
    assert_eq!(p.payload().len(), 23);
    assert_eq!(p.payload()[0], 0x75);
    let mut elements = p.extension_elements();
    assert_eq!(elements.next(), None);
    assert!(elements.truncated());
}

#[test]
fn padding_is_excluded_from_payload() {
    let mut bytes = TWO_CSRCS.to_vec();
    bytes[0] |= 0x20;
    bytes.extend_from_slice(&[0, 0, 3]);
    let p = RtpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.padding_len(), 3);
    assert_eq!(p.payload(), b"xyz");
}

#[test]
fn padding_may_fill_everything_after_the_header() {
    let mut bytes = TWO_CSRCS[..20].to_vec();
    bytes[0] |= 0x20;
    bytes.extend_from_slice(&[0, 0, 0, 4]);
    let p = RtpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.payload(), b"");
}

#[test]
fn rejects_malformed_headers() {
    let check = |b: &[u8]| RtpPacket::new_checked(b).map(|_| ());
    assert_eq!(check(&TWO_CSRCS[..11]), Err(RtpError::TooShort));
    assert_eq!(check(&TWO_CSRCS[..19]), Err(RtpError::BadCsrcLength));

    let mut v1 = TWO_CSRCS;
    v1[0] = 0x42;
    assert_eq!(check(&v1), Err(RtpError::BadVersion(1)));

    for pt in [72u8, 73] {
        let mut rtcp_like = TWO_CSRCS;
        rtcp_like[1] = 0x80 | pt;
        assert_eq!(check(&rtcp_like), Err(RtpError::RtcpPayloadType(pt)));
    }

    let mut zero_pad = TWO_CSRCS;
    zero_pad[0] |= 0x20;
    zero_pad[22] = 0;
    assert_eq!(check(&zero_pad), Err(RtpError::BadPadding));
    zero_pad[22] = 4;
    assert_eq!(check(&zero_pad), Err(RtpError::BadPadding));
    zero_pad[22] = 3;
    assert_eq!(check(&zero_pad).map(|_| ()), Ok(()));

    // Extension preamble missing, then extension words missing.
    let mut ext = vec![0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde];
    assert_eq!(check(&ext), Err(RtpError::BadExtensionLength));
    ext.extend_from_slice(&[0, 1, 0x10, 0xaa]);
    assert_eq!(check(&ext), Err(RtpError::BadExtensionLength));
    ext.extend_from_slice(&[0, 0]);
    assert_eq!(check(&ext), Ok(()));
}

#[test]
fn header_len_accepts_srtp_style_trailers() {
    // P bit set but the last byte (an SRTP tag byte here) is zero: the full check refuses,
    // the header-only check does not look.
    let mut b = TWO_CSRCS;
    b[0] |= 0x20;
    b[22] = 0;
    assert_eq!(header_len(&b), Ok(20));
    assert!(RtpPacket::new_checked(&b[..]).is_err());
}

#[test]
fn plausibility_heuristic() {
    assert!(is_plausible_rtp(&TWO_CSRCS));
    let mut b = TWO_CSRCS;
    for pt in 72..=76 {
        b[1] = pt;
        assert!(!is_plausible_rtp(&b));
    }
    b[1] = 77;
    assert!(is_plausible_rtp(&b));
    b[0] = 0x02;
    assert!(!is_plausible_rtp(&b));
    assert!(!is_plausible_rtp(&TWO_CSRCS[..11]));
}

#[test]
fn setters_rewrite_fields_in_place() {
    let mut bytes = TWO_CSRCS;
    let mut p = RtpPacket::new_checked(&mut bytes[..]).unwrap();
    p.set_marker(false);
    p.set_payload_type(0xff);
    p.set_sequence_number(7);
    p.set_timestamp(8);
    p.set_ssrc(9);
    p.payload_mut().copy_from_slice(b"abc");
    assert!(!p.marker());
    assert_eq!(p.payload_type(), 0x7f);
    assert_eq!(
        &bytes[..12],
        &[0x82, 0x7f, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9][..]
    );
    assert_eq!(&bytes[20..], b"abc");
}

#[test]
fn header_emits_rfc_layout() {
    let header = RtpHeader {
        marker: true,
        payload_type: 0,
        sequence_number: 0x1234,
        timestamp: 0xdead_beef,
        ssrc: 0x0102_0304,
        csrcs: CsrcList::from_slice(&[0xa0a0_a0a0, 0xb0b0_b0b0]).unwrap(),
        extension: None,
    };
    let mut buf = [0u8; 23];
    assert_eq!(header.header_len(), 20);
    assert_eq!(header.emit(&mut buf), Ok(20));
    buf[20..].copy_from_slice(b"xyz");
    assert_eq!(buf, TWO_CSRCS);
    assert_eq!(
        header.emit(&mut [0u8; 19]),
        Err(RtpError::BufferTooSmall(20))
    );
}

#[test]
fn header_emit_refuses_bad_fields() {
    let mut header = RtpHeader {
        marker: false,
        payload_type: 128,
        sequence_number: 0,
        timestamp: 0,
        ssrc: 0,
        csrcs: CsrcList::new(),
        extension: None,
    };
    let mut buf = [0u8; 64];
    assert_eq!(
        header.emit(&mut buf),
        Err(RtpError::PayloadTypeOutOfRange(128))
    );
    header.payload_type = 96;
    header.extension = Some(ExtensionBlock {
        profile: 0xbede,
        data: &[1, 2, 3],
    });
    assert_eq!(header.emit(&mut buf), Err(RtpError::ExtensionNotAligned));
}

#[test]
fn csrc_list_caps_at_fifteen() {
    assert!(CsrcList::from_slice(&[1; 16]).is_none());
    let mut list = CsrcList::from_slice(&[1; 15]).unwrap();
    assert!(!list.push(2));
    assert_eq!(list.len(), 15);
}

#[test]
fn extension_written_then_emitted_reads_back() {
    let mut ext_buf = [0u8; 16];
    let block = extension::ExtensionWriter::write_all(
        &mut ext_buf,
        &[ExtensionElement {
            id: 1,
            data: &[0x85],
        }],
    )
    .unwrap();
    let header = RtpHeader {
        marker: false,
        payload_type: 111,
        sequence_number: 1,
        timestamp: 2,
        ssrc: 3,
        csrcs: CsrcList::new(),
        extension: Some(block),
    };
    let mut buf = [0u8; 32];
    let len = header.emit(&mut buf).unwrap();
    assert_eq!(len, 20);
    assert_eq!(&buf[12..20], &[0xbe, 0xde, 0, 1, 0x10, 0x85, 0, 0]);
    let p = RtpPacket::new_checked(&buf[..len]).unwrap();
    assert_eq!(p.extension_elements().find(1), Some(&[0x85][..]));
}

/// Owned parts of an RTP header, so a strategy can generate them and a test can borrow.
#[derive(Debug, Clone)]
struct HeaderParts {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    extension: Option<(u16, Vec<u8>)>,
}

impl HeaderParts {
    fn header(&self) -> RtpHeader<'_> {
        RtpHeader {
            marker: self.marker,
            payload_type: self.payload_type,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            csrcs: CsrcList::from_slice(&self.csrcs).unwrap(),
            extension: self
                .extension
                .as_ref()
                .map(|(profile, data)| ExtensionBlock {
                    profile: *profile,
                    data,
                }),
        }
    }
}

fn header_parts() -> impl Strategy<Value = HeaderParts> {
    let words = proptest::collection::vec(any::<[u8; 4]>(), 0..4).prop_map(|w| w.concat());
    (
        any::<bool>(),
        (0u8..128).prop_filter("RTCP collision", |pt| *pt != 72 && *pt != 73),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 0..=MAX_CSRCS),
        proptest::option::of((any::<u16>(), words)),
    )
        .prop_map(
            |(marker, payload_type, sequence_number, timestamp, ssrc, csrcs, extension)| {
                HeaderParts {
                    marker,
                    payload_type,
                    sequence_number,
                    timestamp,
                    ssrc,
                    csrcs,
                    extension,
                }
            },
        )
}

proptest! {
    #[test]
    fn header_emit_then_parse_round_trips(
        parts in header_parts(),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let header = parts.header();
        let mut buf = vec![0u8; header.header_len() + payload.len()];
        let len = header.emit(&mut buf).unwrap();
        prop_assert_eq!(len, header.header_len());
        buf[len..].copy_from_slice(&payload);
        let packet = RtpPacket::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(RtpHeader::parse(&packet), header);
        prop_assert_eq!(packet.header_len(), len);
        prop_assert_eq!(packet.payload(), &payload[..]);
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = header_len(&bytes);
        let _ = is_plausible_rtp(&bytes);
        if let Ok(p) = RtpPacket::new_checked(&bytes[..]) {
            let _ = (p.version(), p.padding(), p.extension(), p.csrc_count(), p.marker());
            let _ = (p.payload_type(), p.sequence_number(), p.timestamp(), p.ssrc());
            let _ = (p.csrcs().count(), p.extension_profile(), p.extension_data());
            let _ = p.extension_elements().count();
            prop_assert!(p.header_len() + p.padding_len() + p.payload().len() == bytes.len());
            let _ = RtpHeader::parse(&p);
        }
    }

    #[test]
    fn any_bytes_with_rtp_first_byte_never_panic(
        first in 0x80u8..0xc0,
        rest in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut bytes = vec![first];
        bytes.extend_from_slice(&rest);
        if let Ok(mut p) = RtpPacket::new_checked(&mut bytes[..]) {
            let _ = p.extension_elements().count();
            p.set_marker(true);
            p.set_sequence_number(1);
            let _ = p.extension_data_mut();
            let _ = p.payload_mut();
        }
    }
}

#[test]
fn emitted_packets_dissect_in_tshark() {
    let level = [0x80 | 30];
    let mut one_byte = [0u8; 16];
    let one_byte = extension::ExtensionWriter::write_all(
        &mut one_byte,
        &[
            ExtensionElement {
                id: 1,
                data: &level,
            },
            ExtensionElement {
                id: 3,
                data: &[0x12, 0x34],
            },
        ],
    )
    .unwrap();
    let mut two_byte = [0u8; 16];
    let two_byte = extension::ExtensionWriter::write_all(
        &mut two_byte,
        &[ExtensionElement {
            id: 20,
            data: &[9, 8, 7],
        }],
    )
    .unwrap();
    let mut packets = Vec::new();
    for (i, block) in [one_byte, two_byte].into_iter().enumerate() {
        let header = RtpHeader {
            marker: i == 0,
            payload_type: 111,
            sequence_number: 1000 + i as u16,
            timestamp: 960 * i as u32,
            ssrc: 0xcafe_f00d,
            csrcs: CsrcList::from_slice(&[5, 6]).unwrap(),
            extension: Some(block),
        };
        let mut buf = vec![0u8; header.header_len() + 4];
        let len = header.emit(&mut buf).unwrap();
        buf[len..].copy_from_slice(b"opus");
        packets.push(buf);
    }
    let datagrams: Vec<&[u8]> = packets.iter().map(Vec::as_slice).collect();
    let rows = crate::tshark_check::dissect(
        &datagrams,
        "rtp",
        &[
            "rtp.marker",
            "rtp.p_type",
            "rtp.seq",
            "rtp.timestamp",
            "rtp.ssrc",
            "rtp.csrc.item",
            "rtp.ext.profile",
            "rtp.ext.len",
            "rtp.ext.rfc5285.id",
            "rtp.ext.rfc5285.len",
            "rtp.ext.rfc5285.data",
            "_ws.malformed",
            "_ws.expert",
        ],
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    let first = &rows[0];
    assert_eq!(
        first[..8],
        [
            "1",
            "111",
            "1000",
            "0",
            "0xcafef00d",
            "0x00000005,0x00000006",
            "0xbede",
            "2"
        ],
        "{first:?}"
    );
    assert_eq!(first[8], "1,3");
    assert_eq!(first[9], "1,2");
    assert_eq!(first[10], "9e,1234");
    assert_eq!(first[11..], ["", ""], "{first:?}");
    let second = &rows[1];
    assert_eq!(
        second[..8],
        [
            "0",
            "111",
            "1001",
            "960",
            "0xcafef00d",
            "0x00000005,0x00000006",
            "0x1000",
            "2"
        ],
        "{second:?}"
    );
    assert_eq!(second[8], "20");
    assert_eq!(second[9], "3");
    assert_eq!(second[10], "090807");
    assert_eq!(second[11..], ["", ""], "{second:?}");
}
