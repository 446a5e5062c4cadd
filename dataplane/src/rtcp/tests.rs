//! Tests for the RTCP views, the compound walker, the A.2 check and the builder.

use proptest::prelude::*;

use super::*;

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

/// Frame 1 of `rtcp_multiple_pkts_in_the_same_datagram.pcap` from the ntop/nDPI test captures
/// (LGPL-3.0), UDP payload as printed by `tshark -T fields -e udp.payload`: a FreeSWITCH
/// SR + SDES compound.
const NDPI_FRAME_1: &str =
    "81c8000c5d931534dd3ac1704d614df800007d00000000c800007d0000000000000000010000000000000000\
000000000000000081ca000e5d931534010835643933313533340725467265655357495443482e6f7267202d\
2d20436f6d6520746f20436c7565436f6e2e636f6d000000";

/// Frame 2 of the same capture: the peer's RR + SDES compound.
const NDPI_FRAME_2: &str =
    "81c9000701932db400000000010000010000bec200000001000000000000000081ca000e01932db401073139\
33326462340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d\
00000000";

const FREESWITCH_NOTE: &[u8] = b"FreeSWITCH.org -- Come to ClueCon.com";

/// Expected values below are tshark's dissection of the same frames (`tshark -V`).
#[test]
fn real_sender_report_compound() {
    let bytes = hex(NDPI_FRAME_1);
    assert_eq!(validate_compound(&bytes), Ok(()));
    let packets: Vec<_> = CompoundPackets::new(&bytes)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(packets.len(), 2);
    let TypedPacket::SenderReport(sr) = &packets[0] else {
        panic!("expected SR, got {:?}", packets[0]);
    };
    assert_eq!(sr.packet().packet_len(), 52);
    assert_eq!(sr.ssrc(), 0x5d93_1534);
    let info = sr.sender_info();
    assert_eq!(info.ntp_timestamp >> 32, 3_711_615_344);
    assert_eq!(info.ntp_timestamp & 0xffff_ffff, 1_298_222_584);
    assert_eq!(info.rtp_timestamp, 32000);
    assert_eq!(info.packet_count, 200);
    assert_eq!(info.octet_count, 32000);
    let blocks: Vec<_> = sr.report_blocks().collect();
    assert_eq!(
        blocks,
        [ReportBlock {
            ssrc: 0,
            fraction_lost: 0,
            cumulative_lost: 1,
            extended_highest_sequence: 0,
            jitter: 0,
            last_sr: 0,
            delay_since_last_sr: 0,
        }]
    );
    assert!(sr.profile_extension().is_empty());

    let TypedPacket::Sdes(sdes) = &packets[1] else {
        panic!("expected SDES, got {:?}", packets[1]);
    };
    assert_eq!(sdes.packet().packet_len(), 60);
    assert_eq!(sdes.cname(0x5d93_1534), Some(&b"5d931534"[..]));
    let chunks: Vec<_> = sdes.chunks().collect();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].ssrc, 0x5d93_1534);
    let items: Vec<_> = chunks[0].items.clone().collect();
    assert_eq!(
        items,
        [
            SdesItem {
                kind: SdesItem::CNAME,
                text: b"5d931534"
            },
            SdesItem {
                kind: SdesItem::NOTE,
                text: FREESWITCH_NOTE
            }
        ]
    );
}

#[test]
fn real_receiver_report_compound() {
    let bytes = hex(NDPI_FRAME_2);
    assert_eq!(validate_compound(&bytes), Ok(()));
    let mut packets = CompoundPackets::new(&bytes);
    let Some(Ok(TypedPacket::ReceiverReport(rr))) = packets.next() else {
        panic!("expected RR");
    };
    assert_eq!(rr.ssrc(), 0x0193_2db4);
    assert_eq!(rr.report_count(), 1);
    let block = rr.report_blocks().next().unwrap();
    assert_eq!(block.fraction_lost, 1);
    assert_eq!(block.cumulative_lost, 1);
    assert_eq!(block.extended_highest_sequence, 48834);
    assert_eq!(block.jitter, 1);
    let Some(Ok(TypedPacket::Sdes(sdes))) = packets.next() else {
        panic!("expected SDES");
    };
    assert_eq!(sdes.cname(0x0193_2db4), Some(&b"1932db4"[..]));
    assert!(packets.next().is_none());
}

