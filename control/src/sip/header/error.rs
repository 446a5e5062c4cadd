//! Why a header field value failed its grammar.

use core::fmt;

use crate::sip::uri::UriError;

/// A reason a known header's value does not match its RFC 3261 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value is empty where the grammar needs something.
    Empty,
    /// A comma-separated list holds an empty element (`a,,b`).
    EmptyListItem,
    /// A URI inside the value is malformed.
    BadUri(UriError),
    /// A display name that is neither a quoted string nor a run of tokens.
    BadDisplayName,
    /// A quoted string without its closing quote, or with an illegal character.
    UnterminatedQuote,
    /// An addr-spec holding `?` or `,`: it must be enclosed in `<>` (RFC 3261 sec. 20).
    AngleBracketsRequired,
    /// A `<` without its `>`.
    UnbalancedAngleBrackets,
    /// A `;name[=value]` parameter that is empty or malformed.
    BadParameter,
    /// A number that is empty or not decimal.
    BadNumber,
    /// A number outside the range its header allows.
    OutOfRange,
    /// A token was expected.
    BadToken,
    /// A Via `SIP/2.0/UDP` sent-protocol that is malformed.
    BadSentProtocol,
    /// A Via sent-by host or port that is malformed.
    BadSentBy,
    /// A Call-ID that is not `word ["@" word]`.
    BadCallId,
    /// A media type that is not `type/subtype`.
    BadMediaType,
    /// Authentication parameters that are not `name=value` pairs.
    BadAuthParams,
    /// Characters left over after a complete value.
    TrailingCharacters,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty value"),
            Self::EmptyListItem => f.write_str("empty element in a comma-separated list"),
            Self::BadUri(e) => write!(f, "{e}"),
            Self::BadDisplayName => f.write_str("display name is neither quoted nor tokens"),
            Self::UnterminatedQuote => f.write_str("unterminated or malformed quoted string"),
            Self::AngleBracketsRequired => f.write_str("URI with ? or , must be enclosed in <>"),
            Self::UnbalancedAngleBrackets => f.write_str("< without matching >"),
            Self::BadParameter => f.write_str("malformed parameter"),
            Self::BadNumber => f.write_str("malformed number"),
            Self::OutOfRange => f.write_str("number out of range"),
            Self::BadToken => f.write_str("token expected"),
            Self::BadSentProtocol => f.write_str("malformed sent-protocol"),
            Self::BadSentBy => f.write_str("malformed sent-by"),
            Self::BadCallId => f.write_str("malformed Call-ID"),
            Self::BadMediaType => f.write_str("malformed media type"),
            Self::BadAuthParams => f.write_str("malformed authentication parameters"),
            Self::TrailingCharacters => f.write_str("unexpected characters after the value"),
        }
    }
}

impl std::error::Error for HeaderError {}

impl From<UriError> for HeaderError {
    fn from(e: UriError) -> Self {
        HeaderError::BadUri(e)
    }
}
