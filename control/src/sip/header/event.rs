//! Event and Subscription-State (RFC 6665 sec. 8.2): a token with parameters.

use super::{HeaderError, Params};
use crate::sip::syntax::Cursor;

/// A token value with parameters: `Event: conference;id=7`, `Subscription-State:
/// active;expires=600`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenWithParams<'a> {
    value: &'a str,
    params: Params<'a>,
}

impl<'a> TokenWithParams<'a> {
    /// Parses `token *( SEMI generic-param )`.
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        let value = c.token().ok_or(HeaderError::BadToken)?;
        let params = Params::parse(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(TokenWithParams { value, params })
    }

    /// The token (`conference`, `active`, `terminated` ...).
    pub fn value(&self) -> &'a str {
        self.value
    }

    /// The parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `id` parameter of an Event header.
    pub fn id(&self) -> Option<&'a str> {
        self.params.value("id").flatten()
    }

    /// The `expires` parameter of a Subscription-State header, in seconds.
    pub fn expires(&self) -> Option<u32> {
        super::scalar::parse_delta_seconds(self.params.value("expires")??).ok()
    }

    /// The `reason` parameter of a Subscription-State header.
    pub fn reason(&self) -> Option<&'a str> {
        self.params.value("reason").flatten()
    }
}

/// The Event header.
pub type Event<'a> = TokenWithParams<'a>;
/// The Subscription-State header.
pub type SubscriptionState<'a> = TokenWithParams<'a>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_and_state() {
        let e = Event::parse("conference ;id=42").unwrap();
        assert_eq!((e.value(), e.id()), ("conference", Some("42")));
        let s = SubscriptionState::parse("terminated;reason=noresource;expires=0").unwrap();
        assert_eq!(s.reason(), Some("noresource"));
        assert_eq!(s.expires(), Some(0));
        assert!(Event::parse("").is_err());
        assert!(Event::parse("a b").is_err());
    }
}