#[test]
fn cumulative_lost_is_signed_24_bit() {
    let mut raw = [0u8; REPORT_BLOCK_LEN];
    raw[5..8].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert_eq!(ReportBlock::parse(&raw).cumulative_lost, -1);
    raw[5..8].copy_from_slice(&[0x80, 0x00, 0x00]);
    assert_eq!(ReportBlock::parse(&raw).cumulative_lost, -8_388_608);
    raw[5..8].copy_from_slice(&[0x7f, 0xff, 0xff]);
    assert_eq!(ReportBlock::parse(&raw).cumulative_lost, 8_388_607);

    let mut out = [0u8; REPORT_BLOCK_LEN];
    let block = ReportBlock {
        cumulative_lost: 10_000_000,
        ..ReportBlock::default()
    };
    block.emit(&mut out);
    assert_eq!(&out[5..8], &[0x7f, 0xff, 0xff]);
    let block = ReportBlock {
        cumulative_lost: -10_000_000,
        ..ReportBlock::default()
    };
    block.emit(&mut out);
    assert_eq!(&out[5..8], &[0x80, 0x00, 0x00]);
    let block = ReportBlock {
        cumulative_lost: -2,
        ..ReportBlock::default()
    };
    block.emit(&mut out);
    assert_eq!(&out[5..8], &[0xff, 0xff, 0xfe]);
}

/// An empty RR (RFC 3550 sec. 6.4.2 allows RC = 0), 8 bytes.
const EMPTY_RR: [u8; 8] = [0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1];

#[test]
fn framing_errors_end_the_walk() {
    let walk = |bytes: &[u8]| -> Vec<Result<(), RtcpError>> {
        CompoundPackets::new(bytes).map(|p| p.map(|_| ())).collect()
    };
    // Trailing bytes too short for a header.
    let mut trailing = EMPTY_RR.to_vec();
    trailing.extend_from_slice(&[0x80, 0xc9]);
    assert_eq!(walk(&trailing), [Ok(()), Err(RtcpError::TooShort)]);
    // Length past the end.
    let mut long = EMPTY_RR;
    long[3] = 2;
    assert_eq!(walk(&long), [Err(RtcpError::BadLength)]);
    // Version 1.
    let mut v1 = EMPTY_RR;
    v1[0] = 0x40;
    assert_eq!(walk(&v1), [Err(RtcpError::BadVersion(1))]);
    // Padding on the first of two packets.
    let mut padded_first = EMPTY_RR.to_vec();
    padded_first[0] |= 0x20;
    padded_first[7] = 4;
    padded_first.extend_from_slice(&EMPTY_RR);
    assert_eq!(walk(&padded_first), [Err(RtcpError::PaddingNotLast)]);
    // Padding count of zero, then one larger than the body.
    let mut pad = EMPTY_RR;
    pad[0] |= 0x20;
    pad[7] = 0;
    assert_eq!(walk(&pad), [Err(RtcpError::BadPadding)]);
    pad[7] = 5;
    assert_eq!(walk(&pad), [Err(RtcpError::BadPadding)]);
    assert_eq!(walk(&[]), []);
}

#[test]
fn padding_on_the_last_packet_is_accepted() {
    let mut bytes = EMPTY_RR.to_vec();
    // SDES, SC=0, 4 bytes of padding.
    bytes.extend_from_slice(&[0xa0, 0xca, 0x00, 0x01, 0, 0, 0, 4]);
    let packets: Vec<_> = CompoundPackets::new(&bytes)
        .collect::<Result<_, _>>()
        .unwrap();
    let TypedPacket::Sdes(sdes) = packets[1] else {
        panic!("expected SDES");
    };
    assert_eq!(sdes.packet().padding_len(), 4);
    assert!(sdes.packet().body().is_empty());
    assert_eq!(validate_compound(&bytes), Ok(()));
}

#[test]
fn body_errors_do_not_stop_the_walk() {
    // SR announcing one report block it does not have, then a good RR.
    let mut bytes = vec![0x81, 0xc8, 0x00, 0x06];
    bytes.extend_from_slice(&[0; 24]);
    bytes.extend_from_slice(&EMPTY_RR);
    let results: Vec<_> = CompoundPackets::new(&bytes).collect();
    assert_eq!(results[0], Err(RtcpError::BadCount));
    assert!(matches!(results[1], Ok(TypedPacket::ReceiverReport(_))));
    assert_eq!(validate_compound(&bytes), Err(RtcpError::BadCount));
}

