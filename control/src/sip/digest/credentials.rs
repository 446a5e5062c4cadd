//! The Digest credentials of an Authorization header (RFC 7616 sec. 3.4), the response
//! computation both sides share, and the client's Authorization value.

use super::DigestAlgorithm;
use crate::sip::header::AuthHeader;

/// The parameters of a `Digest` Authorization (or Proxy-Authorization) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri`: the Request-URI the response was computed over.
    pub uri: String,
    /// `response`: the hex digest to check.
    pub response: String,
    /// `algorithm` (MD5 when absent).
    pub algorithm: Option<DigestAlgorithm>,
    /// The `algorithm` token as written, for an error message when unknown.
    pub algorithm_token: Option<String>,
    /// `cnonce`.
    pub cnonce: Option<String>,
    /// `nc`, parsed from its eight hex digits.
    pub nc: Option<u32>,
    /// `qop` (`auth`).
    pub qop: Option<String>,
    /// `opaque`, echoed from the challenge.
    pub opaque: Option<String>,
}

impl DigestCredentials {
    /// Reads the Digest parameters; `None` when the scheme is not Digest or a required
    /// parameter (username, realm, nonce, uri, response) is missing or `nc` is not hex.
    pub fn from_header(header: &AuthHeader<'_>) -> Option<Self> {
        if !header.is_digest() {
            return None;
        }
        let get = |name: &str| header.param(name).map(|p| p.value_unquoted().into_owned());
        let algorithm_token = get("algorithm");
        let nc = match get("nc") {
            Some(text) => Some(
                u32::from_str_radix(&text, 16)
                    .ok()
                    .filter(|_| text.len() == 8)?,
            ),
            None => None,
        };
        Some(DigestCredentials {
            username: get("username")?,
            realm: get("realm")?,
            nonce: get("nonce")?,
            uri: get("uri")?,
            response: get("response")?.to_ascii_lowercase(),
            algorithm: DigestAlgorithm::parse(algorithm_token.as_deref()),
            algorithm_token,
            cnonce: get("cnonce"),
            nc,
            qop: get("qop"),
            opaque: get("opaque"),
        })
    }
}

/// `HA1 = H(username ":" realm ":" password)` (RFC 7616 sec. 3.4.2), what a user store
/// keeps instead of the password, one per base algorithm.
pub fn ha1(algorithm: DigestAlgorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm
        .base()
        .hash_joined(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()])
}

/// The inputs of one response computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseInput<'a> {
    /// The algorithm.
    pub algorithm: DigestAlgorithm,
    /// The stored HA1 (hex) for the base algorithm.
    pub ha1: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The `uri` parameter.
    pub uri: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The client nonce (required with qop).
    pub cnonce: &'a str,
    /// The nonce count.
    pub nc: u32,
    /// `Some("auth")`, or `None` for the RFC 2069 form.
    pub qop: Option<&'a str>,
}

/// The expected `response` value (RFC 7616 sec. 3.4.1, qop=auth).
pub fn compute_response(input: &ResponseInput<'_>) -> String {
    let alg = input.algorithm;
    let ha1 = if alg.is_session() {
        alg.hash_joined(&[
            input.ha1.as_bytes(),
            input.nonce.as_bytes(),
            input.cnonce.as_bytes(),
        ])
    } else {
        input.ha1.to_string()
    };
    let ha2 = alg.hash_joined(&[input.method.as_bytes(), input.uri.as_bytes()]);
    match input.qop {
        Some(qop) => {
            let nc = format!("{:08x}", input.nc);
            alg.hash_joined(&[
                ha1.as_bytes(),
                input.nonce.as_bytes(),
                nc.as_bytes(),
                input.cnonce.as_bytes(),
                qop.as_bytes(),
                ha2.as_bytes(),
            ])
        }
        None => alg.hash_joined(&[ha1.as_bytes(), input.nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// The Authorization value a client sends (qop=auth), for tests and for medianode acting
/// as a UAC towards an authenticating peer.
pub fn authorization_value(input: &ResponseInput<'_>, username: &str, realm: &str) -> String {
    let response = compute_response(input);
    format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{}\", uri=\"{}\", \
         response=\"{response}\", algorithm={}, cnonce=\"{}\", qop={}, nc={:08x}",
        input.nonce,
        input.uri,
        input.algorithm,
        input.cnonce,
        input.qop.unwrap_or("auth"),
        input.nc
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 sec. 3.9.1: the same exchange with SHA-256 and with MD5.
    #[test]
    fn rfc7616_section_3_9_1() {
        for (algorithm, expected) in [
            (
                DigestAlgorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
            (DigestAlgorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
        ] {
            let ha1 = ha1(
                algorithm,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
            );
            let input = ResponseInput {
                algorithm,
                ha1: &ha1,
                method: "GET",
                uri: "/dir/index.html",
                nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
                nc: 1,
                qop: Some("auth"),
            };
            assert_eq!(compute_response(&input), expected, "{algorithm}");
        }
    }

    /// RFC 2617 sec. 3.5, the classic MD5 example.
    #[test]
    fn rfc2617_section_3_5() {
        let ha1 = ha1(
            DigestAlgorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
        );
        let input = ResponseInput {
            algorithm: DigestAlgorithm::Md5,
            ha1: &ha1,
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: "0a4f113b",
            nc: 1,
            qop: Some("auth"),
        };
        assert_eq!(compute_response(&input), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn credentials_from_a_header() {
        let value = "Digest username=\"Mufasa\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", response=\"ABCD\", algorithm=SHA-256, cnonce=\"c\", qop=auth, nc=0000000a";
        let header = AuthHeader::parse(value).unwrap();
        let c = DigestCredentials::from_header(&header).unwrap();
        assert_eq!(c.algorithm, Some(DigestAlgorithm::Sha256));
        assert_eq!(c.nc, Some(10));
        assert_eq!(c.response, "abcd");
        let short_nc = value.replace("0000000a", "10");
        let bad_nc = AuthHeader::parse(&short_nc).unwrap();
        assert!(DigestCredentials::from_header(&bad_nc).is_none());
        let other = AuthHeader::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert!(DigestCredentials::from_header(&other).is_none());
    }
}
