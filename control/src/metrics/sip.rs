//! SIP transactions by method and final status, for `/metrics`: how many requests the node
//! answered (role `server`) and how many of its own requests were answered (role
//! `client`), so an operator sees 401 storms, 486s or failing NOTIFYs at a glance.
//!
//! The SIP engine records from its own thread with one call where it sends a final
//! response ([`SERVER`]) and one where it receives one ([`CLIENT`]); these are process
//! statics so that the engine needs no handle to the node's metrics. Each (method, status)
//! pair is one relaxed atomic: methods are the 14 of the RFCs the node knows plus `other`,
//! statuses 200 to 699 (provisional responses are not transactions ending, and are not
//! counted), so the series are bounded whatever peers send.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Methods counted by name; anything else counts as `other` (the last entry).
pub const METHODS: [&str; 15] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "INFO",
    "UPDATE",
    "PRACK",
    "PUBLISH",
    "other",
];

/// The lowest final status.
const FIRST_FINAL: u16 = 200;
/// Final statuses 200..=699.
const FINAL_STATUSES: usize = 500;

/// Final responses counted by method and status.
#[derive(Debug)]
pub struct SipTransactions {
    cells: [[AtomicU64; FINAL_STATUSES]; METHODS.len()],
}

impl Default for SipTransactions {
    fn default() -> Self {
        SipTransactions::new()
    }
}

/// Final responses the node sent to requests it received.
pub static SERVER: SipTransactions = SipTransactions::new();
/// Final responses the node received to requests it sent.
pub static CLIENT: SipTransactions = SipTransactions::new();

fn method_index(method: &str) -> usize {
    METHODS
        .iter()
        .take(METHODS.len() - 1)
        .position(|m| *m == method)
        .unwrap_or(METHODS.len() - 1)
}

impl SipTransactions {
    /// All zero.
    pub const fn new() -> SipTransactions {
        SipTransactions {
            cells: [const { [const { AtomicU64::new(0) }; FINAL_STATUSES] }; METHODS.len()],
        }
    }

    /// Counts one final response `status` to a `method` request; provisional and
    /// out-of-range statuses are ignored.
    pub fn record(&self, method: &str, status: u16) {
        let Some(column) = status.checked_sub(FIRST_FINAL).map(usize::from) else {
            return;
        };
        if let Some(cell) = self
            .cells
            .get(method_index(method))
            .and_then(|row| row.get(column))
        {
            cell.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts the response in `message` (its status line and CSeq method), as the engine
    /// has it in bytes; anything that is not a response is ignored.
    pub fn record_response(&self, message: &[u8]) {
        let head_end = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(message.len());
        let Ok(head) = std::str::from_utf8(&message[..head_end]) else {
            return;
        };
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|start| start.strip_prefix("SIP/2.0 "))
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse::<u16>().ok());
        let method = lines.find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("CSeq")
                .then(|| value.split_whitespace().nth(1))?
        });
        if let (Some(status), Some(method)) = (status, method) {
            self.record(method, status);
        }
    }

    /// Responses counted for `method` with `status`.
    pub fn count(&self, method: &str, status: u16) -> u64 {
        status
            .checked_sub(FIRST_FINAL)
            .and_then(|column| {
                self.cells
                    .get(method_index(method))?
                    .get(usize::from(column))
            })
            .map_or(0, |cell| cell.load(Ordering::Relaxed))
    }

    /// Every pair counted at least once: (method, status, count).
    fn counted(&self) -> impl Iterator<Item = (&'static str, u16, u64)> + '_ {
        self.cells.iter().zip(METHODS).flat_map(|(row, method)| {
            row.iter().enumerate().filter_map(move |(column, cell)| {
                let value = cell.load(Ordering::Relaxed);
                let status = FIRST_FINAL + u16::try_from(column).ok()?;
                (value > 0).then_some((method, status, value))
            })
        })
    }
}

/// The family name on `/metrics`.
pub const SIP_TRANSACTIONS_FAMILY: &str = "medianode_sip_transactions_total";

/// Renders `server` and `client` under one family with a `role` label.
pub(super) fn render_sip(out: &mut String, server: &SipTransactions, client: &SipTransactions) {
    let name = SIP_TRANSACTIONS_FAMILY;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "# HELP {name} SIP transactions ended by a final response, by role (server: the node \
         answered; client: the node's request was answered), method and status.\n\
         # TYPE {name} counter"
    );
    for (role, counts) in [("server", server), ("client", client)] {
        for (method, status, value) in counts.counted() {
            let _ = writeln!(
                out,
                "{name}{{role=\"{role}\",method=\"{method}\",status=\"{status}\"}} {value}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_responses_count_by_method_and_status_and_provisional_ones_do_not() {
        let counts = SipTransactions::new();
        counts.record("INVITE", 200);
        counts.record("INVITE", 200);
        counts.record("INVITE", 100);
        counts.record("INVITE", 700);
        counts.record("BYE", 481);
        counts.record("FOO", 405);
        counts.record("invite", 200);
        assert_eq!(counts.count("INVITE", 200), 2);
        assert_eq!(counts.count("INVITE", 100), 0);
        assert_eq!(counts.count("BYE", 481), 1);
        assert_eq!(counts.count("other", 405), 1, "unknown methods are other");
        assert_eq!(counts.count("FOO", 405), 1, "and read back as other");
        assert_eq!(counts.count("other", 200), 1, "methods are case-sensitive");
        let mut out = String::new();
        render_sip(&mut out, &counts, &SipTransactions::new());
        assert!(out.contains(
            "medianode_sip_transactions_total{role=\"server\",method=\"INVITE\",status=\"200\"} 2\n"
        ));
        assert!(out.contains(
            "medianode_sip_transactions_total{role=\"server\",method=\"other\",status=\"405\"} 1\n"
        ));
        assert_eq!(out.lines().filter(|l| !l.starts_with('#')).count(), 4);
    }

    #[test]
    fn responses_in_bytes_are_read_from_status_line_and_cseq() {
        let counts = SipTransactions::new();
        counts.record_response(
            b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
              cseq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
        );
        counts.record_response(b"SIP/2.0 100 Trying\r\nCSeq: 7 INVITE\r\n\r\n");
        counts.record_response(b"INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n");
        counts.record_response(b"SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n\r\nbody: 1 BYE");
        counts.record_response(b"SIP/2.0 2");
        counts.record_response(&[0xff, 0xfe]);
        assert_eq!(counts.count("INVITE", 486), 1);
        assert_eq!(counts.count("REGISTER", 200), 1);
        assert_eq!(counts.counted().count(), 2);
    }
}
