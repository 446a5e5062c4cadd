//! A registrar's round trip: challenge, answer, verify, and every way to fail.

use super::*;
use crate::sip::message::response_for;
use crate::sip::Message;

const REALM: &str = "medianode.example";
const NOW: u64 = 1_800_000_000;

fn register(authorization: Option<&str>) -> Vec<u8> {
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:medianode.example SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKreg\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@medianode.example>;tag=r1\r\n\
         To: <sip:alice@medianode.example>\r\n\
         Call-ID: reg-1\r\n\
         CSeq: 2 REGISTER\r\n\
         Contact: <sip:alice@192.0.2.5>\r\n\
         {auth}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn authenticator() -> DigestAuthenticator {
    let issuer = NonceIssuer::new(NonceKey::from_bytes([3; 32]), REALM, 300);
    DigestAuthenticator::new(issuer, REALM, AuthRole::Server)
}

fn store(username: &str, algorithm: DigestAlgorithm) -> Option<String> {
    (username == "alice").then(|| ha1(algorithm, "alice", REALM, "wonderland"))
}

/// Answers the challenge for `algorithm` in `challenge_response` as a client would.
fn answer(
    challenge_response: &[u8],
    algorithm: DigestAlgorithm,
    password: &str,
    nc: u32,
    uri: &str,
) -> String {
    let response = Message::new_checked(challenge_response).unwrap();
    let challenge = response
        .www_authenticates()
        .find(|c| c.param("algorithm").map(|a| a.value) == Some(algorithm.as_str()))
        .unwrap();
    let nonce = challenge
        .param("nonce")
        .unwrap()
        .value_unquoted()
        .into_owned();
    let realm = challenge
        .param("realm")
        .unwrap()
        .value_unquoted()
        .into_owned();
    assert_eq!(challenge.param("qop").unwrap().value_unquoted(), "auth");
    let ha1 = ha1(algorithm, "alice", &realm, password);
    authorization_value(
        &ResponseInput {
            algorithm,
            ha1: &ha1,
            method: "REGISTER",
            uri,
            nonce: &nonce,
            cnonce: "0a4f113b",
            nc,
            qop: Some("auth"),
        },
        "alice",
        &realm,
    )
}

fn challenge_for(auth: &DigestAuthenticator, request: &[u8], stale: bool) -> Vec<u8> {
    let request = Message::new_checked(request).unwrap();
    let mut out = Vec::new();
    let mut w = response_for(&request, 401, "Unauthorized", Some("t"), &mut out);
    auth.write_challenges(&mut w, NOW, [9; 8], stale);
    w.finish(b"");
    out
}

fn verify(auth: &mut DigestAuthenticator, request: &[u8], now: u64) -> Verdict {
    auth.verify(&Message::new_checked(request).unwrap(), now, store)
}

#[test]
fn challenge_then_success_for_both_algorithms() {
    for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Md5] {
        let mut auth = authenticator();
        let first = register(None);
        assert_eq!(verify(&mut auth, &first, NOW), Verdict::Missing);
        let challenge = challenge_for(&auth, &first, false);
        let text = String::from_utf8(challenge.clone()).unwrap();
        let sha = text.find("algorithm=SHA-256").unwrap();
        let md5 = text.find("algorithm=MD5").unwrap();
        assert!(sha < md5, "SHA-256 is offered first");

        let credentials = answer(
            &challenge,
            algorithm,
            "wonderland",
            1,
            "sip:medianode.example",
        );
        let second = register(Some(&credentials));
        assert_eq!(
            verify(&mut auth, &second, NOW + 1),
            Verdict::Authenticated {
                username: "alice".into(),
                algorithm
            }
        );
        assert_eq!(
            verify(&mut auth, &second, NOW + 2),
            Verdict::Rejected(Rejection::Replayed),
            "the same nc twice"
        );
        let third = register(Some(&answer(
            &challenge,
            algorithm,
            "wonderland",
            2,
            "sip:medianode.example",
        )));
        assert!(matches!(
            verify(&mut auth, &third, NOW + 3),
            Verdict::Authenticated { .. }
        ));
    }
}

