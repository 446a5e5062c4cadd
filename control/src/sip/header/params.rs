//! Header parameters: `*( SEMI generic-param )` after a header value (RFC 3261 sec. 25.1),
//! where `generic-param = token [ EQUAL ( token / host / quoted-string ) ]`.
//!
//! Parsing validates the run and keeps it as one slice; lookups walk it again, so a parsed
//! header costs no allocation however many parameters it has.

use super::HeaderError;
use crate::sip::syntax::{is_token_char, unquote, Cursor};

/// Characters of an unquoted parameter value: a token or a host (IPv6 included).
fn is_gen_value_char(b: u8) -> bool {
    is_token_char(b) || matches!(b, b':' | b'[' | b']')
}

/// One parameter of a header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value: for a quoted string, its content between the quotes with escapes kept.
    pub value: Option<&'a str>,
    /// True when the value was a quoted string.
    pub quoted: bool,
}

impl Param<'_> {
    /// The value with quoted-pair escapes removed.
    pub fn value_unquoted(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.value
            .map(|v| if self.quoted { unquote(v) } else { v.into() })
    }
}

/// The validated parameters of one header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

/// Reads one `name [= value]` after the separator has been consumed.
fn read_param<'a>(c: &mut Cursor<'a>) -> Result<Param<'a>, HeaderError> {
    let name = c.token().ok_or(HeaderError::BadParameter)?;
    if !c.eat_separator(b'=') {
        return Ok(Param {
            name,
            value: None,
            quoted: false,
        });
    }
    if c.peek() == Some(b'"') {
        let value = c.quoted_string().ok_or(HeaderError::UnterminatedQuote)?;
        return Ok(Param {
            name,
            value: Some(value),
            quoted: true,
        });
    }
    let value = c.take_while(is_gen_value_char);
    if value.is_empty() {
        return Err(HeaderError::BadParameter);
    }
    Ok(Param {
        name,
        value: Some(value),
        quoted: false,
    })
}

impl<'a> Params<'a> {
    /// Consumes `*( SEMI generic-param )` at the cursor; stops before anything else.
    pub(crate) fn parse(c: &mut Cursor<'a>) -> Result<Self, HeaderError> {
        let start = c.pos();
        let mut end = start;
        while c.eat_separator(b';') {
            read_param(c)?;
            end = c.pos();
        }
        Ok(Params {
            raw: c.slice(start, end),
        })
    }

    /// The raw parameter text as received (starting at the first `;`, folds included).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The parameters in order.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            cursor: Cursor::new(self.raw),
        }
    }

    /// Looks a parameter up by name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<Param<'a>> {
        self.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The value of a parameter: `Some(None)` for a flag, `None` when absent.
    pub fn value(&self, name: &str) -> Option<Option<&'a str>> {
        self.get(name).map(|p| p.value)
    }
}

/// Iterator over validated parameters.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    cursor: Cursor<'a>,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        if !self.cursor.eat_separator(b';') {
            return None;
        }
        read_param(&mut self.cursor).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(text: &str) -> Result<(Params<'_>, &str), HeaderError> {
        let mut c = Cursor::new(text);
        let p = Params::parse(&mut c)?;
        Ok((p, c.rest()))
    }

    #[test]
    fn folded_spaced_and_quoted_parameters() {
        let (p, rest) = params(" ;   tag    = 1918181833n ; x=\"a;b\" ;flag").unwrap();
        assert_eq!(rest, "");
        assert_eq!(p.value("TAG"), Some(Some("1918181833n")));
        assert_eq!(p.value("flag"), Some(None));
        assert_eq!(p.get("x").map(|x| x.quoted), Some(true));
        assert_eq!(p.value("x"), Some(Some("a;b")));
        assert_eq!(p.iter().count(), 3);
        let (p, _) = params("\r\n  ;\r\n  tag = 98asjd8").unwrap();
        assert_eq!(p.value("tag"), Some(Some("98asjd8")));
        let (p, _) = params(";received=2001:db8::9:255;rport").unwrap();
        assert_eq!(p.value("received"), Some(Some("2001:db8::9:255")));
    }

    #[test]
    fn parameters_stop_at_a_comma() {
        let (p, rest) = params(";branch=z9hG4bK9ikj8  ,\r\n SIP/2.0/UDP x").unwrap();
        assert_eq!(p.value("branch"), Some(Some("z9hG4bK9ikj8")));
        assert!(rest.trim_start().starts_with(','));
    }

    #[test]
    fn empty_and_broken_parameters() {
        assert_eq!(params(";;").err(), Some(HeaderError::BadParameter));
        assert_eq!(params(";a=").err(), Some(HeaderError::BadParameter));
        assert_eq!(
            params(";a=\"open").err(),
            Some(HeaderError::UnterminatedQuote)
        );
    }
}
