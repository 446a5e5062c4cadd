//! Where things are in a checked message: byte ranges into its buffer, found once by the
//! parser so a message can own its bytes (or borrow them) and still be read without
//! parsing the framing again.

use crate::sip::header::KnownHeader;

/// A byte range into the message buffer. Messages are capped below 4 GiB, so `u32` holds
/// every offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn range(self) -> core::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The start line's pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartSpans {
    Request { method: Span, uri: Span },
    Response { code: u16, reason: Span },
}

/// One header line (with its continuation lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderSpans {
    pub(crate) known: Option<KnownHeader>,
    pub(crate) name: Span,
    /// The value with leading and trailing white space removed; folds inside are kept.
    pub(crate) value: Span,
}

/// Everything the parser located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) start: StartSpans,
    pub(crate) headers: Vec<HeaderSpans>,
    pub(crate) body: Span,
    pub(crate) call_id: Span,
    pub(crate) cseq_number: u32,
    pub(crate) cseq_method: Span,
}
