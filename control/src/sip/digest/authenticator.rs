//! The server side of digest authentication for one realm: the challenges of a 401/407
//! and the verification of the credentials that answer them.

use super::credentials::{compute_response, DigestCredentials, ResponseInput};
use super::{DigestAlgorithm, NonceCounts, NonceIssuer, NonceStatus};
use crate::sip::header::KnownHeader;
use crate::sip::message::MessageWriter;
use crate::sip::uri::Uri;
use crate::sip::{Message, StartLine};

/// Why credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// An algorithm other than MD5, SHA-256 and their `-sess` forms.
    UnsupportedAlgorithm,
    /// A qop other than `auth` (or none: this server always offers `auth`).
    UnsupportedQop,
    /// The `uri` parameter is not the Request-URI.
    UriMismatch,
    /// The nonce is not one of ours.
    BadNonce,
    /// No stored HA1 for this user and algorithm.
    UnknownUser,
    /// The response does not match.
    WrongResponse,
    /// This nonce count was already used.
    Replayed,
}

/// The outcome of checking a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The credentials are good.
    Authenticated {
        /// Who.
        username: String,
        /// With which algorithm.
        algorithm: DigestAlgorithm,
    },
    /// No Digest credentials for this realm (absent, or only unknown schemes as in RFC 4475
    /// regaut01): challenge.
    Missing,
    /// Valid credentials over an expired nonce: challenge with `stale=true`.
    Stale,
    /// Refused: challenge again (a client that keeps failing gets 403 from the registrar).
    Rejected(Rejection),
    /// Digest credentials missing required parameters: answer 400.
    Malformed,
}

impl Verdict {
    /// The challenge to send, if any: `Some(stale)`.
    pub fn challenge(&self) -> Option<bool> {
        match self {
            Verdict::Missing | Verdict::Rejected(_) => Some(false),
            Verdict::Stale => Some(true),
            Verdict::Authenticated { .. } | Verdict::Malformed => None,
        }
    }
}

/// Where the credentials are: Authorization for a UAS or registrar (401), or
/// Proxy-Authorization for a proxy (407).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRole {
    /// 401, WWW-Authenticate, Authorization.
    Server,
    /// 407, Proxy-Authenticate, Proxy-Authorization.
    Proxy,
}

impl AuthRole {
    /// The challenge header.
    pub fn challenge_header(self) -> KnownHeader {
        match self {
            AuthRole::Server => KnownHeader::WwwAuthenticate,
            AuthRole::Proxy => KnownHeader::ProxyAuthenticate,
        }
    }

    /// The status of the challenge response.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            AuthRole::Server => (401, "Unauthorized"),
            AuthRole::Proxy => (407, "Proxy Authentication Required"),
        }
    }
}

/// Digest authentication for one realm.
#[derive(Debug)]
pub struct DigestAuthenticator {
    issuer: NonceIssuer,
    counts: NonceCounts,
    realm: String,
    role: AuthRole,
    offered: Vec<DigestAlgorithm>,
    host_uri_accepted: bool,
}

