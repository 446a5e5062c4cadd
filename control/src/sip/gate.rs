//! The authentication gate in front of every request that creates state (issue 5 item 2:
//! REGISTER, an initial INVITE, SUBSCRIBE, MESSAGE, PUBLISH, REFER): digest credentials
//! are checked against the stored HA1 values, and anything short of a verified user gets
//! its answer here.
//!
//! Answers: no credentials, a foreign nonce or a mismatched `uri` get a fresh 401
//! challenge; a stale nonce with a correct response gets `stale=true`; a wrong password or
//! an unknown user gets 403 at once (the same answer for both, so user names cannot be
//! probed, and a client with a bad password stops instead of looping); credentials missing
//! parameters get 400.

use crate::sip::digest::{DigestAlgorithm, DigestAuthenticator, Rejection, Verdict};
use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::{Message, Method};

/// What the gate decided about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateDecision {
    /// Verified: the request is from this user.
    Pass {
        /// The authenticated user name.
        user: String,
    },
    /// Answer with this response and go no further.
    Answer {
        /// The status, for logs and metrics.
        status: u16,
        /// The serialized response.
        response: Vec<u8>,
    },
}

/// Digest authentication of state-creating requests for one realm.
#[derive(Debug)]
pub struct AuthGate {
    authenticator: DigestAuthenticator,
    open_register: bool,
}

impl AuthGate {
    /// A gate verifying with `authenticator`.
    pub fn new(authenticator: DigestAuthenticator) -> AuthGate {
        AuthGate {
            authenticator,
            open_register: false,
        }
    }

    /// The same gate, letting REGISTER through without credentials when `open` (the
    /// `sip.register_without_auth` setting); every other guarded request is still checked.
    pub fn with_open_register(mut self, open: bool) -> AuthGate {
        self.open_register = open;
        self
    }

    /// Whether REGISTER needs no credentials.
    pub fn register_is_open(&self) -> bool {
        self.open_register
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        self.authenticator.realm()
    }

    /// Whether `request` creates state and so must be authenticated: REGISTER, and
    /// INVITE, SUBSCRIBE, MESSAGE, PUBLISH and REFER outside a dialog.
    pub fn guards<T: AsRef<[u8]>>(request: &Message<T>) -> bool {
        match request.method() {
            Method::Register => true,
            Method::Invite
            | Method::Subscribe
            | Method::Message
            | Method::Publish
            | Method::Refer => request.to_tag().is_none(),
            _ => false,
        }
    }

