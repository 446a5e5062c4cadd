//! The admin API's bearer token (`http.admin_token`): when configured, every request under
//! `/v1/` must carry `Authorization: Bearer <token>`, compared in constant time so that
//! response timing does not reveal how much of a guess was right.
//!
//! A node without a token only listens on loopback (the configuration refuses anything
//! else), which is the embedded default for trying the node out.

use zeroize::Zeroizing;

/// The configured token.
#[derive(Clone)]
pub struct AdminToken(Zeroizing<String>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

impl AdminToken {
    /// The token `secret`.
    pub fn new(secret: &str) -> AdminToken {
        AdminToken(Zeroizing::new(secret.to_owned()))
    }

    /// Whether an `Authorization` header value carries this token.
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some((scheme, presented)) = value.trim().split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && constant_time_eq(presented.trim().as_bytes(), self.0.as_bytes())
    }
}

/// Equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let token = AdminToken::new("s3cret-token-of-some-length");
        assert!(token.admits(Some("Bearer s3cret-token-of-some-length")));
        assert!(token.admits(Some("bearer  s3cret-token-of-some-length ")));
        assert!(!token.admits(None));
        assert!(!token.admits(Some("Bearer s3cret-token-of-some-lengtH")));
        assert!(!token.admits(Some("Bearer s3cret-token-of-some-length-and-more")));
        assert!(!token.admits(Some("Basic s3cret-token-of-some-length")));
        assert!(!token.admits(Some("s3cret-token-of-some-length")));
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
