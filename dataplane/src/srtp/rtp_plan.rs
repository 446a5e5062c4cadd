//! The header pass for SRTP packets (RFC 3711 sec. 3.1 layout, RFC 7714 sec. 8 for GCM):
//! find the stream, settle the packet index, lay out MKI and tag; and, for received packets
//! that authenticated, the commit that moves the stream's state forward.

use super::direction::Direction;
use super::error::SrtpError;
use super::header::parse_rtp;
use super::plan::{check_capacity, checked_len, PacketPlan};
use super::rtp_index::RtpIndexTracker;
use super::stream::StreamContext;
use super::suite::CipherKind;

/// Plans protecting the RTP packet in `storage[..len]`; records its index as used.
pub(crate) fn plan_protect(dir: &mut Direction, storage: &mut [u8], len: usize) -> PacketPlan {
    match try_plan_protect(dir, storage, len) {
        Ok(plan) => plan,
        Err(e) => PacketPlan::failed(e),
    }
}

fn try_plan_protect(
    dir: &mut Direction,
    storage: &mut [u8],
    len: usize,
) -> Result<PacketPlan, SrtpError> {
    let len = checked_len(len, storage.len())?;
    let header = parse_rtp(&storage[..len])?;
    let suite = dir.suite();
    let tag_len = suite.rtp_tag_len();
    let mki_len = dir.mki_len();
    let needed = len + tag_len + mki_len;
    check_capacity(needed, storage.len())?;
    dir.usage.check(false)?;

    let (slot, stream) = dir.sender_stream(header.ssrc)?;
    let index = stream.rtp.estimate(header.sequence)?;
    stream.rtp_seen.check(index)?;
    stream.rtp_seen.record(index);
    stream.rtp.advance_to(index);
    dir.usage.charge(false);

    let (tag_at, mki_at, auth_len, suffix_len) = match suite.cipher() {
        CipherKind::AesGcm => (len, len + tag_len, header.header_len, 0),
        _ => (len + mki_len, len, len, 4),
    };
    if let Some(mki) = dir.master.mki() {
        storage[mki_at..mki_at + mki_len].copy_from_slice(mki.as_bytes());
    }
    Ok(PacketPlan {
        result: Ok(()),
        slot: Some(slot),
        ssrc: header.ssrc,
        index,
        enc_start: header.header_len,
        enc_len: len - header.header_len,
        auth_len,
        suffix: ((index >> 16) as u32).to_be_bytes(),
        suffix_len,
        tag_at,
        new_len: needed,
        scratch_offset: 0,
        extension: header.extension,
    })
}

/// Trackers advanced by the packets planned earlier in the same chunk (not yet
/// authenticated), per SSRC.
pub(crate) type ChunkTrackers = Vec<(u32, RtpIndexTracker)>;

/// Plans unprotecting the SRTP packet in `storage[..len]`; changes no stream state.
///
/// Returns `None` when the packet must wait for the next chunk: its index guessed from the
/// stream's committed state differs from the guess after the chunk's earlier packets (a
/// sequence-number wrap inside the chunk, or a forged packet). Planning it after those
/// packets commit gives exactly the sequential result, and a forgery cannot push a genuine
/// packet onto a wrong rollover counter.
pub(crate) fn plan_unprotect(
    dir: &Direction,
    chunk: &mut ChunkTrackers,
    storage: &[u8],
    len: usize,
) -> Option<PacketPlan> {
    match try_plan_unprotect(dir, chunk, storage, len) {
        Ok(plan) => plan,
        Err(e) => Some(PacketPlan::failed(e)),
    }
}

fn try_plan_unprotect(
    dir: &Direction,
    chunk: &mut ChunkTrackers,
    storage: &[u8],
    len: usize,
) -> Result<Option<PacketPlan>, SrtpError> {
    let len = checked_len(len, storage.len())?;
    let suite = dir.suite();
    let tag_len = suite.rtp_tag_len();
    let mki_len = dir.mki_len();
    let body_len = len
        .checked_sub(tag_len + mki_len)
        .ok_or(SrtpError::PacketTooShort)?;
    let header = parse_rtp(&storage[..body_len])?;
    let (tag_at, mki_at, auth_len, suffix_len) = match suite.cipher() {
        CipherKind::AesGcm => (body_len, body_len + tag_len, header.header_len, 0),
        _ => (body_len + mki_len, body_len, body_len, 4),
    };
    if let Some(mki) = dir.master.mki() {
        if storage.get(mki_at..mki_at + mki_len) != Some(mki.as_bytes()) {
            return Err(SrtpError::MkiMismatch);
        }
    }
    dir.usage.check(false)?;
    let slot = dir.streams.slot(header.ssrc);
    let stream = slot.and_then(|s| dir.streams.get(s));
    let tracker = stream.map_or(RtpIndexTracker::starting_at(0), |s| s.rtp);
    let index = tracker.estimate(header.sequence)?;
    let in_chunk = chunk.iter_mut().find(|(ssrc, _)| *ssrc == header.ssrc);
    if let Some((_, provisional)) = &in_chunk {
        if provisional.estimate(header.sequence) != Ok(index) {
            return Ok(None);
        }
    }
    if let Some(stream) = stream {
        stream.rtp_seen.check(index)?;
    }
    match in_chunk {
        Some((_, provisional)) => provisional.advance_to(index),
        None => {
            let mut provisional = tracker;
            provisional.advance_to(index);
            chunk.push((header.ssrc, provisional));
        }
    }
    Ok(Some(PacketPlan {
        result: Ok(()),
        slot,
        ssrc: header.ssrc,
        index,
        enc_start: header.header_len,
        enc_len: body_len - header.header_len,
        auth_len,
        suffix: ((index >> 16) as u32).to_be_bytes(),
        suffix_len,
        tag_at,
        new_len: body_len,
        scratch_offset: 0,
        extension: header.extension,
    }))
}

/// After authentication: records the index (refusing a duplicate from the same batch),
/// advances ROC and highest sequence number, and creates the stream of a new SSRC.
pub(crate) fn commit_unprotect(dir: &mut Direction, plan: &PacketPlan) -> Result<usize, SrtpError> {
    let window = dir.window;
    let slot = match plan.slot.or_else(|| dir.streams.slot(plan.ssrc)) {
        Some(slot) => slot,
        None => dir
            .streams
            .insert(plan.ssrc, StreamContext::new(window, 0))?,
    };
    let stream = dir.streams.get_mut(slot).ok_or(SrtpError::TooManyStreams)?;
    stream.rtp_seen.check(plan.index)?;
    stream.rtp_seen.record(plan.index);
    stream.rtp.advance_to(plan.index);
    dir.usage.charge(false);
    Ok(plan.new_len)
}
