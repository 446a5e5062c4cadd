//! HTTP Digest authentication as SIP uses it (RFC 3261 sec. 22, RFC 7616, RFC 8760):
//! SHA-256 and MD5 challenges with `qop=auth`, stateless nonces that expire into
//! `stale=true`, verification against a stored HA1, and nonce-count replay tracking.
//!
//! The user store keeps one HA1 per base algorithm ([`ha1`]) instead of passwords. The
//! registrar calls [`DigestAuthenticator::verify`] and, when the verdict asks for it,
//! answers 401 with [`DigestAuthenticator::write_challenges`].

mod algorithm;
mod authenticator;
mod credentials;
mod nonce;
mod replay;

#[cfg(test)]
mod tests;

pub use algorithm::DigestAlgorithm;
pub use authenticator::{AuthRole, DigestAuthenticator, Rejection, Verdict};
pub use credentials::{
    authorization_value, compute_response, ha1, DigestCredentials, ResponseInput,
};
pub use nonce::{NonceIssuer, NonceKey, NonceStatus};
pub use replay::NonceCounts;
