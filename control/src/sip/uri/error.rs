//! Why a URI failed to parse.

use core::fmt;

/// The part of a URI that broke the grammar of RFC 3261 sec. 25.1 (or RFC 3966 for `tel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// No `scheme:` prefix, or a scheme with characters outside the grammar.
    BadScheme,
    /// White space, angle brackets or quotes inside the URI.
    IllegalCharacter,
    /// The user part holds a character the grammar does not allow.
    BadUser,
    /// The password holds a character the grammar does not allow.
    BadPassword,
    /// The host is empty or is neither a host name, an IPv4 address nor an IPv6 reference.
    BadHost,
    /// The port is empty, not decimal, or above 65535.
    BadPort,
    /// A `;name[=value]` parameter is empty or holds an illegal character.
    BadParameter,
    /// The `?name=value&...` header part is malformed.
    BadHeaders,
    /// A `%` that does not start a `%HH` escape.
    BadEscape,
    /// A `tel` URI whose number is empty or holds an illegal character.
    BadTelephoneNumber,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadScheme => "URI scheme missing or malformed",
            Self::IllegalCharacter => "URI holds white space, quotes or angle brackets",
            Self::BadUser => "URI user part malformed",
            Self::BadPassword => "URI password malformed",
            Self::BadHost => "URI host malformed",
            Self::BadPort => "URI port malformed",
            Self::BadParameter => "URI parameter malformed",
            Self::BadHeaders => "URI headers malformed",
            Self::BadEscape => "URI holds a % that is not an escape",
            Self::BadTelephoneNumber => "tel URI number malformed",
        })
    }
}

impl std::error::Error for UriError {}
