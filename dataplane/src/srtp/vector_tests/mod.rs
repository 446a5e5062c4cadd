//! Known-answer tests against every third-party vector in `srtp/vectors/` (see its
//! SOURCES.md): the expected values are read from those files, never computed here.

mod acvp_kdf;
mod libsrtp;
mod rfc3711;
mod rfc7714;

use super::{PacketBuf, SrtpSession};

/// Bytes from hex text, ignoring whitespace.
pub(super) fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    hex::decode(&digits).unwrap_or_else(|e| panic!("bad hex in {text:?}: {e}"))
}

fn is_hex_line(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty()
        && line
            .split_whitespace()
            .all(|w| w.len() % 2 == 0 && w.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The hex lines right after the first line containing `marker`, starting at `from`.
pub(super) fn hex_after(text: &str, marker: &str) -> Vec<u8> {
    let mut lines = text.lines().skip_while(|l| !l.contains(marker));
    assert!(lines.next().is_some(), "marker {marker:?} not found");
    let body: String = lines
        .take_while(|l| is_hex_line(l))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!body.is_empty(), "no hex after {marker:?}");
    hex(&body)
}

/// The value after `name ... :` on the first line starting with `name` (first token).
pub(super) fn hex_field(text: &str, name: &str) -> Vec<u8> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("field {name:?} not found"));
    let value = line.split_once(':').unwrap().1;
    hex(value.split_whitespace().next().unwrap())
}

pub(super) enum Packet {
    Rtp,
    Rtcp,
}

/// Protects `plain` as one packet; returns the protected bytes.
pub(super) fn protect(session: &mut SrtpSession, kind: Packet, plain: &[u8]) -> Vec<u8> {
    let mut storage = plain.to_vec();
    storage.resize(plain.len() + super::MAX_OVERHEAD, 0);
    let mut packet = PacketBuf::new(&mut storage, plain.len());
    let len = match kind {
        Packet::Rtp => session.protect(&mut packet),
        Packet::Rtcp => session.protect_rtcp(&mut packet),
    }
    .expect("protect");
    storage.truncate(len);
    storage
}

/// Unprotects `protected` as one packet; returns the plaintext bytes.
pub(super) fn unprotect(session: &mut SrtpSession, kind: Packet, protected: &[u8]) -> Vec<u8> {
    let mut storage = protected.to_vec();
    let mut packet = PacketBuf::new(&mut storage, protected.len());
    let len = match kind {
        Packet::Rtp => session.unprotect(&mut packet),
        Packet::Rtcp => session.unprotect_rtcp(&mut packet),
    }
    .expect("unprotect");
    storage.truncate(len);
    storage
}
