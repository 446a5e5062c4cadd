//! The SIP responses a replay reads, parsed strictly and without the node's parser (which
//! would pull the node into the tools): a status line, header fields (compact names
//! expanded, folded lines joined), and a body cut at Content-Length.

use std::fmt;

/// Largest response read.
pub const MAX_RESPONSE: usize = 65_535;

/// Why a datagram is not a SIP response the replay can use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not UTF-8, or longer than [`MAX_RESPONSE`].
    NotText,
    /// A request, not a response.
    Request,
    /// The status line is not `SIP/2.0 <3 digits> <reason>`.
    StatusLine,
    /// No empty line ends the header.
    Unterminated,
    /// A header line without a colon, or with an empty name.
    HeaderLine,
    /// Content-Length is not a number, or larger than the body.
    ContentLength,
    /// A header every response carries is missing or malformed.
    Missing(&'static str),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::NotText => f.write_str("not a UTF-8 message of sensible size"),
            ResponseError::Request => f.write_str("a request, not a response"),
            ResponseError::StatusLine => f.write_str("malformed status line"),
            ResponseError::Unterminated => f.write_str("no empty line after the header"),
            ResponseError::HeaderLine => f.write_str("malformed header line"),
            ResponseError::ContentLength => f.write_str("bad Content-Length"),
            ResponseError::Missing(name) => write!(f, "missing or malformed {name}"),
        }
    }
}

impl std::error::Error for ResponseError {}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipResponse {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Header fields in order, names in their long form as sent (compact ones expanded).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// The CSeq number.
    pub cseq: u32,
    /// The CSeq method.
    pub method: String,
    /// The Call-ID.
    pub call_id: String,
}

/// The long form of a compact header name (RFC 3261 sec. 7.3.3).
fn long_name(name: &str) -> &str {
    match name {
        "i" | "I" => "Call-ID",
        "m" | "M" => "Contact",
        "l" | "L" => "Content-Length",
        "c" | "C" => "Content-Type",
        "f" | "F" => "From",
        "t" | "T" => "To",
        "v" | "V" => "Via",
        "k" | "K" => "Supported",
        "e" | "E" => "Content-Encoding",
        "s" | "S" => "Subject",
        _ => name,
    }
}

impl SipResponse {
    /// Parses one datagram.
    pub fn parse(datagram: &[u8]) -> Result<SipResponse, ResponseError> {
        if datagram.len() > MAX_RESPONSE {
            return Err(ResponseError::NotText);
        }
        let text = std::str::from_utf8(datagram).map_err(|_| ResponseError::NotText)?;
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .ok_or(ResponseError::Unterminated)?;
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or("");
        let Some(status_part) = start.strip_prefix("SIP/2.0 ") else {
            return Err(if start.ends_with(" SIP/2.0") {
                ResponseError::Request
            } else {
                ResponseError::StatusLine
            });
        };
        let (code, reason) = status_part.split_once(' ').unwrap_or((status_part, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResponseError::StatusLine);
        }
        let status: u16 = code.parse().map_err(|_| ResponseError::StatusLine)?;
        if !(100..=699).contains(&status) {
            return Err(ResponseError::StatusLine);
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().ok_or(ResponseError::HeaderLine)?;
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            let (name, value) = line.split_once(':').ok_or(ResponseError::HeaderLine)?;
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(ResponseError::HeaderLine);
            }
            headers.push((long_name(name).to_owned(), value.trim().to_owned()));
        }
        let find = |wanted: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.as_str())
        };
        let body = match find("Content-Length") {
            Some(length) => {
                let length: usize = length.parse().map_err(|_| ResponseError::ContentLength)?;
                rest.get(..length).ok_or(ResponseError::ContentLength)?
            }
            None => rest,
        };
        let (cseq, method) = find("CSeq")
            .and_then(|c| {
                let (number, method) = c.split_once(char::is_whitespace)?;
                Some((number.parse::<u32>().ok()?, method.trim().to_owned()))
            })
            .ok_or(ResponseError::Missing("CSeq"))?;
        let call_id = find("Call-ID")
            .filter(|c| !c.is_empty())
            .ok_or(ResponseError::Missing("Call-ID"))?
            .to_owned();
        Ok(SipResponse {
            status,
            reason: reason.to_owned(),
            body: body.to_owned(),
            headers,
            cseq,
            method,
            call_id,
        })
    }

    /// The first value of header `name` (case-insensitive, long form).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `branch` parameter of the top Via.
    pub fn via_branch(&self) -> Option<&str> {
        let via = self.header("Via")?;
        let top = via.split(',').next()?;
        param(top, "branch")
    }

    /// The tag of To.
    pub fn to_tag(&self) -> Option<&str> {
        param(self.header("To")?, "tag")
    }

    /// The URI of the first Contact (inside `<...>`, or bare up to its parameters).
    pub fn contact_uri(&self) -> Option<&str> {
        let contact = self.header("Contact")?.trim();
        match contact.find('<') {
            Some(start) => {
                let rest = contact.get(start + 1..)?;
                rest.get(..rest.find('>')?)
            }
            None => contact.split(';').next().map(str::trim),
        }
    }

    /// Whether this is a final response.
    pub fn is_final(&self) -> bool {
        self.status >= 200
    }

    /// The text of the first Warning, if any (the node says why it refused there).
    pub fn warning(&self) -> Option<&str> {
        let warning = self.header("Warning")?;
        let start = warning.find('"')? + 1;
        let rest = warning.get(start..)?;
        rest.get(..rest.rfind('"')?)
    }
}

