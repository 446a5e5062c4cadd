//! `%HH` escaping in URIs (RFC 3261 sec. 19.1.2, RFC 3986 sec. 2.1).
//!
//! Escapes are only meaningful inside URI components; elsewhere in SIP `%` is an ordinary
//! character (RFC 4475 esc02). Unescaping is never recursive: `%2541` becomes `%41`.

use std::borrow::Cow;

/// True when every `%` in `s` starts a valid `%HH` escape.
pub(crate) fn escapes_are_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes every `%HH` escape once. The result is bytes: an escape may encode NUL or a
/// byte that is not UTF-8 on its own (RFC 4475 escnull). Invalid escapes stay as they are.
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let decoded = match (c, b.get(i + 1), b.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Escapes every byte of `s` that may not appear raw in the user part of a SIP URI.
pub fn escape_user(s: &str) -> Cow<'_, str> {
    let allowed = |b: u8| {
        crate::sip::syntax::is_unreserved(b)
            || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/')
    };
    if s.bytes().all(allowed) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if allowed(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_decodes_once() {
        assert_eq!(&*unescape("%75se%72"), b"user");
        assert_eq!(&*unescape("v%61lue%25%34%31"), b"value%41");
        assert_eq!(&*unescape("null-%00-null"), b"null-\0-null");
        assert_eq!(&*unescape("bad%zz"), b"bad%zz");
    }

    #[test]
    fn escape_validation() {
        assert!(escapes_are_valid("a%20b"));
        assert!(!escapes_are_valid("a%2"));
        assert!(!escapes_are_valid("%Z%45"));
    }

    #[test]
    fn escape_user_round_trips() {
        let escaped = escape_user("I have spaces@");
        assert_eq!(escaped, "I%20have%20spaces%40");
        assert_eq!(&*unescape(&escaped), b"I have spaces@");
    }
}