#[test]
fn a2_check_wants_report_first_unpadded() {
    let sdes_first = [0x80, 0xca, 0x00, 0x00];
    assert_eq!(
        validate_compound(&sdes_first),
        Err(RtcpError::FirstNotReport(202))
    );
    let mut padded = EMPTY_RR;
    padded[0] |= 0x20;
    padded[7] = 4;
    assert_eq!(validate_compound(&padded), Err(RtcpError::FirstPadded));
    let mut trailing = EMPTY_RR.to_vec();
    trailing.push(0);
    assert_eq!(validate_compound(&trailing), Err(RtcpError::TooShort));
    assert_eq!(validate_compound(&[]), Err(RtcpError::TooShort));
}

#[test]
fn unknown_types_are_skipped_by_length() {
    let mut bytes = EMPTY_RR.to_vec();
    // XR (207) with one word of body.
    bytes.extend_from_slice(&[0x80, 0xcf, 0x00, 0x01, 1, 2, 3, 4]);
    bytes.extend_from_slice(&EMPTY_RR);
    let packets: Vec<_> = CompoundPackets::new(&bytes)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(packets.len(), 3);
    let TypedPacket::Unknown {
        packet_type,
        packet,
    } = packets[1]
    else {
        panic!("expected unknown");
    };
    assert_eq!(packet_type, 207);
    assert_eq!(packet.body(), &[1, 2, 3, 4]);
    assert!(matches!(packets[2], TypedPacket::ReceiverReport(_)));
}

#[test]
fn feedback_and_app_views() {
    // RFC 4585 sec. 6.3.1 PLI: FMT 1, PT 206, no FCI.
    let pli = [
        0x81, 0xce, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,
    ];
    let fb = Feedback::new_checked(&pli[..]).unwrap();
    assert_eq!(fb.kind(), FeedbackKind::PayloadSpecific);
    assert_eq!(fb.fmt(), 1);
    assert_eq!(fb.sender_ssrc(), 0x1111_1111);
    assert_eq!(fb.media_ssrc(), 0x2222_2222);
    assert!(fb.fci().is_empty());
    // RFC 4585 sec. 6.2.1 generic NACK: FMT 1, PT 205, one FCI word (PID 0x1234, BLP 0x0003).
    let nack = [
        0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0x00, 0x03,
    ];
    let fb = Feedback::new_checked(&nack[..]).unwrap();
    assert_eq!(fb.kind(), FeedbackKind::Transport);
    assert_eq!(fb.fci(), &[0x12, 0x34, 0x00, 0x03]);
    assert_eq!(
        Feedback::new_checked(&nack[..8]).map(|_| ()),
        Err(RtcpError::BadLength)
    );
    assert_eq!(
        Feedback::new_checked(&[0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1][..]).map(|_| ()),
        Err(RtcpError::TooShort)
    );

    let app = [
        0x85, 0xcc, 0x00, 0x03, 0, 0, 0, 9, b'm', b'n', b'o', b'd', 0xde, 0xad, 0xbe, 0xef,
    ];
    let view = App::new_checked(&app[..]).unwrap();
    assert_eq!(view.subtype(), 5);
    assert_eq!(view.ssrc(), 9);
    assert_eq!(&view.name(), b"mnod");
    assert_eq!(view.data(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(
        App::new_checked(&pli[..]).map(|_| ()),
        Err(RtcpError::WrongPacketType(206))
    );
}

#[test]
fn sdes_and_bye_malformations() {
    // Chunk without the terminating null: CNAME of 2 bytes fills the word exactly.
    let no_null = [0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, b'a', b'b'];
    assert_eq!(
        Sdes::new_checked(&no_null[..]).map(|_| ()),
        Err(RtcpError::BadSdesChunk)
    );
    // Item length past the body.
    let long_item = [0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, b'a', 0];
    assert_eq!(
        Sdes::new_checked(&long_item[..]).map(|_| ()),
        Err(RtcpError::BadSdesChunk)
    );
    // Two chunks announced, one present.
    let short = [0x82, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(
        Sdes::new_checked(&short[..]).map(|_| ()),
        Err(RtcpError::BadCount)
    );
    // BYE naming two sources but holding one.
    let bye = [0x82, 0xcb, 0x00, 0x01, 0, 0, 0, 1];
    assert_eq!(
        Bye::new_checked(&bye[..]).map(|_| ()),
        Err(RtcpError::BadCount)
    );
    // BYE reason claiming 7 bytes with 3 present.
    let bye = [0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 7, b'a', b'b', b'c'];
    assert_eq!(
        Bye::new_checked(&bye[..]).map(|_| ()),
        Err(RtcpError::BadByeReason)
    );
    let bye = [0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 3, b'a', b'b', b'c'];
    let view = Bye::new_checked(&bye[..]).unwrap();
    assert_eq!(view.ssrcs().collect::<Vec<_>>(), [1]);
    assert_eq!(view.reason(), Some(&b"abc"[..]));
}

#[test]
fn builder_refuses_what_does_not_fit() {
    let mut buf = [0u8; 64];
    let mut b = CompoundBuilder::new(&mut buf);
    b.receiver_report(1, &[]).unwrap();
    assert_eq!(
        b.receiver_report(1, &[ReportBlock::default(); 3]),
        Err(RtcpError::BufferTooSmall(8 + 80))
    );
    assert_eq!(
        b.receiver_report(1, &[ReportBlock::default(); 32]),
        Err(RtcpError::TooManyEntries)
    );
    assert_eq!(b.bye(&[1], Some(&[b'x'; 256])), Err(RtcpError::TextTooLong));
    assert_eq!(b.sdes_cname(1, &[b'x'; 256]), Err(RtcpError::TextTooLong));
    assert_eq!(b.len(), 8);
    assert_eq!(b.finish(), 8);
    assert_eq!(&buf[..8], &EMPTY_RR);
}

#[test]
fn builder_refuses_packets_longer_than_the_length_field() {
    let text = [b'x'; 255];
    let items = [SdesItem {
        kind: SdesItem::NOTE,
        text: &text,
    }; 1100];
    let mut buf = vec![0u8; 300_000];
    let mut b = CompoundBuilder::new(&mut buf);
    assert_eq!(b.sdes(&[(1, &items)]), Err(RtcpError::PacketTooLong));
    assert!(b.is_empty());
}

/// The byte layout of a CNAME chunk per RFC 3550 sec. 6.5: SSRC, type 1, length, text, a
/// null octet and zero padding to the word boundary.
#[test]
fn builder_writes_rfc_sdes_layout() {
    let mut buf = [0xffu8; 32];
    let mut b = CompoundBuilder::new(&mut buf);
    b.sdes_cname(0x0102_0304, b"abc").unwrap();
    let len = b.finish();
    assert_eq!(
        &buf[..len],
        &[0x81, 0xca, 0x00, 0x03, 1, 2, 3, 4, 1, 3, b'a', b'b', b'c', 0, 0, 0][..]
    );
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, cumulative_lost, ehs, jitter, lsr, dlsr)| ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_sequence: ehs,
                jitter,
                last_sr: lsr,
                delay_since_last_sr: dlsr,
            },
        )
}

