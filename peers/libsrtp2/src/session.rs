//! A safe owner of one libsrtp2 session (`srtp_t`): creation from a suite and master key,
//! protect and unprotect of RTP and RTCP in caller buffers, and deallocation on drop.

use std::ffi::{c_int, c_ulong, c_void};
use std::ptr::NonNull;
use std::sync::OnceLock;

use crate::error::Libsrtp2Error;
use crate::ffi::{self, SrtpCtx, SrtpPolicy};
use crate::suite::Suite;

/// Which way the session's packets travel, as libsrtp's SSRC wildcard needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The session unprotects packets it receives.
    Inbound,
    /// The session protects packets it sends.
    Outbound,
}

/// Which SSRCs the session's key applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsrcMatch {
    /// Any SSRC: libsrtp creates a stream per SSRC on first sight.
    Any,
    /// Only this SSRC; packets from others fail with status 13 (no_ctx).
    Specific(u32),
}

/// Everything needed to create a [`Libsrtp2Session`].
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig<'a> {
    /// Protection profile.
    pub suite: Suite,
    /// Master key followed by master salt, [`Suite::master_key_and_salt_len`] bytes.
    pub master_key_and_salt: &'a [u8],
    /// Direction, used when `ssrc` is [`SsrcMatch::Any`].
    pub direction: Direction,
    /// SSRCs the key applies to.
    pub ssrc: SsrcMatch,
    /// Replay window in packets, 64 to 32767 (libsrtp's default is 128).
    pub replay_window: u32,
    /// Let protect accept a sequence number it has already protected (retransmission).
    pub allow_repeat_tx: bool,
}

impl<'a> SessionConfig<'a> {
    /// A configuration for any SSRC with a 128-packet replay window and no repeated sends.
    pub fn new(suite: Suite, master_key_and_salt: &'a [u8], direction: Direction) -> Self {
        Self {
            suite,
            master_key_and_salt,
            direction,
            ssrc: SsrcMatch::Any,
            replay_window: 128,
            allow_repeat_tx: false,
        }
    }
}

/// One libsrtp2 session. Not shared between threads; may move between them.
#[derive(Debug)]
pub struct Libsrtp2Session {
    ctx: NonNull<SrtpCtx>,
    suite: Suite,
}

// SAFETY: a libsrtp session has no thread affinity; it is only touched through `&mut self`
// (or in `drop`), so it is never used from two threads at once.
unsafe impl Send for Libsrtp2Session {}

/// The library version string, for example "libsrtp2 2.5.0".
pub fn libsrtp2_version() -> String {
    // SAFETY: srtp_get_version_string returns a pointer to a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(ffi::srtp_get_version_string()) };
    version.to_string_lossy().into_owned()
}

fn ensure_initialised() -> Result<(), Libsrtp2Error> {
    static STATUS: OnceLock<ffi::SrtpErrStatus> = OnceLock::new();
    // SAFETY: srtp_init takes no arguments; OnceLock runs it once per process.
    let status = *STATUS.get_or_init(|| unsafe { ffi::srtp_init() });
    check(status)
}

fn check(status: ffi::SrtpErrStatus) -> Result<(), Libsrtp2Error> {
    if status == ffi::SRTP_ERR_STATUS_OK {
        Ok(())
    } else {
        Err(Libsrtp2Error::Status(status))
    }
}

/// Which libsrtp entry point a buffer is handed to.
#[derive(Clone, Copy)]
enum Operation {
    ProtectRtp,
    UnprotectRtp,
    ProtectRtcp,
    UnprotectRtcp,
}

impl Operation {
    fn min_len(self) -> usize {
        match self {
            Operation::ProtectRtp | Operation::UnprotectRtp => 12,
            Operation::ProtectRtcp | Operation::UnprotectRtcp => 8,
        }
    }
}