/// Compares two strings in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl DigestAuthenticator {
    /// An authenticator for the realm of `issuer`.
    pub fn new(issuer: NonceIssuer, realm: &str, role: AuthRole) -> Self {
        DigestAuthenticator {
            issuer,
            counts: NonceCounts::default(),
            realm: realm.to_string(),
            role,
            offered: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
            host_uri_accepted: false,
        }
    }

    /// Also accepts a `uri` parameter that names the Request-URI's host and port without
    /// its user part (`sip:host:port` for `sip:user@host:port`), as some clients send
    /// (SIPp by default). The response still covers the method, the nonce and the count,
    /// so a credential stays bound to this server and cannot be replayed.
    pub fn accepting_host_uri(mut self) -> Self {
        self.host_uri_accepted = true;
        self
    }

    /// Offers these algorithms, preferred first, instead of SHA-256 then MD5 (e.g. MD5
    /// only, for clients that pick the first challenge whatever its algorithm). Credentials
    /// are still verified with whichever supported algorithm they name.
    pub fn with_algorithms(mut self, algorithms: Vec<DigestAlgorithm>) -> Self {
        if !algorithms.is_empty() {
            self.offered = algorithms;
        }
        self
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The challenge values to send, preferred first (RFC 8760 sec. 2.4): by default
    /// SHA-256, then MD5 for clients that know nothing better.
    pub fn challenges(&self, unix_now: u64, salt: [u8; 8], stale: bool) -> Vec<String> {
        let nonce = self.issuer.issue(unix_now, salt);
        let stale = if stale { ", stale=true" } else { "" };
        self.offered
            .iter()
            .map(|algorithm| {
                format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={algorithm}, qop=\"auth\"{stale}",
                    self.realm
                )
            })
            .collect()
    }

    /// Adds the challenge headers to a 401/407 being written.
    pub fn write_challenges(
        &self,
        w: &mut MessageWriter<'_>,
        unix_now: u64,
        salt: [u8; 8],
        stale: bool,
    ) {
        for challenge in self.challenges(unix_now, salt, stale) {
            w.known(self.role.challenge_header(), challenge);
        }
    }

    /// Checks the credentials `request` carries for this realm. `ha1_for(username,
    /// algorithm)` returns the stored HA1 (hex) for the base algorithm.
    pub fn verify<T: AsRef<[u8]>>(
        &mut self,
        request: &Message<T>,
        unix_now: u64,
        ha1_for: impl Fn(&str, DigestAlgorithm) -> Option<String>,
    ) -> Verdict {
        let headers: Vec<_> = match self.role {
            AuthRole::Server => request.authorizations().collect(),
            AuthRole::Proxy => request.proxy_authorizations().collect(),
        };
        let ours = headers.iter().find(|h| {
            h.is_digest()
                && h.param("realm")
                    .is_some_and(|r| r.value_unquoted() == self.realm.as_str())
        });
        let Some(header) = ours else {
            return Verdict::Missing;
        };
        let Some(credentials) = DigestCredentials::from_header(header) else {
            return Verdict::Malformed;
        };
        self.check(request, &credentials, unix_now, ha1_for)
    }

    fn check<T: AsRef<[u8]>>(
        &mut self,
        request: &Message<T>,
        c: &DigestCredentials,
        unix_now: u64,
        ha1_for: impl Fn(&str, DigestAlgorithm) -> Option<String>,
    ) -> Verdict {
        let Some(algorithm) = c.algorithm else {
            return Verdict::Rejected(Rejection::UnsupportedAlgorithm);
        };
        let (Some("auth"), Some(cnonce), Some(nc)) = (c.qop.as_deref(), c.cnonce.as_deref(), c.nc)
        else {
            return Verdict::Rejected(Rejection::UnsupportedQop);
        };
        let request_uri = match request.start_line() {
            StartLine::Request { uri, .. } => uri,
            StartLine::Response { .. } => "",
        };
        let host_form = || {
            Uri::parse(request_uri).ok().and_then(|uri| {
                let sip = uri.as_sip()?;
                Some(match sip.port() {
                    Some(port) => format!("{}:{}:{port}", uri.scheme(), sip.host_str()),
                    None => format!("{}:{}", uri.scheme(), sip.host_str()),
                })
            })
        };
        let uri_matches = c.uri == request_uri
            || (self.host_uri_accepted
                && host_form().is_some_and(|host| host.eq_ignore_ascii_case(&c.uri)));
        if !uri_matches {
            return Verdict::Rejected(Rejection::UriMismatch);
        }
        let status = self.issuer.check(&c.nonce, unix_now);
        let issued = match status {
            NonceStatus::Invalid => return Verdict::Rejected(Rejection::BadNonce),
            NonceStatus::Stale => None,
            NonceStatus::Fresh { issued } => Some(issued),
        };
        let Some(ha1) = ha1_for(&c.username, algorithm.base()) else {
            return Verdict::Rejected(Rejection::UnknownUser);
        };
        let method = request.method();
        let expected = compute_response(&ResponseInput {
            algorithm,
            ha1: &ha1,
            method: method.as_str(),
            uri: &c.uri,
            nonce: &c.nonce,
            cnonce,
            nc,
            qop: Some("auth"),
        });
        if !constant_time_eq(&expected, &c.response) {
            return Verdict::Rejected(Rejection::WrongResponse);
        }
        let Some(issued) = issued else {
            return Verdict::Stale;
        };
        let forget_at = issued + self.issuer.lifetime_secs() + 1;
        if !self.counts.record(&c.nonce, nc, unix_now, forget_at) {
            return Verdict::Rejected(Rejection::Replayed);
        }
        Verdict::Authenticated {
            username: c.username.clone(),
            algorithm,
        }
    }
}
