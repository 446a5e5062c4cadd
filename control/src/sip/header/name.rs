//! Header names: the ones medianode knows, their canonical spelling, their compact forms
//! (RFC 3261 sec. 7.3.3 and the IANA SIP header registry), and which may appear only once.

use core::fmt;

macro_rules! known_headers {
    ($( $variant:ident => $canonical:literal, $compact:expr, $single:expr; )*) => {
        /// A header field name medianode recognises.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum KnownHeader {
            $(
                #[doc = concat!("`", $canonical, "`")]
                $variant,
            )*
        }

        const TABLE: &[(KnownHeader, &str, Option<u8>, bool)] = &[
            $( (KnownHeader::$variant, $canonical, $compact, $single), )*
        ];
    };
}

known_headers! {
    Accept => "Accept", None, false;
    AcceptContact => "Accept-Contact", Some(b'a'), false;
    AcceptEncoding => "Accept-Encoding", None, false;
    AcceptLanguage => "Accept-Language", None, false;
    AlertInfo => "Alert-Info", None, false;
    Allow => "Allow", None, false;
    AllowEvents => "Allow-Events", Some(b'u'), false;
    AuthenticationInfo => "Authentication-Info", None, false;
    Authorization => "Authorization", None, false;
    CallId => "Call-ID", Some(b'i'), true;
    CallInfo => "Call-Info", None, false;
    Contact => "Contact", Some(b'm'), false;
    ContentDisposition => "Content-Disposition", None, true;
    ContentEncoding => "Content-Encoding", Some(b'e'), false;
    ContentLanguage => "Content-Language", None, false;
    ContentLength => "Content-Length", Some(b'l'), true;
    ContentType => "Content-Type", Some(b'c'), true;
    CSeq => "CSeq", None, true;
    Date => "Date", None, true;
    ErrorInfo => "Error-Info", None, false;
    Event => "Event", Some(b'o'), true;
    Expires => "Expires", None, true;
    From => "From", Some(b'f'), true;
    Identity => "Identity", Some(b'y'), false;
    InReplyTo => "In-Reply-To", None, false;
    MaxForwards => "Max-Forwards", None, true;
    MinExpires => "Min-Expires", None, true;
    MimeVersion => "MIME-Version", None, true;
    Organization => "Organization", None, false;
    Priority => "Priority", None, true;
    ProxyAuthenticate => "Proxy-Authenticate", None, false;
    ProxyAuthorization => "Proxy-Authorization", None, false;
    ProxyRequire => "Proxy-Require", None, false;
    RAck => "RAck", None, true;
    RecordRoute => "Record-Route", None, false;
    ReferTo => "Refer-To", Some(b'r'), true;
    ReferredBy => "Referred-By", Some(b'b'), true;
    RejectContact => "Reject-Contact", Some(b'j'), false;
    ReplyTo => "Reply-To", None, true;
    RequestDisposition => "Request-Disposition", Some(b'd'), false;
    Require => "Require", None, false;
    RetryAfter => "Retry-After", None, true;
    Route => "Route", None, false;
    RSeq => "RSeq", None, true;
    Server => "Server", None, false;
    SessionExpires => "Session-Expires", Some(b'x'), true;
    Subject => "Subject", Some(b's'), false;
    SubscriptionState => "Subscription-State", None, true;
    Supported => "Supported", Some(b'k'), false;
    Timestamp => "Timestamp", None, true;
    To => "To", Some(b't'), true;
    Unsupported => "Unsupported", None, false;
    UserAgent => "User-Agent", None, false;
    Via => "Via", Some(b'v'), false;
    Warning => "Warning", None, false;
    WwwAuthenticate => "WWW-Authenticate", None, false;
}

// Parsers track which single-valued headers they have seen in a `u64` bit set.
const _: () = assert!(TABLE.len() <= 64);