impl Libsrtp2Session {
    /// Creates a session (initialising libsrtp2 on first use).
    pub fn new(config: &SessionConfig<'_>) -> Result<Self, Libsrtp2Error> {
        let expected = config.suite.master_key_and_salt_len();
        if config.master_key_and_salt.len() != expected {
            return Err(Libsrtp2Error::KeyLength {
                expected,
                actual: config.master_key_and_salt.len(),
            });
        }
        if !(64..0x8000).contains(&config.replay_window) {
            return Err(Libsrtp2Error::ReplayWindow(config.replay_window));
        }
        ensure_initialised()?;

        // libsrtp reads the key through a `*mut` and may read up to its longest key length,
        // so hand it a zero-padded private copy of SRTP_MAX_KEY_LEN bytes.
        let mut key = [0u8; 64];
        key[..expected].copy_from_slice(config.master_key_and_salt);

        let mut policy = SrtpPolicy::default();
        let (set_rtp, set_rtcp) = config.suite.policy_setters();
        // SAFETY: both setters only write the crypto policy struct they are given, which is a
        // valid, exclusively borrowed field of `policy`.
        unsafe {
            set_rtp(&mut policy.rtp);
            set_rtcp(&mut policy.rtcp);
        }
        policy.ssrc.kind = match (config.ssrc, config.direction) {
            (SsrcMatch::Specific(_), _) => ffi::SSRC_SPECIFIC,
            (SsrcMatch::Any, Direction::Inbound) => ffi::SSRC_ANY_INBOUND,
            (SsrcMatch::Any, Direction::Outbound) => ffi::SSRC_ANY_OUTBOUND,
        };
        if let SsrcMatch::Specific(ssrc) = config.ssrc {
            policy.ssrc.value = ssrc;
        }
        policy.key = key.as_mut_ptr();
        policy.window_size = c_ulong::from(config.replay_window);
        policy.allow_repeat_tx = c_int::from(config.allow_repeat_tx);

        let mut ctx: *mut SrtpCtx = std::ptr::null_mut();
        // SAFETY: `policy` is a fully initialised srtp_policy_t (layout checked against the
        // header by a unit test) whose pointers are null except `key`, which points to 64
        // readable bytes alive for this call; libsrtp copies what it needs. `ctx` is a valid
        // out-pointer.
        let status = unsafe { ffi::srtp_create(&mut ctx, &policy) };
        key.fill(0);
        check(status)?;
        let ctx =
            NonNull::new(ctx).ok_or(Libsrtp2Error::Status(ffi::SRTP_ERR_STATUS_ALLOC_FAIL))?;
        Ok(Self {
            ctx,
            suite: config.suite,
        })
    }

    /// The session's suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// libsrtp's own count of bytes protect appends to RTP and to RTCP packets.
    ///
    /// For an [`SsrcMatch::Any`] session libsrtp only knows once a stream exists, so call it
    /// after the first packet.
    pub fn trailer_lengths(&mut self) -> Result<(usize, usize), Libsrtp2Error> {
        let mut rtp = 0u32;
        let mut rtcp = 0u32;
        // SAFETY: `self.ctx` is a live session; the out-pointers are valid u32s.
        unsafe {
            check(ffi::srtp_get_protect_trailer_length(
                self.ctx.as_ptr(),
                0,
                0,
                &mut rtp,
            ))?;
            check(ffi::srtp_get_protect_rtcp_trailer_length(
                self.ctx.as_ptr(),
                0,
                0,
                &mut rtcp,
            ))?;
        }
        Ok((rtp as usize, rtcp as usize))
    }

