//! Header fields: names (with compact forms), the comma-list and parameter machinery, and
//! a typed, borrowing parser for every header medianode acts on.
//!
//! Each typed parser takes the raw value (folds included) and returns a view of slices into
//! it. [`validate`] runs the matching parser so a checked message holds only well-formed
//! known headers; the typed accessors on a message then parse again on demand instead of
//! storing every header's structure.

mod auth;
mod contact;
mod error;
mod event;
mod list;
mod media_type;
mod name;
mod name_addr;
mod params;
mod scalar;
mod via;

pub use auth::{AuthHeader, AuthParam};
pub use contact::Contact;
pub use error::HeaderError;
pub use event::{Event, SubscriptionState, TokenWithParams};
pub use list::{split_list, ListItems};
pub use media_type::MediaType;
pub use name::{HeaderName, KnownHeader};
pub use name_addr::{DisplayName, NameAddr};
pub use params::{Param, ParamIter, Params};
pub use scalar::{CSeq, DEFAULT_EXPIRES};
pub use via::{Via, MAGIC_COOKIE};

pub(crate) use name_addr::AddressForm;
pub(crate) use scalar::{
    parse_call_id, parse_content_length, parse_delta_seconds, parse_max_forwards,
};

/// Runs `parse` over every element of a comma list; the list must not be empty.
fn each_item<'a, T>(
    value: &'a str,
    parse: impl Fn(&'a str) -> Result<T, HeaderError>,
) -> Result<(), HeaderError> {
    let mut count = 0;
    for item in split_list(value) {
        if item.is_empty() {
            return Err(HeaderError::EmptyListItem);
        }
        parse(item)?;
        count += 1;
    }
    if count == 0 {
        return Err(HeaderError::Empty);
    }
    Ok(())
}

/// Checks the value of a known header against its grammar. Headers medianode does not
/// interpret (Date, Subject, Warning ...) are accepted as they are, which RFC 4475 baddate
/// asks of an element that does not use them.
pub fn validate(header: KnownHeader, value: &str) -> Result<(), HeaderError> {
    use KnownHeader as H;
    match header {
        H::Via => each_item(value, Via::parse),
        H::Contact => each_item(value, Contact::parse),
        H::Route | H::RecordRoute => {
            each_item(value, |i| NameAddr::parse(i, AddressForm::NameAddrOnly))
        }
        H::From | H::To | H::ReferTo | H::ReferredBy => {
            NameAddr::parse(value, AddressForm::NameAddrOrSpec).map(drop)
        }
        H::CallId => parse_call_id(value).map(drop),
        H::CSeq => CSeq::parse(value).map(drop),
        H::MaxForwards => parse_max_forwards(value).map(drop),
        H::ContentLength => parse_content_length(value).map(drop),
        H::ContentType => MediaType::parse(value).map(drop),
        H::Accept => media_type::validate_accept(value),
        H::Expires | H::MinExpires => parse_delta_seconds(value).map(drop),
        H::Allow | H::Supported | H::Unsupported => scalar::validate_token_list(value, true),
        H::Require | H::ProxyRequire => scalar::validate_token_list(value, false),
        H::Event | H::SubscriptionState => TokenWithParams::parse(value).map(drop),
        H::Authorization | H::ProxyAuthorization | H::WwwAuthenticate | H::ProxyAuthenticate => {
            AuthHeader::parse(value).map(drop)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
