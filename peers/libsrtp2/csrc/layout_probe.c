/* Reports the installed libsrtp2 header's struct layout so a unit test can prove that the
 * Rust mirror in src/ffi.rs matches it field by field. */
#include <stddef.h>
#include <srtp2/srtp.h>

#define PROBE_COUNT 21

size_t libsrtp2_peer_layout_probe(size_t *out, size_t capacity)
{
    const size_t values[PROBE_COUNT] = {
        sizeof(srtp_policy_t),
        offsetof(srtp_policy_t, ssrc),
        offsetof(srtp_policy_t, rtp),
        offsetof(srtp_policy_t, rtcp),
        offsetof(srtp_policy_t, key),
        offsetof(srtp_policy_t, keys),
        offsetof(srtp_policy_t, num_master_keys),
        offsetof(srtp_policy_t, deprecated_ekt),
        offsetof(srtp_policy_t, window_size),
        offsetof(srtp_policy_t, allow_repeat_tx),
        offsetof(srtp_policy_t, enc_xtn_hdr),
        offsetof(srtp_policy_t, enc_xtn_hdr_count),
        offsetof(srtp_policy_t, next),
        sizeof(srtp_crypto_policy_t),
        offsetof(srtp_crypto_policy_t, cipher_key_len),
        offsetof(srtp_crypto_policy_t, auth_type),
        offsetof(srtp_crypto_policy_t, auth_key_len),
        offsetof(srtp_crypto_policy_t, auth_tag_len),
        offsetof(srtp_crypto_policy_t, sec_serv),
        sizeof(srtp_ssrc_t),
        offsetof(srtp_ssrc_t, value),
    };
    size_t n = capacity < PROBE_COUNT ? capacity : PROBE_COUNT;
    for (size_t i = 0; i < n; i++) {
        out[i] = values[i];
    }
    return PROBE_COUNT;
}