fn sender_info() -> impl Strategy<Value = SenderInfo> {
    (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(ntp, rtp, p, o)| {
        SenderInfo {
            ntp_timestamp: ntp,
            rtp_timestamp: rtp,
            packet_count: p,
            octet_count: o,
        }
    })
}

type Chunk = (u32, Vec<(u8, Vec<u8>)>);

fn sdes_chunks() -> impl Strategy<Value = Vec<Chunk>> {
    proptest::collection::vec(
        (
            any::<u32>(),
            proptest::collection::vec(
                (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)),
                0..4,
            ),
        ),
        0..5,
    )
}

fn single(bytes: &[u8]) -> TypedPacket<'_> {
    let mut packets = CompoundPackets::new(bytes);
    let first = packets.next().unwrap().unwrap();
    assert!(packets.next().is_none());
    first
}

/// Calls every accessor of every typed view, the way the fuzz target does.
fn visit_all(bytes: &[u8]) -> usize {
    let mut seen = 0;
    for packet in CompoundPackets::new(bytes).flatten() {
        seen += match packet {
            TypedPacket::SenderReport(sr) => {
                let _ = (sr.ssrc(), sr.sender_info(), sr.profile_extension());
                sr.report_blocks().count()
            }
            TypedPacket::ReceiverReport(rr) => {
                let _ = (rr.ssrc(), rr.profile_extension());
                rr.report_blocks().count()
            }
            TypedPacket::Sdes(sdes) => {
                let _ = sdes.cname(0);
                sdes.chunks().flat_map(|c| c.items).count()
            }
            TypedPacket::Bye(bye) => bye.ssrcs().count() + bye.reason().map_or(0, <[u8]>::len),
            TypedPacket::App(app) => {
                let _ = (app.subtype(), app.ssrc(), app.name());
                app.data().len()
            }
            TypedPacket::Rtpfb(fb) | TypedPacket::Psfb(fb) => {
                let _ = (fb.kind(), fb.fmt(), fb.sender_ssrc(), fb.media_ssrc());
                fb.fci().len()
            }
            TypedPacket::Unknown { packet, .. } => packet.body().len(),
        };
    }
    seen
}

