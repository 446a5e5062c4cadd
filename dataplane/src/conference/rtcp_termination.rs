//! RTCP terminated at the core for plain and hop-by-hop legs (RFC 3550 sec. 6): what the
//! endpoint reports is folded into the leg's statistics, and the core sends the endpoint
//! its own receiver reports about the endpoint's stream.
//!
//! The core sends receiver reports only, never sender reports: the media a leg receives
//! is other participants' streams under their SSRCs, which the core relays, so it has no
//! stream of its own to describe with sender info. Endpoints' sender reports stop here;
//! their only use on the receiving side would be audio/video sync, which audio-only
//! conferences do not need.

use std::time::Instant;

use crate::receive_stats::ReceptionReport;
use crate::rtcp::{CompoundBuilder, CompoundPackets, ReportBlock, RtcpError, TypedPacket};

/// The endpoint's last sender report, for the LSR and DLSR fields (RFC 3550 sec. 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LastSenderReport {
    /// Middle 32 bits of its NTP timestamp.
    ntp_middle: u32,
    received_at: Instant,
}

/// What a leg knows from its endpoint's RTCP.
#[derive(Debug, Clone, Default)]
pub(crate) struct RtcpTermination {
    last_sr: Option<LastSenderReport>,
    /// The worst fraction lost (1/256ths) the endpoint reported in its latest report.
    pub(crate) remote_fraction_lost: Option<u8>,
    /// The largest jitter (RTP units) the endpoint reported in its latest report.
    pub(crate) remote_jitter: Option<u32>,
    pub(crate) compounds_received: u64,
    pub(crate) reports_sent: u64,
}

/// What a consumed compound asks of the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Consumed {
    /// `Some` when the compound held a BYE: the first source it names.
    pub(crate) bye: Option<Option<u32>>,
}

impl RtcpTermination {
    /// Takes in one compound datagram received at `now`. A compound with any malformed
    /// packet is refused whole, and nothing of it is applied.
    pub(crate) fn consume(&mut self, datagram: &[u8], now: Instant) -> Result<Consumed, RtcpError> {
        if datagram.is_empty() {
            return Err(RtcpError::TooShort);
        }
        for packet in CompoundPackets::new(datagram) {
            packet?;
        }
        let mut consumed = Consumed { bye: None };
        for packet in CompoundPackets::new(datagram).flatten() {
            match packet {
                TypedPacket::SenderReport(sr) => {
                    self.last_sr = Some(LastSenderReport {
                        ntp_middle: (sr.sender_info().ntp_timestamp >> 16) as u32,
                        received_at: now,
                    });
                    self.take_blocks(sr.report_blocks());
                }
                TypedPacket::ReceiverReport(rr) => self.take_blocks(rr.report_blocks()),
                TypedPacket::Bye(bye) => {
                    consumed.bye = Some(bye.ssrcs().next());
                }
                _ => {}
            }
        }
        self.compounds_received += 1;
        Ok(consumed)
    }

    fn take_blocks(&mut self, blocks: impl Iterator<Item = ReportBlock>) {
        let mut worst: Option<(u8, u32)> = None;
        for block in blocks {
            let (lost, jitter) = worst.unwrap_or((0, 0));
            worst = Some((lost.max(block.fraction_lost), jitter.max(block.jitter)));
        }
        if let Some((lost, jitter)) = worst {
            self.remote_fraction_lost = Some(lost);
            self.remote_jitter = Some(jitter);
        }
    }

