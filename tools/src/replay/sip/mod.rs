//! Call set-up through the node's SIP instead of its admin API: a small user agent
//! client that INVITEs the conference factory, follows the 302 to the conference URI,
//! offers SDP (RTP/AVP, or RTP/SAVP with an SDES key), ACKs and later BYEs.
//!
//! The message handling is sans-IO and does not use the node's SIP stack (which would pull
//! the node into the tools): [`uac`] builds requests and decides what each response asks
//! for, [`response`] parses responses strictly, [`digest`] answers 401 challenges,
//! [`sdp`] writes offers and reads answers. [`client`] is the UDP shell around them.

pub mod client;
pub mod digest;
pub mod response;
pub mod sdp;
pub mod uac;

pub use client::{SipClient, SipError};
