//! Hand-written declarations for the part of `<srtp2/srtp.h>` (libsrtp 2.5) this crate calls.
//!
//! The structs mirror the installed header field by field; `layout_matches_installed_header`
//! below compares every size and offset with what the C compiler reports for that header.

use std::ffi::{c_int, c_uint, c_ulong, c_void};

/// `srtp_err_status_t`; 0 is `srtp_err_status_ok`.
pub(crate) type SrtpErrStatus = c_int;

/// `srtp_err_status_ok`.
pub(crate) const SRTP_ERR_STATUS_OK: SrtpErrStatus = 0;
/// `srtp_err_status_fail`.
pub(crate) const SRTP_ERR_STATUS_FAIL: SrtpErrStatus = 1;
/// `srtp_err_status_alloc_fail`.
pub(crate) const SRTP_ERR_STATUS_ALLOC_FAIL: SrtpErrStatus = 3;

/// `srtp_ssrc_type_t::ssrc_specific`.
pub(crate) const SSRC_SPECIFIC: c_int = 1;
/// `srtp_ssrc_type_t::ssrc_any_inbound`.
pub(crate) const SSRC_ANY_INBOUND: c_int = 2;
/// `srtp_ssrc_type_t::ssrc_any_outbound`.
pub(crate) const SSRC_ANY_OUTBOUND: c_int = 3;

/// `SRTP_MAX_TRAILER_LEN`: the most bytes protect may append (tag plus MKI).
pub(crate) const SRTP_MAX_TRAILER_LEN: usize = 16 + 128;

/// Opaque `srtp_ctx_t`.
#[repr(C)]
pub(crate) struct SrtpCtx {
    _opaque: [u8; 0],
}

/// `srtp_crypto_policy_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SrtpCryptoPolicy {
    pub(crate) cipher_type: u32,
    pub(crate) cipher_key_len: c_int,
    pub(crate) auth_type: u32,
    pub(crate) auth_key_len: c_int,
    pub(crate) auth_tag_len: c_int,
    /// `srtp_sec_serv_t`, a C enum (int-sized with the System V ABI).
    pub(crate) sec_serv: c_int,
}

/// `srtp_ssrc_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SrtpSsrc {
    /// `srtp_ssrc_type_t`, a C enum.
    pub(crate) kind: c_int,
    pub(crate) value: c_uint,
}

/// `srtp_master_key_t` (only pointed to; this crate never uses MKI).
#[repr(C)]
pub(crate) struct SrtpMasterKey {
    _key: *mut u8,
    _mki_id: *mut u8,
    _mki_size: c_uint,
}

/// `srtp_policy_t`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct SrtpPolicy {
    pub(crate) ssrc: SrtpSsrc,
    pub(crate) rtp: SrtpCryptoPolicy,
    pub(crate) rtcp: SrtpCryptoPolicy,
    pub(crate) key: *mut u8,
    pub(crate) keys: *mut *mut SrtpMasterKey,
    pub(crate) num_master_keys: c_ulong,
    pub(crate) deprecated_ekt: *mut c_void,
    pub(crate) window_size: c_ulong,
    pub(crate) allow_repeat_tx: c_int,
    pub(crate) enc_xtn_hdr: *mut c_int,
    pub(crate) enc_xtn_hdr_count: c_int,
    pub(crate) next: *mut SrtpPolicy,
}

impl Default for SrtpPolicy {
    fn default() -> Self {
        Self {
            ssrc: SrtpSsrc::default(),
            rtp: SrtpCryptoPolicy::default(),
            rtcp: SrtpCryptoPolicy::default(),
            key: std::ptr::null_mut(),
            keys: std::ptr::null_mut(),
            num_master_keys: 0,
            deprecated_ekt: std::ptr::null_mut(),
            window_size: 0,
            allow_repeat_tx: 0,
            enc_xtn_hdr: std::ptr::null_mut(),
            enc_xtn_hdr_count: 0,
            next: std::ptr::null_mut(),
        }
    }
}