proptest! {
    #[test]
    fn sender_report_build_then_parse(
        ssrc in any::<u32>(),
        info in sender_info(),
        blocks in proptest::collection::vec(report_block(), 0..=31),
    ) {
        let mut buf = [0u8; 1024];
        let mut b = CompoundBuilder::new(&mut buf);
        b.sender_report(ssrc, &info, &blocks).unwrap();
        let len = b.finish();
        prop_assert_eq!(validate_compound(&buf[..len]), Ok(()));
        let TypedPacket::SenderReport(sr) = single(&buf[..len]) else {
            return Err(TestCaseError::fail("not an SR"));
        };
        prop_assert_eq!(sr.ssrc(), ssrc);
        prop_assert_eq!(sr.sender_info(), info);
        prop_assert_eq!(sr.report_blocks().collect::<Vec<_>>(), blocks);
    }

    #[test]
    fn receiver_report_build_then_parse(
        ssrc in any::<u32>(),
        blocks in proptest::collection::vec(report_block(), 0..=31),
    ) {
        let mut buf = [0u8; 1024];
        let mut b = CompoundBuilder::new(&mut buf);
        b.receiver_report(ssrc, &blocks).unwrap();
        let len = b.finish();
        let TypedPacket::ReceiverReport(rr) = single(&buf[..len]) else {
            return Err(TestCaseError::fail("not an RR"));
        };
        prop_assert_eq!(rr.ssrc(), ssrc);
        prop_assert_eq!(rr.report_blocks().collect::<Vec<_>>(), blocks);
    }

    #[test]
    fn sdes_build_then_parse(chunks in sdes_chunks()) {
        let items: Vec<Vec<SdesItem<'_>>> = chunks
            .iter()
            .map(|(_, items)| {
                items.iter().map(|(kind, text)| SdesItem { kind: *kind, text }).collect()
            })
            .collect();
        let input: Vec<(u32, &[SdesItem<'_>])> = chunks
            .iter()
            .zip(&items)
            .map(|((ssrc, _), items)| (*ssrc, &items[..]))
            .collect();
        let mut buf = [0u8; 1024];
        let mut b = CompoundBuilder::new(&mut buf);
        b.sdes(&input).unwrap();
        let len = b.finish();
        prop_assert_eq!(len % 4, 0);
        let TypedPacket::Sdes(sdes) = single(&buf[..len]) else {
            return Err(TestCaseError::fail("not SDES"));
        };
        let back: Vec<Chunk> = sdes
            .chunks()
            .map(|c| (c.ssrc, c.items.map(|i| (i.kind, i.text.to_vec())).collect()))
            .collect();
        prop_assert_eq!(back, chunks);
    }

    #[test]
    fn bye_build_then_parse(
        ssrcs in proptest::collection::vec(any::<u32>(), 0..=31),
        reason in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=255)),
    ) {
        let mut buf = [0u8; 512];
        let mut b = CompoundBuilder::new(&mut buf);
        b.bye(&ssrcs, reason.as_deref()).unwrap();
        let len = b.finish();
        let TypedPacket::Bye(bye) = single(&buf[..len]) else {
            return Err(TestCaseError::fail("not BYE"));
        };
        prop_assert_eq!(bye.ssrcs().collect::<Vec<_>>(), ssrcs);
        prop_assert_eq!(bye.reason(), reason.as_deref());
    }

    #[test]
    fn full_compound_is_valid(
        ssrc in any::<u32>(),
        info in sender_info(),
        cname in proptest::collection::vec(any::<u8>(), 0..=255),
    ) {
        let mut buf = [0u8; 512];
        let mut b = CompoundBuilder::new(&mut buf);
        b.sender_report(ssrc, &info, &[]).unwrap();
        b.sdes_cname(ssrc, &cname).unwrap();
        b.bye(&[ssrc], None).unwrap();
        let len = b.finish();
        prop_assert_eq!(validate_compound(&buf[..len]), Ok(()));
        prop_assert_eq!(CompoundPackets::new(&buf[..len]).count(), 3);
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = validate_compound(&bytes);
        let _ = visit_all(&bytes);
    }

    #[test]
    fn any_rtcp_looking_bytes_never_panic(
        count in 0u8..32,
        packet_type in 200u8..=207,
        body in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let words = body.len() / 4;
        let mut bytes = vec![0x80 | count, packet_type, 0, words as u8];
        bytes.extend_from_slice(&body[..words * 4]);
        let _ = validate_compound(&bytes);
        let _ = visit_all(&bytes);
        let _ = SenderReport::new_checked(&bytes[..]);
        let _ = ReceiverReport::new_checked(&bytes[..]);
        let _ = Sdes::new_checked(&bytes[..]);
        let _ = Bye::new_checked(&bytes[..]);
        let _ = App::new_checked(&bytes[..]);
        let _ = Feedback::new_checked(&bytes[..]);
    }
}

