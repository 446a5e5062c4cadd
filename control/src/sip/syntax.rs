//! The lexical layer of RFC 3261 sec. 25: character classes and a cursor that knows about
//! linear white space, so every header grammar above it can ignore line folding.
//!
//! Header values are kept exactly as received (folds included); this cursor treats
//! `CRLF 1*WSP` like any other white space, which is what RFC 3261 sec. 7.3.1 requires.

/// `token` characters: alphanumerics and `-.!%*_+`'~`.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// `unreserved` characters of URIs: alphanumerics and the `mark` set.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// `word` characters (Call-ID): token characters plus `()<>:\"/[]?{}`.
pub(crate) fn is_word_char(b: u8) -> bool {
    is_token_char(b)
        || matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
        )
}

/// True when every byte of `s` is a token character and `s` is not empty.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// A byte-position cursor over a header value that skips linear white space on request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn byte_at(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// The text from the cursor to the end.
    pub(crate) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// The text between two positions previously returned by [`Cursor::pos`].
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or("")
    }

    /// Skips `*(SP / HTAB)` and folds (`CRLF` followed by SP or HTAB); true if it moved.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\r')
                    if self.byte_at(self.pos + 1) == Some(b'\n')
                        && matches!(self.byte_at(self.pos + 2), Some(b' ' | b'\t')) =>
                {
                    self.pos += 3;
                }
                _ => break,
            }
        }
        self.pos != start
    }

    /// Moves the cursor `n` bytes forward (never past the end).
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.text.len());
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `SWS b SWS` (the `SEMI`, `COMMA`, `EQUAL`, `SLASH`, `COLON` rules).
    pub(crate) fn eat_separator(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(b) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes the longest run of bytes matching `pred`.
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// Consumes a `token`; `None` (and no movement) if none is next.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let t = self.take_while(is_token_char);
        (!t.is_empty()).then_some(t)
    }

    /// Consumes a `quoted-string` (the opening quote must be next) and returns its content
    /// between the quotes, escapes left in place. `None` when unterminated or holding a
    /// character `qdtext` does not allow.
    pub(crate) fn quoted_string(&mut self) -> Option<&'a str> {
        let save = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            match self.peek() {
                None => break,
                Some(b'"') => {
                    let inner = self.slice(start, self.pos);
                    self.pos += 1;
                    return Some(inner);
                }
                Some(b'\\') => match self.byte_at(self.pos + 1) {
                    Some(b'\r' | b'\n') | None => break,
                    Some(_) => self.pos += 2,
                },
                Some(b'\r') => {
                    if !self.skip_lws() {
                        break;
                    }
                }
                Some(b'\t') => self.pos += 1,
                Some(b) if b < 0x20 || b == 0x7f => break,
                Some(_) => self.pos += 1,
            }
        }
        self.pos = save;
        None
    }
}

/// Removes the backslash of every `quoted-pair` in the content of a quoted string.
pub(crate) fn unquote(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Replaces every fold (`CRLF` plus its white space) with a single space, as a receiver may
/// (RFC 3261 sec. 7.3.1); borrows when there is no fold.
pub(crate) fn unfold(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains('\r') {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("\r\n") {
        out.push_str(rest.get(..at).unwrap_or(""));
        out.push(' ');
        rest = rest
            .get(at + 2..)
            .unwrap_or("")
            .trim_start_matches([' ', '\t']);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Trims leading and trailing linear white space (folds included).
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lws_skips_folds_but_not_bare_line_ends() {
        let mut c = Cursor::new(" \r\n\tx");
        assert!(c.skip_lws());
        assert_eq!(c.peek(), Some(b'x'));
        let mut c = Cursor::new("\r\nx");
        assert!(!c.skip_lws());
        assert_eq!(c.pos(), 0);
    }

    #[test]
    fn quoted_string_keeps_escapes_and_rejects_unterminated() {
        let mut c = Cursor::new("\"J Rosenberg \\\\\\\"\" <");
        assert_eq!(c.quoted_string(), Some("J Rosenberg \\\\\\\""));
        assert_eq!(unquote("J Rosenberg \\\\\\\""), "J Rosenberg \\\"");
        let mut c = Cursor::new("\"Mr. J. User <sip:j.user@example.com>");
        assert_eq!(c.quoted_string(), None);
        assert_eq!(c.pos(), 0);
    }

    #[test]
    fn quoted_pairs_may_carry_control_characters() {
        let mut c = Cursor::new("\"BEL:\\\u{7} NUL:\\\0 DEL:\\\u{7f}\"");
        assert!(c.quoted_string().is_some());
        let mut c = Cursor::new("\"raw \u{7} bell\"");
        assert_eq!(c.quoted_string(), None);
    }

    #[test]
    fn unfold_collapses_each_fold_to_one_space() {
        assert_eq!(unfold("a\r\n   b\r\n\tc"), "a b c");
        assert_eq!(unfold("plain"), "plain");
    }
}
