//! Binding to the system libsrtp2, the reference SRTP implementation, so that interop tests
//! and benchmarks can run it side by side with medianode's own SRTP. Never linked into the
//! node itself.
//!
//! ```no_run
//! use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
//! let key = [7u8; 30];
//! let mut tx = Libsrtp2Session::new(&SessionConfig::new(
//!     Suite::AesCm128HmacSha1_80,
//!     &key,
//!     Direction::Outbound,
//! ))?;
//! let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xab];
//! tx.protect_rtp(&mut packet)?;
//! # Ok::<(), libsrtp2_peer::Libsrtp2Error>(())
//! ```

mod error;
mod ffi;
mod session;
mod suite;

pub use error::Libsrtp2Error;
pub use session::{libsrtp2_version, Direction, Libsrtp2Session, SessionConfig, SsrcMatch};
pub use suite::Suite;
