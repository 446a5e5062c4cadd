//! The header pass for SRTCP packets: RFC 3711 sec. 3.4 layout (header, encrypted part,
//! E flag and 31-bit SRTCP index, MKI, tag) and RFC 7714 sec. 9 for GCM (tag before the
//! E/index word, which is additional data); plus the commit for received packets.

use super::direction::Direction;
use super::error::SrtpError;
use super::header::{be32, parse_rtcp, RTCP_CLEAR_LEN};
use super::plan::{check_capacity, checked_len, PacketPlan};
use super::stream::StreamContext;
use super::suite::{CipherKind, SRTCP_TRAILER_LEN};

const E_FLAG: u32 = 1 << 31;

/// Plans protecting the RTCP compound packet in `storage[..len]`: takes the stream's next
/// SRTCP index and writes the E/index word and MKI.
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
    let ssrc = parse_rtcp(&storage[..len])?;
    let suite = dir.suite();
    let tag_len = suite.rtcp_tag_len();
    let mki_len = dir.mki_len();
    let needed = len + suite.rtcp_overhead(mki_len);
    check_capacity(needed, storage.len())?;
    dir.usage.check(true)?;

    let (slot, stream) = dir.sender_stream(ssrc)?;
    let index = stream.take_srtcp_index()?;
    dir.usage.charge(true);

    let encrypt = suite.encrypts();
    let word = if encrypt { E_FLAG | index } else { index }.to_be_bytes();
    let gcm = suite.cipher() == CipherKind::AesGcm;
    let (word_at, tag_at) = if gcm {
        (len + tag_len, len)
    } else {
        (len, len + SRTCP_TRAILER_LEN + mki_len)
    };
    let mki_at = word_at + SRTCP_TRAILER_LEN;
    storage[word_at..mki_at].copy_from_slice(&word);
    if let Some(mki) = dir.master.mki() {
        storage[mki_at..mki_at + mki_len].copy_from_slice(mki.as_bytes());
    }
    let (auth_len, suffix_len) = if gcm {
        (RTCP_CLEAR_LEN, SRTCP_TRAILER_LEN)
    } else {
        (len + SRTCP_TRAILER_LEN, 0)
    };
    Ok(PacketPlan {
        result: Ok(()),
        slot: Some(slot),
        ssrc,
        index: u64::from(index),
        enc_start: RTCP_CLEAR_LEN,
        enc_len: if encrypt { len - RTCP_CLEAR_LEN } else { 0 },
        auth_len,
        suffix: word,
        suffix_len,
        tag_at,
        new_len: needed,
        scratch_offset: 0,
        extension: None,
    })
}

/// Plans unprotecting the SRTCP packet in `storage[..len]`; changes no state.
pub(crate) fn plan_unprotect(dir: &Direction, storage: &[u8], len: usize) -> PacketPlan {
    match try_plan_unprotect(dir, storage, len) {
        Ok(plan) => plan,
        Err(e) => PacketPlan::failed(e),
    }
}

fn try_plan_unprotect(
    dir: &Direction,
    storage: &[u8],
    len: usize,
) -> Result<PacketPlan, SrtpError> {
    let len = checked_len(len, storage.len())?;
    let suite = dir.suite();
    let tag_len = suite.rtcp_tag_len();
    let mki_len = dir.mki_len();
    let trailer = suite.rtcp_overhead(mki_len);
    let body_end = len
        .checked_sub(trailer)
        .filter(|&end| end >= RTCP_CLEAR_LEN)
        .ok_or(SrtpError::PacketTooShort)?;
    let ssrc = parse_rtcp(&storage[..body_end])?;
    let gcm = suite.cipher() == CipherKind::AesGcm;
    // HMAC: body | word | MKI | tag.  GCM: body | tag | word | MKI.
    let (word_at, tag_at) = if gcm {
        (body_end + tag_len, body_end)
    } else {
        (body_end, body_end + SRTCP_TRAILER_LEN + mki_len)
    };
    let mki_at = word_at + SRTCP_TRAILER_LEN;
    if let Some(mki) = dir.master.mki() {
        if storage.get(mki_at..mki_at + mki_len) != Some(mki.as_bytes()) {
            return Err(SrtpError::MkiMismatch);
        }
    }
    let word = be32(storage, word_at).ok_or(SrtpError::PacketTooShort)?;
    let encrypted = word & E_FLAG != 0 && suite.encrypts();
    let index = u64::from(word & !E_FLAG);
    dir.usage.check(true)?;
    let slot = dir.streams.slot(ssrc);
    if let Some(stream) = slot.and_then(|s| dir.streams.get(s)) {
        stream.rtcp_seen.check(index)?;
    }
    let enc_len = if encrypted {
        body_end - RTCP_CLEAR_LEN
    } else {
        0
    };
    let (auth_len, suffix_len) = match (gcm, encrypted) {
        (true, true) => (RTCP_CLEAR_LEN, SRTCP_TRAILER_LEN),
        (true, false) => (body_end, SRTCP_TRAILER_LEN),
        (false, _) => (body_end + SRTCP_TRAILER_LEN, 0),
    };
    Ok(PacketPlan {
        result: Ok(()),
        slot,
        ssrc,
        index,
        enc_start: RTCP_CLEAR_LEN,
        enc_len,
        auth_len,
        suffix: word.to_be_bytes(),
        suffix_len,
        tag_at,
        new_len: body_end,
        scratch_offset: 0,
        extension: None,
    })
}

/// After authentication: records the SRTCP index (refusing a duplicate from the same
/// batch) and creates the stream of a new SSRC.
pub(crate) fn commit_unprotect(dir: &mut Direction, plan: &PacketPlan) -> Result<usize, SrtpError> {
    let window = dir.window;
    let slot = match plan.slot.or_else(|| dir.streams.slot(plan.ssrc)) {
        Some(slot) => slot,
        None => dir
            .streams
            .insert(plan.ssrc, StreamContext::new(window, 0))?,
    };
    let stream = dir.streams.get_mut(slot).ok_or(SrtpError::TooManyStreams)?;
    stream.rtcp_seen.check(plan.index)?;
    stream.rtcp_seen.record(plan.index);
    dir.usage.charge(true);
    Ok(plan.new_len)
}
