//! SRTP and SRTCP (RFC 3711: AES-CM and AES-f8 with HMAC-SHA1) with the AES-192/256
//! counter-mode suites of RFC 6188, the AES-GCM suites of RFC 7714, header extension
//! encryption (RFC 6904) and SDES key exchange (RFC 4568).
//!
//! The engine is batch-shaped because the data path is: [`SrtpSession::protect_batch`]
//! and friends transform caller-owned buffers ([`PacketBuffer`]) in place, run each crypto
//! kernel of medianode-simd (AES counter mode, multi-buffer HMAC-SHA1, GHASH) once per
//! group of packets, and allocate nothing per packet. A session holds, per direction, one
//! master key and a context per SSRC (rollover counter, replay window, SRTCP index); an
//! optional MKI is written and checked, key-derivation rates other than 0 re-derive
//! session keys per period, and a key refuses packets past its lifetime ([`KeyStatus`])
//! instead of wrapping. [`ConferenceKey`] shares one master key across a conference's
//! senders and refuses to hand out an SSRC twice under it.
//!
//! Headroom: protect appends [`SrtpSuite::rtp_overhead`] bytes to RTP (tag + MKI) and
//! [`SrtpSuite::rtcp_overhead`] to RTCP (tag + MKI + E/index word); [`MAX_OVERHEAD`]
//! is enough for every suite with an MKI of up to 16 bytes.
//!
//! ```
//! use medianode_dataplane::srtp::{MasterKey, PacketBuf, SrtpPolicy, SrtpSession, SrtpSuite};
//!
//! let suite = SrtpSuite::AeadAes128Gcm;
//! let key = MasterKey::from_key_salt(suite, &[7u8; 28]).unwrap();
//! let mut alice = SrtpSession::sender(SrtpPolicy::new(key.clone()));
//! let mut bob = SrtpSession::receiver(SrtpPolicy::new(key));
//!
//! let rtp = [0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0xCA, 0xFE, 0xBA, 0xBE, 1, 2, 3, 4];
//! let mut storage = [0u8; 64];
//! storage[..rtp.len()].copy_from_slice(&rtp);
//! let mut packet = PacketBuf::new(&mut storage, rtp.len());
//! let protected_len = alice.protect(&mut packet).unwrap();
//! assert_eq!(protected_len, rtp.len() + suite.rtp_overhead(0));
//! assert_eq!(bob.unprotect(&mut packet).unwrap(), rtp.len());
//! assert_eq!(&storage[..rtp.len()], &rtp);
//! ```

mod aes_block;
mod aes_ctr;
mod batch;
mod chunk_crypto;
mod conference;
mod constant_time;
mod crypto_path;
mod direction;
mod error;
mod f8;
mod ghash;
mod header;
mod header_encryption;
mod kdf;
mod key_usage;
mod master_key;
mod packet_buffer;
mod plan;
mod policy;
mod replay;
mod rtcp_plan;
mod rtp_index;
mod rtp_plan;
pub mod sdes;
mod session;
mod session_keys;
mod stream;
mod suite;

#[cfg(test)]
mod vector_tests;

pub use conference::{ConferenceKey, SsrcClaim};
pub use error::{SrtpConfigError, SrtpError};
pub use header_encryption::EncryptedExtensions;
pub use kdf::KeyDerivationRate;
pub use key_usage::KeyStatus;
pub use master_key::{MasterKey, Mki, MAX_MKI_LEN};
pub use packet_buffer::{PacketBuf, PacketBuffer, MAX_OVERHEAD};
pub use policy::{
    SrtpPolicy, DEFAULT_MAX_STREAMS, MAX_SRTCP_PACKETS_PER_KEY, MAX_SRTP_PACKETS_PER_KEY,
};
pub use replay::{DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};
pub use sdes::{SdesCrypto, SdesError, SdesKey, SdesSessionParam};
pub use session::{SrtpSession, StreamDirection, StreamState};
pub use suite::{SrtpSuite, ALL_SUITES};