    /// Protects the RTP packet in `packet`, appending the trailer.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Libsrtp2Error> {
        self.run_on_vec(Operation::ProtectRtp, packet)
    }

    /// Unprotects the SRTP packet in `packet`, truncating it to the RTP packet.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Libsrtp2Error> {
        self.run_on_vec(Operation::UnprotectRtp, packet)
    }

    /// Protects the RTCP packet in `packet`, appending index and trailer.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Libsrtp2Error> {
        self.run_on_vec(Operation::ProtectRtcp, packet)
    }

    /// Unprotects the SRTCP packet in `packet`, truncating it to the RTCP packet.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Libsrtp2Error> {
        self.run_on_vec(Operation::UnprotectRtcp, packet)
    }

    /// Protects the RTP packet in `buf[..len]`; returns the SRTP length. `buf` must have room
    /// for [`Suite::rtp_trailer_len`] more bytes.
    pub fn protect_rtp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Libsrtp2Error> {
        self.run(Operation::ProtectRtp, buf, len)
    }

    /// Unprotects the SRTP packet in `buf[..len]`; returns the RTP length.
    pub fn unprotect_rtp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Libsrtp2Error> {
        self.run(Operation::UnprotectRtp, buf, len)
    }

    /// Protects the RTCP packet in `buf[..len]`; returns the SRTCP length. `buf` must have room
    /// for [`Suite::rtcp_trailer_len`] more bytes.
    pub fn protect_rtcp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Libsrtp2Error> {
        self.run(Operation::ProtectRtcp, buf, len)
    }

    /// Unprotects the SRTCP packet in `buf[..len]`; returns the RTCP length.
    pub fn unprotect_rtcp_in(
        &mut self,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, Libsrtp2Error> {
        self.run(Operation::UnprotectRtcp, buf, len)
    }

    fn run_on_vec(&mut self, op: Operation, packet: &mut Vec<u8>) -> Result<(), Libsrtp2Error> {
        let len = packet.len();
        packet.resize(len + ffi::SRTP_MAX_TRAILER_LEN, 0);
        let result = self.run(op, packet, len);
        packet.truncate(*result.as_ref().unwrap_or(&len));
        result.map(|_| ())
    }

    fn run(&mut self, op: Operation, buf: &mut [u8], len: usize) -> Result<usize, Libsrtp2Error> {
        if len < op.min_len() {
            return Err(Libsrtp2Error::PacketTooShort(len));
        }
        let needed = match op {
            Operation::ProtectRtp => len + self.suite.rtp_trailer_len(),
            Operation::ProtectRtcp => len + self.suite.rtcp_trailer_len(),
            Operation::UnprotectRtp | Operation::UnprotectRtcp => len,
        };
        if needed > buf.len() {
            return Err(Libsrtp2Error::NoHeadroom {
                needed,
                available: buf.len(),
            });
        }
        c_int::try_from(needed).map_err(|_| Libsrtp2Error::PacketTooLong(len))?;
        let mut c_len = c_int::try_from(len).map_err(|_| Libsrtp2Error::PacketTooLong(len))?;
        let ctx = self.ctx.as_ptr();
        let data = buf.as_mut_ptr().cast::<c_void>();
        // SAFETY: `ctx` is a live session owned by `self`. `data` points to `buf`, which holds
        // the `c_len`-byte packet plus the trailer protect appends (checked above against the
        // suite's trailer length, the most libsrtp writes without MKI); unprotect only shrinks.
        let status = unsafe {
            match op {
                Operation::ProtectRtp => ffi::srtp_protect(ctx, data, &mut c_len),
                Operation::UnprotectRtp => ffi::srtp_unprotect(ctx, data, &mut c_len),
                Operation::ProtectRtcp => ffi::srtp_protect_rtcp(ctx, data, &mut c_len),
                Operation::UnprotectRtcp => ffi::srtp_unprotect_rtcp(ctx, data, &mut c_len),
            }
        };
        check(status)?;
        usize::try_from(c_len).map_err(|_| Libsrtp2Error::Status(ffi::SRTP_ERR_STATUS_FAIL))
    }
}

impl Drop for Libsrtp2Session {
    fn drop(&mut self) {
        // SAFETY: `self.ctx` came from srtp_create and is deallocated exactly once, here.
        unsafe {
            ffi::srtp_dealloc(self.ctx.as_ptr());
        }
    }
}