#[test]
fn builder_output_dissects_cleanly_in_tshark() {
    let blocks = [
        ReportBlock {
            ssrc: 0x0a0b_0c0d,
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_sequence: 0x0001_2345,
            jitter: 77,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        },
        ReportBlock {
            ssrc: 7,
            cumulative_lost: 1000,
            ..ReportBlock::default()
        },
    ];
    let info = SenderInfo {
        ntp_timestamp: 0xdd3a_c170_4d61_4df8,
        rtp_timestamp: 32000,
        packet_count: 200,
        octet_count: 32000,
    };
    let mut buf = [0u8; 512];
    let mut b = CompoundBuilder::new(&mut buf);
    b.sender_report(0x5d93_1534, &info, &blocks).unwrap();
    b.sdes_cname(0x5d93_1534, b"node@example.invalid").unwrap();
    b.bye(&[0x5d93_1534, 9], Some(b"bye now")).unwrap();
    let sr_sdes_bye = b.finish();

    let mut rr_buf = [0u8; 64];
    let mut b = CompoundBuilder::new(&mut rr_buf);
    b.receiver_report(0x42, &blocks[1..]).unwrap();
    b.sdes_cname(0x42, b"abc").unwrap();
    let rr_sdes = b.finish();

    let rows = crate::tshark_check::dissect(
        &[&buf[..sr_sdes_bye], &rr_buf[..rr_sdes]],
        "rtcp",
        &[
            "rtcp.pt",
            "rtcp.senderssrc",
            "rtcp.timestamp.ntp.msw",
            "rtcp.timestamp.rtp",
            "rtcp.sender.packetcount",
            "rtcp.ssrc.identifier",
            "rtcp.ssrc.fraction",
            "rtcp.ssrc.cum_nr",
            "rtcp.ssrc.high_seq",
            "rtcp.ssrc.jitter",
            "rtcp.ssrc.lsr",
            "rtcp.ssrc.dlsr",
            "rtcp.sdes.text",
            "rtcp.length_check",
            "_ws.malformed",
            "_ws.expert",
            "rtcp.ssrc.high_cycles",
        ],
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    let sr = &rows[0];
    assert_eq!(sr[0], "200,202,203", "{sr:?}");
    assert_eq!(sr[1], "0x5d931534");
    assert_eq!(sr[2], "3711615344");
    assert_eq!(sr[3], "32000");
    assert_eq!(sr[4], "200");
    // Report block sources, then the SDES chunk's and the BYE's sources.
    assert_eq!(
        sr[5],
        "0x0a0b0c0d,0x00000007,0x5d931534,0x5d931534,0x00000009"
    );
    assert_eq!(sr[6], "25,0");
    assert_eq!(sr[7], "-3,1000");
    // tshark splits the extended highest sequence into cycles (0x0001) and seq (0x2345).
    assert_eq!(sr[8], "9029,0");
    assert_eq!(sr[16], "1,0");
    assert_eq!(sr[9], "77,0");
    assert_eq!(sr[10], "305419896,0");
    assert_eq!(sr[11], "65536,0");
    assert!(sr[12].starts_with("node@example.invalid"), "{sr:?}");
    assert!(sr[12].contains("bye now"), "{sr:?}");
    assert_eq!(sr[13], "1", "{sr:?}");
    assert_eq!(sr[14], "", "malformed: {sr:?}");
    assert_eq!(sr[15], "", "expert info: {sr:?}");

    let rr = &rows[1];
    assert_eq!(rr[0], "201,202", "{rr:?}");
    assert_eq!(rr[1], "0x00000042");
    assert_eq!(rr[7], "1000");
    assert_eq!(rr[12], "abc");
    assert_eq!(rr[13], "1");
    assert_eq!(rr[14], "");
    assert_eq!(rr[15], "");
}
