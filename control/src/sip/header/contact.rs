//! Contact (RFC 3261 sec. 20.10): `*` (remove all bindings) or addresses with `expires`
//! and `q` parameters.

use super::name_addr::AddressForm;
use super::scalar::parse_delta_seconds;
use super::{HeaderError, NameAddr};
use crate::sip::syntax::trim_lws;

/// One Contact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`, only meaningful in REGISTER with `Expires: 0`.
    Wildcard,
    /// An address.
    Address(NameAddr<'a>),
}

/// Parses a `qvalue` (`0`..`1` with up to three decimals) into thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    let mut weight = 100;
    for b in frac.bytes() {
        thousandths += u16::from(b - b'0') * weight;
        weight /= 10;
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl<'a> Contact<'a> {
    /// Parses one Contact element (already split out of a comma list).
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        if trim_lws(text) == "*" {
            return Ok(Contact::Wildcard);
        }
        let address = NameAddr::parse(text, AddressForm::NameAddrOrSpec)?;
        let params = address.params();
        if let Some(p) = params.get("expires") {
            p.value
                .ok_or(HeaderError::BadParameter)
                .and_then(parse_delta_seconds)?;
        }
        if let Some(p) = params.get("q") {
            p.value
                .and_then(parse_qvalue)
                .ok_or(HeaderError::BadParameter)?;
        }
        Ok(Contact::Address(address))
    }

    /// The address, unless this is the wildcard.
    pub fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Wildcard => None,
            Contact::Address(a) => Some(a),
        }
    }

    /// The `expires` parameter in seconds (oversized values read as 3600).
    pub fn expires(&self) -> Option<u32> {
        let value = self.address()?.params().value("expires")??;
        parse_delta_seconds(value).ok()
    }

    /// The `q` parameter in thousandths (`q=0.33` is 330).
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.address()?.params().value("q")??)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_expires_and_q() {
        assert_eq!(Contact::parse(" * "), Ok(Contact::Wildcard));
        let c = Contact::parse("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33").unwrap();
        assert_eq!(c.q(), Some(330));
        let params = c.address().unwrap().params();
        assert_eq!(params.value("newparam"), Some(Some("newvalue")));
        assert_eq!(params.value("secondparam"), Some(None));
        let c =
            Contact::parse("<sip:user@host129.example.com>\r\n  ;expires=280297596632815").unwrap();
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
    }

    #[test]
    fn bad_contact_parameters() {
        assert_eq!(
            Contact::parse("<sip:a@b>;expires=soon").err(),
            Some(HeaderError::BadNumber)
        );
        assert_eq!(
            Contact::parse("<sip:a@b>;q=2").err(),
            Some(HeaderError::BadParameter)
        );
        assert_eq!(
            Contact::parse("\"Joe\" <sip:joe@example.org>;;;;").err(),
            Some(HeaderError::BadParameter)
        );
    }
}