/// Signature shared by every `srtp_crypto_policy_set_*` function.
pub(crate) type CryptoPolicySetter = unsafe extern "C" fn(*mut SrtpCryptoPolicy);

unsafe extern "C" {
    pub(crate) fn srtp_init() -> SrtpErrStatus;
    pub(crate) fn srtp_create(
        session: *mut *mut SrtpCtx,
        policy: *const SrtpPolicy,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_dealloc(session: *mut SrtpCtx) -> SrtpErrStatus;
    pub(crate) fn srtp_protect(
        ctx: *mut SrtpCtx,
        rtp_hdr: *mut c_void,
        len: *mut c_int,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_unprotect(
        ctx: *mut SrtpCtx,
        srtp_hdr: *mut c_void,
        len: *mut c_int,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_protect_rtcp(
        ctx: *mut SrtpCtx,
        rtcp_hdr: *mut c_void,
        len: *mut c_int,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_unprotect_rtcp(
        ctx: *mut SrtpCtx,
        srtcp_hdr: *mut c_void,
        len: *mut c_int,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_get_protect_trailer_length(
        session: *mut SrtpCtx,
        use_mki: u32,
        mki_index: u32,
        length: *mut u32,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_get_protect_rtcp_trailer_length(
        session: *mut SrtpCtx,
        use_mki: u32,
        mki_index: u32,
        length: *mut u32,
    ) -> SrtpErrStatus;
    pub(crate) fn srtp_get_version_string() -> *const std::ffi::c_char;

    pub(crate) fn srtp_crypto_policy_set_rtp_default(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_rtcp_default(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_null_cipher_hmac_sha1_80(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_null_cipher_hmac_null(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_gcm_128_16_auth(p: *mut SrtpCryptoPolicy);
    pub(crate) fn srtp_crypto_policy_set_aes_gcm_256_16_auth(p: *mut SrtpCryptoPolicy);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    unsafe extern "C" {
        fn libsrtp2_peer_layout_probe(out: *mut usize, capacity: usize) -> usize;
    }

    #[test]
    fn layout_matches_installed_header() {
        let mut c_layout = [0usize; 32];
        // SAFETY: the probe writes at most `capacity` values into `out`, which is that long.
        let count = unsafe { libsrtp2_peer_layout_probe(c_layout.as_mut_ptr(), c_layout.len()) };
        let rust_layout = [
            size_of::<SrtpPolicy>(),
            offset_of!(SrtpPolicy, ssrc),
            offset_of!(SrtpPolicy, rtp),
            offset_of!(SrtpPolicy, rtcp),
            offset_of!(SrtpPolicy, key),
            offset_of!(SrtpPolicy, keys),
            offset_of!(SrtpPolicy, num_master_keys),
            offset_of!(SrtpPolicy, deprecated_ekt),
            offset_of!(SrtpPolicy, window_size),
            offset_of!(SrtpPolicy, allow_repeat_tx),
            offset_of!(SrtpPolicy, enc_xtn_hdr),
            offset_of!(SrtpPolicy, enc_xtn_hdr_count),
            offset_of!(SrtpPolicy, next),
            size_of::<SrtpCryptoPolicy>(),
            offset_of!(SrtpCryptoPolicy, cipher_key_len),
            offset_of!(SrtpCryptoPolicy, auth_type),
            offset_of!(SrtpCryptoPolicy, auth_key_len),
            offset_of!(SrtpCryptoPolicy, auth_tag_len),
            offset_of!(SrtpCryptoPolicy, sec_serv),
            size_of::<SrtpSsrc>(),
            offset_of!(SrtpSsrc, value),
        ];
        assert_eq!(
            count,
            rust_layout.len(),
            "probe and mirror list different fields"
        );
        assert_eq!(&c_layout[..count], &rust_layout[..]);
    }
}
