//! HTTP digest answers (RFC 7616 with qop=auth, RFC 8760 for SIP) to the node's 401
//! challenges: MD5 or SHA-256, whichever the node offers first.

use md5::Md5;
use sha2::{Digest, Sha256};

/// A hash algorithm the replay can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// `MD5`.
    Md5,
    /// `SHA-256`.
    Sha256,
}

impl DigestAlgorithm {
    fn from_name(name: &str) -> Option<DigestAlgorithm> {
        if name.eq_ignore_ascii_case("MD5") {
            Some(DigestAlgorithm::Md5)
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Some(DigestAlgorithm::Sha256)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    /// `H(text)` in lowercase hex.
    fn hash(self, text: &str) -> String {
        let bytes: Vec<u8> = match self {
            DigestAlgorithm::Md5 => Md5::digest(text.as_bytes()).to_vec(),
            DigestAlgorithm::Sha256 => Sha256::digest(text.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One `WWW-Authenticate: Digest ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The realm.
    pub realm: String,
    /// The server's nonce.
    pub nonce: String,
    /// The algorithm (MD5 when the challenge names none).
    pub algorithm: DigestAlgorithm,
    /// `opaque`, echoed back.
    pub opaque: Option<String>,
    /// Whether the server offers qop=auth (otherwise the RFC 2069 form is answered).
    pub qop_auth: bool,
}

/// The value of `name` in a comma-separated list of `name=value` or `name="value"`.
fn param(list: &str, name: &str) -> Option<String> {
    let mut rest = list;
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        if key.trim().eq_ignore_ascii_case(name) {
            return Some(value.to_owned());
        }
        rest = next;
    }
    None
}

impl Challenge {
    /// Reads a `WWW-Authenticate` value; `None` for another scheme, an algorithm the
    /// replay cannot answer, or a challenge without realm or nonce.
    pub fn parse(value: &str) -> Option<Challenge> {
        let (scheme, list) = value.trim().split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return None;
        }
        let algorithm = match param(list, "algorithm") {
            Some(name) => DigestAlgorithm::from_name(&name)?,
            None => DigestAlgorithm::Md5,
        };
        Some(Challenge {
            realm: param(list, "realm")?,
            nonce: param(list, "nonce")?,
            algorithm,
            opaque: param(list, "opaque"),
            qop_auth: param(list, "qop")
                .is_some_and(|q| q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth"))),
        })
    }

    /// The `Authorization` value answering this challenge for `method` on `uri`, with
    /// client nonce `cnonce` (nonce count 1: each challenge is answered once).
    pub fn answer(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let h = |text: &str| self.algorithm.hash(text);
        let ha1 = h(&format!("{user}:{}:{password}", self.realm));
        let ha2 = h(&format!("{method}:{uri}"));
        let realm = &self.realm;
        let nonce = &self.nonce;
        let algorithm = self.algorithm.name();
        let mut value = if self.qop_auth {
            let response = h(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
            format!(
                "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", \
                 uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}, \
                 cnonce=\"{cnonce}\", qop=auth, nc=00000001"
            )
        } else {
            let response = h(&format!("{ha1}:{nonce}:{ha2}"));
            format!(
                "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", \
                 uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}"
            )
        };
        if let Some(opaque) = &self.opaque {
            value.push_str(&format!(", opaque=\"{opaque}\""));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_2617_example_is_answered() {
        // RFC 2617 sec. 3.5 (MD5, qop=auth): the response value is given in the RFC.
        let challenge = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert_eq!(challenge.algorithm, DigestAlgorithm::Md5);
        assert!(challenge.qop_auth);
        let answer = challenge.answer(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
        );
        assert!(
            answer.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{answer}"
        );
        assert!(answer.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    }

    #[test]
    fn the_rfc_7616_sha_256_example_is_answered() {
        // RFC 7616 sec. 3.9.1: SHA-256 response for Mufasa.
        let challenge = Challenge::parse(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
             algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        )
        .unwrap();
        assert_eq!(challenge.algorithm, DigestAlgorithm::Sha256);
        let answer = challenge.answer(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            answer.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{answer}"
        );
    }

    #[test]
    fn other_schemes_and_algorithms_are_not_answered() {
        assert_eq!(Challenge::parse("Basic realm=\"x\""), None);
        assert_eq!(
            Challenge::parse("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256"),
            None
        );
        assert_eq!(Challenge::parse("Digest realm=\"x\""), None);
    }
}