impl KnownHeader {
    /// Recognises a header name, long or compact, in any letter case.
    pub fn from_name(name: &str) -> Option<Self> {
        if let [c] = name.as_bytes() {
            let c = c.to_ascii_lowercase();
            return TABLE
                .iter()
                .find(|(_, _, compact, _)| *compact == Some(c))
                .map(|(h, ..)| *h);
        }
        TABLE
            .iter()
            .find(|(_, canonical, ..)| canonical.eq_ignore_ascii_case(name))
            .map(|(h, ..)| *h)
    }

    fn entry(self) -> (KnownHeader, &'static str, Option<u8>, bool) {
        TABLE
            .iter()
            .copied()
            .find(|(h, ..)| *h == self)
            .unwrap_or((self, "", None, false))
    }

    /// The canonical spelling (`Call-ID`, `WWW-Authenticate`, `CSeq` ...).
    pub fn canonical(self) -> &'static str {
        self.entry().1
    }

    /// The compact form, if the header has one.
    pub fn compact(self) -> Option<char> {
        self.entry().2.map(char::from)
    }

    /// True for headers a message may carry at most once (RFC 3261 sec. 7.3.1, 20).
    pub fn is_single_valued(self) -> bool {
        self.entry().3
    }

    /// True for headers whose values may be joined with commas on one line. The
    /// authentication headers are the RFC 3261 sec. 7.3.1 exception.
    pub fn is_comma_list(self) -> bool {
        matches!(
            self,
            KnownHeader::Accept
                | KnownHeader::AcceptEncoding
                | KnownHeader::AcceptLanguage
                | KnownHeader::Allow
                | KnownHeader::AllowEvents
                | KnownHeader::Contact
                | KnownHeader::ContentEncoding
                | KnownHeader::ContentLanguage
                | KnownHeader::ProxyRequire
                | KnownHeader::RecordRoute
                | KnownHeader::Require
                | KnownHeader::Route
                | KnownHeader::Supported
                | KnownHeader::Unsupported
                | KnownHeader::Via
        )
    }
}

impl fmt::Display for KnownHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

/// A header name as found in a message: known, or an extension kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderName<'a> {
    /// A header medianode recognises.
    Known(KnownHeader),
    /// Any other header (`extension-header`), spelled as received.
    Extension(&'a str),
}

impl<'a> HeaderName<'a> {
    /// Classifies a header name.
    pub fn parse(name: &'a str) -> Self {
        KnownHeader::from_name(name).map_or(HeaderName::Extension(name), HeaderName::Known)
    }

    /// The spelling a serializer writes: canonical for known headers.
    pub fn canonical(&self) -> &'a str {
        match self {
            HeaderName::Known(h) => h.canonical(),
            HeaderName::Extension(name) => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compact_forms_and_case() {
        assert_eq!(KnownHeader::from_name("i"), Some(KnownHeader::CallId));
        assert_eq!(KnownHeader::from_name("I"), Some(KnownHeader::CallId));
        assert_eq!(
            KnownHeader::from_name("MaX-fOrWaRdS"),
            Some(KnownHeader::MaxForwards)
        );
        assert_eq!(
            KnownHeader::from_name("www-authenticate"),
            Some(KnownHeader::WwwAuthenticate)
        );
        assert_eq!(KnownHeader::from_name("C%6Fntact"), None);
        assert_eq!(KnownHeader::from_name("q"), None);
        assert_eq!(KnownHeader::CallId.canonical(), "Call-ID");
        assert_eq!(KnownHeader::Via.compact(), Some('v'));
        assert!(KnownHeader::CSeq.is_single_valued());
        assert!(!KnownHeader::Via.is_single_valued());
    }

    #[test]
    fn every_compact_form_is_unique_and_round_trips() {
        for (header, canonical, compact, _) in TABLE {
            assert_eq!(KnownHeader::from_name(canonical), Some(*header));
            if let Some(c) = compact {
                let short = [*c];
                let short = core::str::from_utf8(&short).unwrap();
                assert_eq!(KnownHeader::from_name(short), Some(*header), "{canonical}");
            }
        }
    }
}