    /// The report block about the endpoint's stream `ssrc`, from the core's reception
    /// statistics and the endpoint's last SR.
    pub(crate) fn report_block(
        &self,
        ssrc: u32,
        reception: ReceptionReport,
        now: Instant,
    ) -> ReportBlock {
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some(sr) => {
                let delay = now.saturating_duration_since(sr.received_at).as_secs_f64();
                (
                    sr.ntp_middle,
                    (delay * 65536.0).min(f64::from(u32::MAX)) as u32,
                )
            }
            None => (0, 0),
        };
        ReportBlock {
            ssrc,
            fraction_lost: reception.fraction_lost,
            cumulative_lost: reception.cumulative_lost,
            extended_highest_sequence: reception.extended_highest_sequence,
            jitter: reception.jitter,
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// Writes the core's compound for one leg into `buf`: an RR from `local_ssrc` (with the
/// block, if the endpoint has sent media) and an SDES CNAME. Returns its length.
pub(crate) fn write_receiver_report(
    buf: &mut [u8],
    local_ssrc: u32,
    block: Option<ReportBlock>,
    cname: &[u8],
) -> Result<usize, RtcpError> {
    let mut builder = CompoundBuilder::new(buf);
    match block {
        Some(block) => builder.receiver_report(local_ssrc, &[block])?,
        None => builder.receiver_report(local_ssrc, &[])?,
    }
    builder.sdes_cname(local_ssrc, cname)?;
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::rtcp::{validate_compound, SenderInfo};

    fn sender_report(ntp: u64, fraction_lost: u8, jitter: u32) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let mut builder = CompoundBuilder::new(&mut buf);
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost,
            jitter,
            ..ReportBlock::default()
        };
        builder
            .sender_report(
                0x1234,
                &SenderInfo {
                    ntp_timestamp: ntp,
                    ..SenderInfo::default()
                },
                &[block],
            )
            .expect("room");
        builder.sdes_cname(0x1234, b"alice").expect("room");
        let len = builder.finish();
        buf[..len].to_vec()
    }

    #[test]
    fn a_sender_report_sets_lsr_and_dlsr_of_the_next_block() {
        let start = Instant::now();
        let mut term = RtcpTermination::default();
        let sr = sender_report(0x0011_2233_4455_6677, 12, 80);
        assert_eq!(term.consume(&sr, start), Ok(Consumed { bye: None }));
        assert_eq!(term.remote_fraction_lost, Some(12));
        assert_eq!(term.remote_jitter, Some(80));
        let reception = ReceptionReport {
            fraction_lost: 1,
            cumulative_lost: 2,
            extended_highest_sequence: 3,
            jitter: 4,
        };
        let block = term.report_block(77, reception, start + Duration::from_millis(500));
        assert_eq!(block.last_sr, 0x2233_4455);
        assert_eq!(block.delay_since_last_sr, 32768);
        assert_eq!((block.ssrc, block.fraction_lost, block.jitter), (77, 1, 4));
    }

    #[test]
    fn a_bye_is_reported_and_a_malformed_compound_applies_nothing() {
        let now = Instant::now();
        let mut term = RtcpTermination::default();
        let mut buf = [0u8; 64];
        let mut builder = CompoundBuilder::new(&mut buf);
        builder.receiver_report(5, &[]).expect("room");
        builder.bye(&[5], Some(b"bye")).expect("room");
        let len = builder.finish();
        assert_eq!(
            term.consume(&buf[..len], now),
            Ok(Consumed { bye: Some(Some(5)) })
        );
        let mut sr = sender_report(1 << 40, 50, 1);
        sr.push(0x80); // a trailing byte too short for another header
        assert!(term.consume(&sr, now).is_err());
        assert_eq!(term.remote_fraction_lost, None);
        assert_eq!(term.compounds_received, 1);
    }

    #[test]
    fn the_written_report_is_a_valid_compound() {
        let mut buf = [0u8; 128];
        let len = write_receiver_report(&mut buf, 42, Some(ReportBlock::default()), b"node")
            .expect("room");
        assert_eq!(validate_compound(&buf[..len]), Ok(()));
        let len = write_receiver_report(&mut buf, 42, None, b"node").expect("room");
        assert_eq!(validate_compound(&buf[..len]), Ok(()));
        assert!(write_receiver_report(&mut buf[..10], 42, None, b"node").is_err());
    }
}