#[test]
fn refusals() {
    let mut auth = authenticator();
    let challenge = challenge_for(&auth, &register(None), false);
    let wrong_password = register(Some(&answer(
        &challenge,
        DigestAlgorithm::Sha256,
        "guess",
        1,
        "sip:medianode.example",
    )));
    assert_eq!(
        verify(&mut auth, &wrong_password, NOW),
        Verdict::Rejected(Rejection::WrongResponse)
    );

    let wrong_uri = register(Some(&answer(
        &challenge,
        DigestAlgorithm::Sha256,
        "wonderland",
        1,
        "sip:elsewhere.example",
    )));
    assert_eq!(
        verify(&mut auth, &wrong_uri, NOW),
        Verdict::Rejected(Rejection::UriMismatch)
    );

    let good = answer(
        &challenge,
        DigestAlgorithm::Sha256,
        "wonderland",
        1,
        "sip:medianode.example",
    );
    let unknown_user = register(Some(
        &good.replace("username=\"alice\"", "username=\"mallory\""),
    ));
    assert_eq!(
        verify(&mut auth, &unknown_user, NOW),
        Verdict::Rejected(Rejection::UnknownUser)
    );

    let forged_nonce = register(Some(&good.replace("nonce=\"", "nonce=\"00")));
    assert_eq!(
        verify(&mut auth, &forged_nonce, NOW),
        Verdict::Rejected(Rejection::BadNonce)
    );

    let sha512 = register(Some(
        &good.replace("algorithm=SHA-256", "algorithm=SHA-512-256"),
    ));
    assert_eq!(
        verify(&mut auth, &sha512, NOW),
        Verdict::Rejected(Rejection::UnsupportedAlgorithm)
    );

    let auth_int = register(Some(&good.replace("qop=auth", "qop=auth-int")));
    assert_eq!(
        verify(&mut auth, &auth_int, NOW),
        Verdict::Rejected(Rejection::UnsupportedQop)
    );

    let no_response = register(Some("Digest username=\"alice\", realm=\"medianode.example\", nonce=\"x\", uri=\"sip:medianode.example\""));
    assert_eq!(verify(&mut auth, &no_response, NOW), Verdict::Malformed);

    let other_realm = register(Some(
        &good.replace("realm=\"medianode.example\"", "realm=\"elsewhere\""),
    ));
    assert_eq!(verify(&mut auth, &other_realm, NOW), Verdict::Missing);

    assert_eq!(
        verify(&mut auth, &register(Some(&good)), NOW),
        Verdict::Authenticated {
            username: "alice".into(),
            algorithm: DigestAlgorithm::Sha256
        }
    );
}

#[test]
fn expired_nonce_is_stale_only_with_the_right_password() {
    let mut auth = authenticator();
    let challenge = challenge_for(&auth, &register(None), false);
    let late = NOW + 301;
    let good = register(Some(&answer(
        &challenge,
        DigestAlgorithm::Md5,
        "wonderland",
        1,
        "sip:medianode.example",
    )));
    let verdict = verify(&mut auth, &good, late);
    assert_eq!(verdict, Verdict::Stale);
    assert_eq!(verdict.challenge(), Some(true));
    let bad = register(Some(&answer(
        &challenge,
        DigestAlgorithm::Md5,
        "guess",
        1,
        "sip:medianode.example",
    )));
    assert_eq!(
        verify(&mut auth, &bad, late),
        Verdict::Rejected(Rejection::WrongResponse)
    );
    let stale_challenge = String::from_utf8(challenge_for(&auth, &register(None), true)).unwrap();
    assert_eq!(stale_challenge.matches("stale=true").count(), 2);
}

#[test]
fn proxy_role_uses_proxy_headers() {
    assert_eq!(
        AuthRole::Proxy.status(),
        (407, "Proxy Authentication Required")
    );
    let issuer = NonceIssuer::new(NonceKey::from_bytes([3; 32]), REALM, 300);
    let mut proxy = DigestAuthenticator::new(issuer, REALM, AuthRole::Proxy);
    let challenge = challenge_for(&authenticator(), &register(None), false);
    let answer = answer(
        &challenge,
        DigestAlgorithm::Sha256,
        "wonderland",
        1,
        "sip:medianode.example",
    );
    let as_authorization = register(Some(&answer));
    assert_eq!(verify(&mut proxy, &as_authorization, NOW), Verdict::Missing);
    let as_proxy = String::from_utf8(as_authorization)
        .unwrap()
        .replace("Authorization:", "Proxy-Authorization:");
    assert!(matches!(
        verify(&mut proxy, as_proxy.as_bytes(), NOW),
        Verdict::Authenticated { .. }
    ));
}
