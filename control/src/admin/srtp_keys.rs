//! SRTP keys of a hop-by-hop leg as the admin API exchanges them: SDES `inline:` strings
//! (RFC 4568, base64 of key||salt), the endpoint's key given, the node's own generated
//! from the operating system's CSPRNG when the caller does not choose it.
//!
//! Keys only ever leave this module inside the answer to the request that set them up;
//! errors describe what is wrong without echoing key material, and every type holding a
//! key redacts it in `Debug`.

use medianode_dataplane::conference::MediaMode;
use medianode_dataplane::srtp::{MasterKey, SdesCrypto, SdesKey, SrtpPolicy, SrtpSuite};
use zeroize::Zeroizing;

use super::error::ApiError;
use super::fields::Fields;

/// A hop-by-hop leg's keys, parsed.
#[derive(Debug)]
pub struct HopByHopKeys {
    /// The suite both directions use.
    pub suite: SrtpSuite,
    /// What the endpoint sends with; the node unprotects with it.
    pub rx: SrtpPolicy,
    /// What the node sends with; the answer returns it to the caller.
    pub tx: SdesKey,
    /// The node's sending policy built from `tx`.
    pub tx_policy: SrtpPolicy,
}

impl HopByHopKeys {
    /// Reads the `srtp` object: `suite` and `rx_key` required, `tx_key` generated if
    /// absent.
    pub fn from_fields(mut srtp: Fields<'_>) -> Result<HopByHopKeys, ApiError> {
        let suite_name = srtp.required_string("suite")?;
        let suite = SrtpSuite::from_sdes_name(suite_name).ok_or_else(|| {
            srtp.error(
                "suite",
                format!(
                    "unknown SRTP suite {suite_name:?} (e.g. AES_CM_128_HMAC_SHA1_80, \
                     AEAD_AES_128_GCM)"
                ),
            )
        })?;
        let rx_text = srtp.required_string("rx_key")?;
        let (_, rx) = parse_key(suite, rx_text).map_err(|problem| srtp.error("rx_key", problem))?;
        let (tx, tx_policy) = match srtp.string("tx_key")? {
            Some(text) => {
                parse_key(suite, text).map_err(|problem| srtp.error("tx_key", problem))?
            }
            None => {
                let key = generate_key(suite)
                    .map_err(|e| ApiError::internal(format!("cannot generate a key: {e}")))?;
                let policy = SrtpPolicy::new(key.master_key.clone());
                (key, policy)
            }
        };
        srtp.finish()?;
        Ok(HopByHopKeys {
            suite,
            rx,
            tx,
            tx_policy,
        })
    }

    /// The keys of a leg negotiated in SDP (RFC 4568): the endpoint sends under the
    /// offered attribute `rx`, the node under `tx` (of the same suite).
    pub fn from_sdes(rx: &SdesCrypto, tx: SdesKey) -> Result<HopByHopKeys, String> {
        if tx.master_key.suite() != rx.suite {
            return Err("the node's key is for another suite".to_owned());
        }
        let rx_policy = rx.policy().map_err(|e| e.to_string())?;
        let tx_policy = SrtpPolicy::new(tx.master_key.clone());
        Ok(HopByHopKeys {
            suite: rx.suite,
            rx: rx_policy,
            tx,
            tx_policy,
        })
    }

    /// The leg's media mode.
    pub fn media_mode(&self) -> MediaMode {
        MediaMode::SrtpHopByHop {
            rx: self.rx.clone(),
            tx: self.tx_policy.clone(),
        }
    }
}

/// Parses one SDES key for `suite` (with or without `inline:`) into its key and policy.
fn parse_key(suite: SrtpSuite, text: &str) -> Result<(SdesKey, SrtpPolicy), String> {
    let key = SdesKey::parse(suite, text).map_err(|e| e.to_string())?;
    let policy = SdesCrypto::new(1, key.clone())
        .policy()
        .map_err(|e| e.to_string())?;
    Ok((key, policy))
}

/// A fresh random key and salt for `suite`.
pub fn generate_key(suite: SrtpSuite) -> Result<SdesKey, String> {
    let mut material = Zeroizing::new(vec![0u8; suite.key_salt_len()]);
    getrandom::fill(&mut material).map_err(|e| e.to_string())?;
    let master = MasterKey::from_key_salt(suite, &material).map_err(|e| e.to_string())?;
    Ok(SdesKey::new(master))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_fit_their_suite_differ_and_read_back() {
        for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes256Gcm] {
            let a = generate_key(suite).unwrap();
            let b = generate_key(suite).unwrap();
            let (text_a, text_b) = (a.to_string(), b.to_string());
            assert_ne!(text_a, text_b);
            let back = SdesKey::parse(suite, &text_a).unwrap();
            assert_eq!(back.master_key.key_bytes(), a.master_key.key_bytes());
            assert_eq!(back.master_key.salt_bytes(), a.master_key.salt_bytes());
            assert_eq!(a.master_key.key_bytes().len(), suite.master_key_len());
            assert!(
                !format!("{a:?}").contains(text_a.trim_start_matches("inline:")),
                "Debug redacts the key"
            );
        }
    }
}
