//! Addresses with parameters: the value of From, To, Contact, Route, Record-Route and
//! Refer-To (RFC 3261 sec. 20.10, 25.1): `( name-addr / addr-spec ) *( SEMI param )`.
//!
//! The two forms differ in where parameters belong: inside `<...>` they are URI
//! parameters, after a bare addr-spec they are header parameters (RFC 4475 cparam01/02).

use std::borrow::Cow;

use super::{HeaderError, Params};
use crate::sip::syntax::{unquote, Cursor};
use crate::sip::uri::Uri;

/// Whether a bare addr-spec is allowed, or the URI must be enclosed in `<>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressForm {
    /// From, To, Contact, Refer-To.
    NameAddrOrSpec,
    /// Route and Record-Route.
    NameAddrOnly,
}

/// The display name of a name-addr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayName<'a> {
    /// A quoted string: its content between the quotes, escapes kept.
    Quoted(&'a str),
    /// One or more tokens separated by white space, as written.
    Tokens(&'a str),
}

impl<'a> DisplayName<'a> {
    /// The text as written, without the surrounding quotes.
    pub fn raw(&self) -> &'a str {
        match self {
            DisplayName::Quoted(s) | DisplayName::Tokens(s) => s,
        }
    }

    /// The text with quoted-pair escapes removed.
    pub fn text(&self) -> Cow<'a, str> {
        match self {
            DisplayName::Quoted(s) => unquote(s),
            DisplayName::Tokens(s) => Cow::Borrowed(s),
        }
    }
}

/// An address with its header parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display_name: Option<DisplayName<'a>>,
    uri: Uri<'a>,
    bracketed: bool,
    params: Params<'a>,
}

/// True when a `<` follows outside any quoted string, i.e. this is a name-addr.
fn has_angle_bracket(text: &str) -> bool {
    let mut in_quotes = false;
    let mut escaped = false;
    for b in text.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_quotes => escaped = true,
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => return true,
            _ => {}
        }
    }
    false
}

impl<'a> NameAddr<'a> {
    /// Parses one address element (already split out of a comma list).
    pub(crate) fn parse(text: &'a str, form: AddressForm) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        if c.at_end() {
            return Err(HeaderError::Empty);
        }
        let mut display_name = None;
        let bracketed = if c.peek() == Some(b'"') {
            let quoted = c.quoted_string().ok_or(HeaderError::UnterminatedQuote)?;
            display_name = Some(DisplayName::Quoted(quoted));
            c.skip_lws();
            if c.peek() != Some(b'<') {
                return Err(HeaderError::BadDisplayName);
            }
            true
        } else if has_angle_bracket(c.rest()) {
            let start = c.pos();
            let mut end = start;
            while let Some(_token) = c.token() {
                end = c.pos();
                c.skip_lws();
            }
            if c.peek() != Some(b'<') {
                return Err(HeaderError::BadDisplayName);
            }
            if end > start {
                display_name = Some(DisplayName::Tokens(c.slice(start, end)));
            }
            true
        } else {
            false
        };
        let uri = if bracketed {
            c.eat(b'<');
            let inner_len = c
                .rest()
                .find('>')
                .ok_or(HeaderError::UnbalancedAngleBrackets)?;
            let uri = Uri::parse(c.rest().get(..inner_len).unwrap_or(""))?;
            c.advance(inner_len + 1);
            uri
        } else {
            if form == AddressForm::NameAddrOnly {
                return Err(HeaderError::AngleBracketsRequired);
            }
            let uri_text = c.take_while(|b| !matches!(b, b';' | b' ' | b'\t' | b'\r'));
            if uri_text.contains(['?', ',']) {
                return Err(HeaderError::AngleBracketsRequired);
            }
            Uri::parse(uri_text)?
        };
        let params = Params::parse(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(NameAddr {
            display_name,
            uri,
            bracketed,
            params,
        })
    }

    /// The display name, if any.
    pub fn display_name(&self) -> Option<DisplayName<'a>> {
        self.display_name
    }

    /// The URI.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// True when the URI was enclosed in `<>`.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }

    /// The header parameters (after the URI, outside any `<>`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter (From and To).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.value("tag").flatten()
    }
}
