//! Media types: Content-Type (`type/subtype;params`) and the media ranges of Accept.

use super::{split_list, HeaderError, Params};
use crate::sip::syntax::Cursor;

/// A media type or media range with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    main: &'a str,
    sub: &'a str,
    params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses `m-type SLASH m-subtype *( SEMI m-parameter )` (tokens, so `*/*` also parses).
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        let main = c.token().ok_or(HeaderError::BadMediaType)?;
        if !c.eat_separator(b'/') {
            return Err(HeaderError::BadMediaType);
        }
        let sub = c.token().ok_or(HeaderError::BadMediaType)?;
        let params = Params::parse(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(MediaType { main, sub, params })
    }

    /// The type (`application`).
    pub fn main_type(&self) -> &'a str {
        self.main
    }

    /// The subtype (`sdp`).
    pub fn subtype(&self) -> &'a str {
        self.sub
    }

    /// The parameters (`boundary`, `charset` ...).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// True when this is `main/sub`, case-insensitively.
    pub fn is(&self, main: &str, sub: &str) -> bool {
        self.main.eq_ignore_ascii_case(main) && self.sub.eq_ignore_ascii_case(sub)
    }

    /// True when this media range (`*/*`, `application/*` ...) covers `main/sub`.
    pub fn covers(&self, main: &str, sub: &str) -> bool {
        (self.main == "*" || self.main.eq_ignore_ascii_case(main))
            && (self.sub == "*" || self.sub.eq_ignore_ascii_case(sub))
    }
}

/// Validates Accept: a possibly empty comma list of media ranges.
pub(crate) fn validate_accept(text: &str) -> Result<(), HeaderError> {
    for item in split_list(text) {
        if item.is_empty() {
            return Err(HeaderError::EmptyListItem);
        }
        MediaType::parse(item)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_and_ranges() {
        let t = MediaType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(t.is("MULTIPART", "Mixed"));
        assert_eq!(t.params().value("boundary"), Some(Some("7a9cbec02ceef655")));
        let any = MediaType::parse("*/*").unwrap();
        assert!(any.covers("application", "sdp"));
        assert!(!MediaType::parse("text/nobodyKnowsThis")
            .unwrap()
            .covers("application", "sdp"));
        assert_eq!(
            MediaType::parse("sdp").err(),
            Some(HeaderError::BadMediaType)
        );
        assert!(validate_accept(
            "application/sdp, application/pkcs7-mime,\r\n        multipart/mixed"
        )
        .is_ok());
        assert!(validate_accept("").is_ok());
        assert_eq!(validate_accept("a/b,,c/d"), Err(HeaderError::EmptyListItem));
    }
}
