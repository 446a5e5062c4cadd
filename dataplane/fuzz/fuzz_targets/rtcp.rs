//! Any bytes through the compound walker, the A.2 check and every typed view; reports,
//! SDES and BYE that parse must rebuild into packets that parse the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_dataplane::rtcp::{
    validate_compound, App, Bye, CompoundBuilder, CompoundPackets, Feedback, ReceiverReport,
    ReportBlock, Sdes, SdesItem, SenderReport, TypedPacket,
};

/// Rebuilds a packet into a buffer as large as the original: the builder writes the
/// minimal layout, which is never longer.
fn rebuilt(original_len: usize, build: impl FnOnce(&mut CompoundBuilder<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; original_len];
    let mut builder = CompoundBuilder::new(&mut buf);
    build(&mut builder);
    let len = builder.finish();
    buf.truncate(len);
    buf
}

fn only(bytes: &[u8]) -> TypedPacket<'_> {
    let mut packets = CompoundPackets::new(bytes);
    let packet = packets
        .next()
        .expect("one packet")
        .expect("rebuilt packet parses");
    assert!(packets.next().is_none());
    packet
}

fn check_typed(packet: TypedPacket<'_>) {
    match packet {
        TypedPacket::SenderReport(sr) => {
            let blocks: Vec<ReportBlock> = sr.report_blocks().collect();
            let _ = sr.profile_extension();
            let bytes = rebuilt(sr.packet().packet_len(), |b| {
                b.sender_report(sr.ssrc(), &sr.sender_info(), &blocks)
                    .unwrap()
            });
            let TypedPacket::SenderReport(again) = only(&bytes) else {
                panic!("not SR")
            };
            assert_eq!(again.sender_info(), sr.sender_info());
            assert!(again.report_blocks().eq(blocks));
        }
        TypedPacket::ReceiverReport(rr) => {
            let blocks: Vec<ReportBlock> = rr.report_blocks().collect();
            let _ = rr.profile_extension();
            let bytes = rebuilt(rr.packet().packet_len(), |b| {
                b.receiver_report(rr.ssrc(), &blocks).unwrap()
            });
            let TypedPacket::ReceiverReport(again) = only(&bytes) else {
                panic!("not RR")
            };
            assert_eq!(again.ssrc(), rr.ssrc());
            assert!(again.report_blocks().eq(blocks));
        }
        TypedPacket::Sdes(sdes) => {
            let chunks: Vec<(u32, Vec<SdesItem<'_>>)> =
                sdes.chunks().map(|c| (c.ssrc, c.items.collect())).collect();
            let input: Vec<(u32, &[SdesItem<'_>])> = chunks
                .iter()
                .map(|(ssrc, items)| (*ssrc, &items[..]))
                .collect();
            let bytes = rebuilt(sdes.packet().packet_len(), |b| b.sdes(&input).unwrap());
            let TypedPacket::Sdes(again) = only(&bytes) else {
                panic!("not SDES")
            };
            let back: Vec<(u32, Vec<SdesItem<'_>>)> = again
                .chunks()
                .map(|c| (c.ssrc, c.items.collect()))
                .collect();
            assert_eq!(back, chunks);
            let _ = sdes.cname(0);
        }
        TypedPacket::Bye(bye) => {
            let ssrcs: Vec<u32> = bye.ssrcs().collect();
            let bytes = rebuilt(bye.packet().packet_len(), |b| {
                b.bye(&ssrcs, bye.reason()).unwrap()
            });
            let TypedPacket::Bye(again) = only(&bytes) else {
                panic!("not BYE")
            };
            assert!(again.ssrcs().eq(ssrcs));
            assert_eq!(again.reason(), bye.reason());
        }
        TypedPacket::App(app) => {
            let _ = (app.subtype(), app.ssrc(), app.name(), app.data());
        }
        TypedPacket::Rtpfb(fb) | TypedPacket::Psfb(fb) => {
            let _ = (
                fb.kind(),
                fb.fmt(),
                fb.sender_ssrc(),
                fb.media_ssrc(),
                fb.fci(),
            );
        }
        TypedPacket::Unknown { packet, .. } => {
            let _ = (packet.count(), packet.body(), packet.length_field());
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = validate_compound(data);
    let mut total = 0;
    for packet in CompoundPackets::new(data).flatten() {
        check_typed(packet);
        total += 1;
    }
    assert!(total <= data.len() / 4);
    let _ = SenderReport::new_checked(data);
    let _ = ReceiverReport::new_checked(data);
    let _ = Sdes::new_checked(data);
    let _ = Bye::new_checked(data);
    let _ = App::new_checked(data);
    let _ = Feedback::new_checked(data);
});