    /// Checks `request`'s credentials. `ha1_for(user, algorithm)` reads the stored HA1;
    /// `salt` makes each challenge's nonce unique; `to_tag` tags the answer.
    pub fn check<T: AsRef<[u8]>>(
        &mut self,
        request: &Message<T>,
        unix_now: u64,
        salt: [u8; 8],
        to_tag: &str,
        ha1_for: impl Fn(&str, DigestAlgorithm) -> Option<String>,
    ) -> GateDecision {
        let verdict = self.authenticator.verify(request, unix_now, ha1_for);
        let (status, reason, stale) = match verdict {
            Verdict::Authenticated { username, .. } => {
                return GateDecision::Pass { user: username }
            }
            Verdict::Missing => (401, "Unauthorized", false),
            Verdict::Stale => (401, "Unauthorized", true),
            Verdict::Rejected(Rejection::WrongResponse | Rejection::UnknownUser) => {
                (403, "Forbidden", false)
            }
            Verdict::Rejected(_) => (401, "Unauthorized", false),
            Verdict::Malformed => (400, "Bad Request", false),
        };
        let mut response = Vec::new();
        let mut w = response_for(request, status, reason, Some(to_tag), &mut response);
        match status {
            401 => self
                .authenticator
                .write_challenges(&mut w, unix_now, salt, stale),
            403 => {
                w.known(KnownHeader::Warning, "399 medianode \"wrong credentials\"");
            }
            _ => {
                w.known(
                    KnownHeader::Warning,
                    "399 medianode \"Digest credentials lack required parameters\"",
                );
            }
        }
        w.finish(b"");
        GateDecision::Answer { status, response }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::digest::{
        authorization_value, ha1, AuthRole, NonceIssuer, NonceKey, ResponseInput,
    };

    fn gate() -> AuthGate {
        let issuer = NonceIssuer::new(NonceKey::from_bytes([7; 32]), "example.com", 300);
        AuthGate::new(
            DigestAuthenticator::new(issuer, "example.com", AuthRole::Server)
                .with_algorithms(vec![DigestAlgorithm::Md5]),
        )
    }

    fn register(authorization: Option<&str>) -> Message<Vec<u8>> {
        let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let text = format!(
            "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
             To: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n\
             Call-ID: c\r\nCSeq: 1 REGISTER\r\n{auth}Content-Length: 0\r\n\r\n"
        );
        Message::new_checked(text.into_bytes()).unwrap()
    }

    fn nonce_of(response: &[u8]) -> String {
        let m = Message::new_checked(response).unwrap();
        let challenge = m.www_authenticates().next().unwrap();
        challenge
            .param("nonce")
            .unwrap()
            .value_unquoted()
            .into_owned()
    }

    #[test]
    fn challenge_then_pass_then_refuse_a_wrong_password() {
        let mut gate = gate();
        let stored = ha1(DigestAlgorithm::Md5, "alice", "example.com", "secret");
        let lookup = |user: &str, _| (user == "alice").then(|| stored.clone());
        let GateDecision::Answer { status, response } =
            gate.check(&register(None), 1000, [1; 8], "t", lookup)
        else {
            panic!("no challenge")
        };
        assert_eq!(status, 401);
        let m = Message::new_checked(response.as_slice()).unwrap();
        let offered: Vec<String> = m
            .www_authenticates()
            .map(|c| c.param("algorithm").unwrap().value_unquoted().into_owned())
            .collect();
        assert_eq!(offered, vec!["MD5"], "only what was configured");
        let nonce = nonce_of(&response);
        let answer = |password: &str, nc: u32| {
            let ha1 = ha1(DigestAlgorithm::Md5, "alice", "example.com", password);
            authorization_value(
                &ResponseInput {
                    algorithm: DigestAlgorithm::Md5,
                    ha1: &ha1,
                    method: "REGISTER",
                    uri: "sip:example.com",
                    nonce: &nonce,
                    cnonce: "abc",
                    nc,
                    qop: Some("auth"),
                },
                "alice",
                "example.com",
            )
        };
        let good = register(Some(&answer("secret", 1)));
        assert_eq!(
            gate.check(&good, 1001, [2; 8], "t", lookup),
            GateDecision::Pass {
                user: "alice".to_owned()
            }
        );
        let bad = register(Some(&answer("wrong", 2)));
        let GateDecision::Answer { status, .. } = gate.check(&bad, 1002, [3; 8], "t", lookup)
        else {
            panic!("a wrong password passed")
        };
        assert_eq!(status, 403);
        let GateDecision::Answer { status, response } =
            gate.check(&good, 1003, [4; 8], "t", lookup)
        else {
            panic!("a replayed nonce count passed")
        };
        assert_eq!(status, 401);
        assert_ne!(nonce_of(&response), nonce, "a fresh challenge");
        let later = register(Some(&answer("secret", 3)));
        let GateDecision::Answer { status, response } =
            gate.check(&later, 1000 + 400, [5; 8], "t", lookup)
        else {
            panic!("an expired nonce passed")
        };
        assert_eq!(status, 401);
        assert!(String::from_utf8_lossy(&response).contains("stale=true"));
    }

    #[test]
    fn a_uri_naming_only_the_host_is_accepted_when_allowed() {
        let issuer = NonceIssuer::new(NonceKey::from_bytes([7; 32]), "example.com", 300);
        let mut gate = AuthGate::new(
            DigestAuthenticator::new(issuer, "example.com", AuthRole::Server).accepting_host_uri(),
        );
        let stored = ha1(DigestAlgorithm::Md5, "alice", "example.com", "secret");
        let lookup = |_: &str, _| Some(stored.clone());
        let invite = |authorization: &str| {
            let text = format!(
                "INVITE sip:conf-1@example.com:5070 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                 To: <sip:conf-1@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n\
                 Call-ID: c\r\nCSeq: 1 INVITE\r\nAuthorization: {authorization}\r\n\
                 Content-Length: 0\r\n\r\n"
            );
            Message::new_checked(text.into_bytes()).unwrap()
        };
        let GateDecision::Answer { response, .. } = gate.check(
            &invite("Basic realm=\"example.com\""),
            1000,
            [1; 8],
            "t",
            lookup,
        ) else {
            panic!("no challenge")
        };
        let nonce = nonce_of(&response);
        let answer = |uri: &str, nc: u32| {
            authorization_value(
                &ResponseInput {
                    algorithm: DigestAlgorithm::Md5,
                    ha1: &stored,
                    method: "INVITE",
                    uri,
                    nonce: &nonce,
                    cnonce: "abc",
                    nc,
                    qop: Some("auth"),
                },
                "alice",
                "example.com",
            )
        };
        let host_only = invite(&answer("sip:example.com:5070", 1));
        assert!(matches!(
            gate.check(&host_only, 1001, [2; 8], "t", lookup),
            GateDecision::Pass { .. }
        ));
        let other_host = invite(&answer("sip:elsewhere.example.com:5070", 2));
        assert!(matches!(
            gate.check(&other_host, 1002, [3; 8], "t", lookup),
            GateDecision::Answer { status: 401, .. }
        ));
    }

    #[test]
    fn an_open_register_gate_is_opt_in() {
        assert!(!gate().register_is_open());
        assert!(gate().with_open_register(true).register_is_open());
    }

    #[test]
    fn only_state_creating_requests_are_guarded() {
        let cases = [
            ("REGISTER", "", true),
            ("INVITE", "", true),
            ("INVITE", ";tag=x", false),
            ("OPTIONS", "", false),
            ("BYE", ";tag=x", false),
            ("MESSAGE", "", true),
            ("SUBSCRIBE", "", true),
        ];
        for (method, to_tag, guarded) in cases {
            let text = format!(
                "{method} sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                 To: <sip:a@example.com>{to_tag}\r\nFrom: <sip:b@example.com>;tag=1\r\n\
                 Call-ID: c\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
            );
            let m = Message::new_checked(text.as_bytes()).unwrap();
            assert_eq!(AuthGate::guards(&m), guarded, "{method}{to_tag}");
        }
    }
}