/// The value of parameter `name` in `;`-separated header parameters (after any `<...>`).
fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let after_uri = match value.rfind('>') {
        Some(end) => value.get(end + 1..)?,
        None => value,
    };
    after_uri.split(';').skip(1).find_map(|p| {
        let (key, v) = p.split_once('=')?;
        key.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "SIP/2.0 200 OK\r\n\
        v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport=5070\r\n\
        f: <sip:alice@medianode.test>;tag=1\r\n\
        t: <sip:conf-7@127.0.0.1:5060>;tag=9f\r\n\
        i: call-1@replay\r\n\
        CSeq: 2 INVITE\r\n\
        m: <sip:conf-7@127.0.0.1:5060>\r\n\
        Warning: 399 medianode\r\n \"folded\"\r\n\
        l: 4\r\n\r\nv=0\r\nextra";

    #[test]
    fn a_response_with_compact_and_folded_headers_is_read() {
        let response = SipResponse::parse(OK.as_bytes()).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, "OK");
        assert_eq!(response.body, "v=0\r");
        assert_eq!((response.cseq, response.method.as_str()), (2, "INVITE"));
        assert_eq!(response.call_id, "call-1@replay");
        assert_eq!(response.via_branch(), Some("z9hG4bKabc"));
        assert_eq!(response.to_tag(), Some("9f"));
        assert_eq!(response.contact_uri(), Some("sip:conf-7@127.0.0.1:5060"));
        assert_eq!(response.warning(), Some("folded"));
    }

    #[test]
    fn malformed_responses_are_refused_not_guessed() {
        let cases: [(&str, ResponseError); 6] = [
            ("INVITE sip:a@b SIP/2.0\r\n\r\n", ResponseError::Request),
            ("SIP/2.0 2000 OK\r\n\r\n", ResponseError::StatusLine),
            (
                "SIP/2.0 200 OK\r\nCSeq: 1 INVITE",
                ResponseError::Unterminated,
            ),
            (
                "SIP/2.0 200 OK\r\nno colon\r\n\r\n",
                ResponseError::HeaderLine,
            ),
            (
                "SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nCall-ID: x\r\nContent-Length: 9\r\n\r\nab",
                ResponseError::ContentLength,
            ),
            (
                "SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n",
                ResponseError::Missing("CSeq"),
            ),
        ];
        for (text, error) in cases {
            assert_eq!(SipResponse::parse(text.as_bytes()), Err(error), "{text:?}");
        }
        assert_eq!(
            SipResponse::parse(&[0xff, 0xfe]),
            Err(ResponseError::NotText)
        );
    }
}
