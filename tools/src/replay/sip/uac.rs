//! One participant's calls as a user agent client, sans-IO: the INVITE (and the INVITE
//! again with credentials after a 401), the ACKs, the dialog a 2xx makes and its BYE. The
//! caller sends the text these produce, feeds back the responses it receives, and gives
//! the fresh random tokens each new request needs (branches, client nonces).

use std::fmt::Write as _;
use std::net::SocketAddr;

use super::digest::Challenge;
use super::response::SipResponse;

/// The header a focus hands an end-to-end conference key over in (a 302's).
pub const CONFERENCE_KEY_HEADER: &str = "Conference-Key";

/// Who the replay is on the SIP side.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user name (From, Contact, digest).
    pub user: String,
    /// The digest password; `None` when the node asks for none.
    pub password: Option<String>,
    /// The SIP domain (From's host).
    pub domain: String,
    /// The signalling socket's address (Via, Contact).
    pub local: SocketAddr,
}

/// What identifies a call: Call-ID and From tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallIds {
    /// The Call-ID.
    pub call_id: String,
    /// The From tag.
    pub from_tag: String,
}

/// The RFC 3261 magic cookie every branch starts with.
const BRANCH_COOKIE: &str = "z9hG4bK";

/// One request's text.
struct RequestText<'a> {
    method: &'a str,
    uri: &'a str,
    branch: &'a str,
    to_uri: &'a str,
    to_tag: Option<&'a str>,
    cseq: u32,
    extra: &'a str,
    body: &'a str,
}

fn request_text(identity: &Identity, ids: &CallIds, r: &RequestText<'_>) -> String {
    let mut text = String::with_capacity(512 + r.body.len());
    let local = identity.local;
    let user = &identity.user;
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch={branch};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{user}@{domain}>;tag={from_tag}\r\nTo: <{to_uri}>",
        method = r.method,
        uri = r.uri,
        branch = r.branch,
        domain = identity.domain,
        from_tag = ids.from_tag,
        to_uri = r.to_uri,
    );
    if let Some(tag) = r.to_tag {
        let _ = write!(text, ";tag={tag}");
    }
    let _ = write!(
        text,
        "\r\nCall-ID: {}\r\nCSeq: {} {}\r\nContact: <sip:{user}@{local}>\r\n\
         User-Agent: rtp-replay\r\n{}",
        ids.call_id, r.cseq, r.method, r.extra
    );
    if !r.body.is_empty() {
        text.push_str("Content-Type: application/sdp\r\n");
    }
    let _ = write!(text, "Content-Length: {}\r\n\r\n{}", r.body.len(), r.body);
    text
}

/// An INVITE in progress.
#[derive(Debug, Clone)]
pub struct Invite {
    ids: CallIds,
    target: String,
    offer: String,
    cseq: u32,
    branch: String,
    authorization: Option<String>,
}

/// What a response to an [`Invite`] asks of the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteStep {
    /// Not a response to this INVITE (another call, or an older request): ignore it.
    Unrelated,
    /// A provisional response: stop retransmitting, keep waiting.
    Proceeding,
    /// Challenged: send `ack`, then [`Invite::request`] again (it now carries credentials).
    Authenticate {
        /// The ACK of the 401.
        ack: String,
    },
    /// Redirected (302): send `ack`; the conference is at `target`.
    Redirected {
        /// The ACK of the 302.
        ack: String,
        /// The Contact URI.
        target: String,
        /// The end-to-end key handover, when the focus gave one.
        conference_key: Option<String>,
    },
    /// Accepted: send `ack`; the call is `dialog`, the node's answer is `answer`.
    Accepted {
        /// The ACK of the 2xx.
        ack: String,
        /// The dialog.
        dialog: Dialog,
        /// The SDP answer.
        answer: String,
    },
    /// Refused: send `ack`.
    Refused {
        /// The ACK of the final response.
        ack: String,
        /// The status.
        status: u16,
        /// The reason phrase and the node's Warning text.
        why: String,
    },
}

impl Invite {
    /// An INVITE in call `ids` to `target` with SDP `offer` (empty: none); `token` is a
    /// fresh random token for its branch.
    pub fn new(ids: CallIds, target: &str, offer: &str, cseq: u32, token: &str) -> Invite {
        Invite {
            ids,
            target: target.to_owned(),
            offer: offer.to_owned(),
            cseq,
            branch: format!("{BRANCH_COOKIE}{token}"),
            authorization: None,
        }
    }

    /// The CSeq number of the latest request.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The call.
    pub fn ids(&self) -> &CallIds {
        &self.ids
    }

    /// The Request-URI.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The request to send (and to retransmit unchanged until a response comes).
    pub fn request(&self, identity: &Identity) -> String {
        let extra = self
            .authorization
            .as_ref()
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        request_text(
            identity,
            &self.ids,
            &RequestText {
                method: "INVITE",
                uri: &self.target,
                branch: &self.branch,
                to_uri: &self.target,
                to_tag: None,
                cseq: self.cseq,
                extra: &extra,
                body: &self.offer,
            },
        )
    }

    /// The ACK of a non-2xx final response: the INVITE's branch and URI (RFC 3261 sec.
    /// 17.1.1.3).
    fn ack_of_failure(&self, identity: &Identity, response: &SipResponse) -> String {
        request_text(
            identity,
            &self.ids,
            &RequestText {
                method: "ACK",
                uri: &self.target,
                branch: &self.branch,
                to_uri: &self.target,
                to_tag: response.to_tag(),
                cseq: self.cseq,
                extra: "",
                body: "",
            },
        )
    }

    /// What `response` asks for; `token` is a fresh random token, used when a new request
    /// or a client nonce is needed.
    pub fn on_response(
        &mut self,
        identity: &Identity,
        response: &SipResponse,
        token: &str,
    ) -> InviteStep {
        if response.call_id != self.ids.call_id
            || response.method != "INVITE"
            || response.cseq != self.cseq
            || response.via_branch() != Some(self.branch.as_str())
        {
            return InviteStep::Unrelated;
        }
        if !response.is_final() {
            return InviteStep::Proceeding;
        }
        if (200..300).contains(&response.status) {
            let Some(to_tag) = response.to_tag().map(str::to_owned) else {
                return InviteStep::Refused {
                    ack: String::new(),
                    status: response.status,
                    why: "a 2xx without To tag".to_owned(),
                };
            };
            let dialog = Dialog {
                ids: self.ids.clone(),
                to_uri: self.target.clone(),
                to_tag,
                remote_target: response.contact_uri().unwrap_or(&self.target).to_owned(),
                cseq: self.cseq,
            };
            let ack = dialog.request(identity, "ACK", self.cseq, token);
            return InviteStep::Accepted {
                ack,
                dialog,
                answer: response.body.clone(),
            };
        }
        let ack = self.ack_of_failure(identity, response);
        let refused = |why: String| InviteStep::Refused {
            ack: ack.clone(),
            status: response.status,
            why,
        };
        match response.status {
            401 if self.authorization.is_none() => {
                let Some(password) = &identity.password else {
                    return refused(
                        "the node asks for credentials: give --sip-user and --sip-password"
                            .to_owned(),
                    );
                };
                let Some(challenge) = response
                    .headers_named("WWW-Authenticate")
                    .find_map(Challenge::parse)
                else {
                    return refused("no digest challenge the replay can answer".to_owned());
                };
                self.authorization =
                    Some(challenge.answer(&identity.user, password, "INVITE", &self.target, token));
                self.cseq += 1;
                self.branch = format!("{BRANCH_COOKIE}{token}");
                InviteStep::Authenticate { ack }
            }
            302 => match response.contact_uri() {
                Some(target) => InviteStep::Redirected {
                    ack,
                    target: target.to_owned(),
                    conference_key: response.header(CONFERENCE_KEY_HEADER).map(str::to_owned),
                },
                None => refused("a 302 without Contact".to_owned()),
            },
            _ => refused(match response.warning() {
                Some(warning) => format!("{} ({warning})", response.reason),
                None => response.reason.clone(),
            }),
        }
    }
}

/// A call the node accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    ids: CallIds,
    to_uri: String,
    to_tag: String,
    remote_target: String,
    cseq: u32,
}

impl Dialog {
    /// The call.
    pub fn ids(&self) -> &CallIds {
        &self.ids
    }

    /// The node's Contact: where in-dialog requests go.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    fn request(&self, identity: &Identity, method: &str, cseq: u32, token: &str) -> String {
        let branch = format!("{BRANCH_COOKIE}{token}");
        request_text(
            identity,
            &self.ids,
            &RequestText {
                method,
                uri: &self.remote_target,
                branch: &branch,
                to_uri: &self.to_uri,
                to_tag: Some(&self.to_tag),
                cseq,
                extra: "",
                body: "",
            },
        )
    }

    /// A BYE ending the call, on a branch made of `token`, and its CSeq number.
    pub fn bye(&mut self, identity: &Identity, token: &str) -> (String, u32) {
        self.cseq += 1;
        (self.request(identity, "BYE", self.cseq, token), self.cseq)
    }
}

/// Whether `response` is the final response to a BYE in `dialog` with CSeq `cseq`.
pub fn ends_bye(dialog: &Dialog, cseq: u32, response: &SipResponse) -> bool {
    response.is_final()
        && response.method == "BYE"
        && response.cseq == cseq
        && response.call_id == dialog.ids.call_id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(password: Option<&str>) -> Identity {
        Identity {
            user: "alice".to_owned(),
            password: password.map(str::to_owned),
            domain: "medianode.test".to_owned(),
            local: "127.0.0.1:5070".parse().unwrap(),
        }
    }

    fn ids() -> CallIds {
        CallIds {
            call_id: "c1@replay".to_owned(),
            from_tag: "f1".to_owned(),
        }
    }

    /// A response to `request` as a server would write it (Via, From, Call-ID and CSeq
    /// copied), with `status` and the extra header lines and body.
    fn answer(request: &str, status: &str, extra: &str, body: &str) -> SipResponse {
        let copied: String = request
            .split("\r\n")
            .filter(|l| {
                ["Via:", "From:", "Call-ID:", "CSeq:"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(|l| format!("{l}\r\n"))
            .collect();
        let to = request
            .split("\r\n")
            .find(|l| l.starts_with("To:"))
            .unwrap();
        let text = format!(
            "SIP/2.0 {status}\r\n{copied}{to};tag=srv\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        SipResponse::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_challenged_invite_is_acked_and_sent_again_with_credentials() {
        let me = identity(Some("secret"));
        let mut invite = Invite::new(ids(), "sip:conference@medianode.test", "v=0\r\n", 1, "b1");
        let first = invite.request(&me);
        assert!(first.starts_with("INVITE sip:conference@medianode.test SIP/2.0\r\n"));
        assert!(first.contains("Content-Type: application/sdp\r\nContent-Length: 5\r\n"));
        let trying = answer(&first, "100 Trying", "", "");
        assert_eq!(
            invite.on_response(&me, &trying, "x"),
            InviteStep::Proceeding
        );
        let challenge = answer(
            &first,
            "401 Unauthorized",
            "WWW-Authenticate: Digest realm=\"medianode.test\", nonce=\"n1\", \
             algorithm=MD5, qop=\"auth\"\r\n",
            "",
        );
        let InviteStep::Authenticate { ack } = invite.on_response(&me, &challenge, "b2") else {
            panic!("not an authentication step");
        };
        assert!(ack.starts_with("ACK sip:conference@medianode.test SIP/2.0\r\n"));
        assert!(ack.contains(";branch=z9hG4bKb1;"), "same branch: {ack}");
        assert!(ack.contains("CSeq: 1 ACK\r\n"));
        assert!(ack.contains(";tag=srv\r\n"));
        let second = invite.request(&me);
        assert!(second.contains("CSeq: 2 INVITE\r\n"));
        assert!(second.contains(";branch=z9hG4bKb2;"));
        assert!(second.contains("Authorization: Digest username=\"alice\""));
        // A late retransmission of the 401 belongs to the old request.
        assert_eq!(
            invite.on_response(&me, &challenge, "x"),
            InviteStep::Unrelated
        );
        // A second challenge is a refusal: the password is wrong.
        let again = answer(&second, "401 Unauthorized", "", "");
        assert!(matches!(
            invite.on_response(&me, &again, "x"),
            InviteStep::Refused { status: 401, .. }
        ));
    }

    #[test]
    fn a_redirect_names_the_conference_and_an_ok_makes_a_dialog_that_byes() {
        let me = identity(None);
        let mut invite = Invite::new(ids(), "sip:conference@medianode.test", "", 1, "b1");
        let first = invite.request(&me);
        assert!(!first.contains("Content-Type"));
        let moved = answer(
            &first,
            "302 Moved Temporarily",
            "Contact: <sip:conf-3@127.0.0.1:5060>\r\n",
            "",
        );
        let InviteStep::Redirected { target, .. } = invite.on_response(&me, &moved, "x") else {
            panic!("not redirected");
        };
        assert_eq!(target, "sip:conf-3@127.0.0.1:5060");

        let mut join = Invite::new(ids(), &target, "v=0\r\n", 2, "b3");
        let request = join.request(&me);
        let ok = answer(
            &request,
            "200 OK",
            "Contact: <sip:conf-3@127.0.0.1:5060>\r\n",
            "v=0\r\n",
        );
        let InviteStep::Accepted {
            ack,
            mut dialog,
            answer: sdp,
        } = join.on_response(&me, &ok, "b4")
        else {
            panic!("not accepted");
        };
        assert_eq!(sdp, "v=0\r\n");
        assert!(ack.starts_with("ACK sip:conf-3@127.0.0.1:5060 SIP/2.0\r\n"));
        assert!(ack.contains(";branch=z9hG4bKb4;"), "a new branch: {ack}");
        assert!(ack.contains("CSeq: 2 ACK\r\n"));
        let (bye, cseq) = dialog.bye(&me, "b5");
        assert_eq!(cseq, 3);
        assert!(bye.contains("CSeq: 3 BYE\r\n"));
        assert!(bye.contains("To: <sip:conf-3@127.0.0.1:5060>;tag=srv\r\n"));
        let bye_ok = answer(&bye, "200 OK", "", "");
        assert!(ends_bye(&dialog, cseq, &bye_ok));
        assert!(!ends_bye(&dialog, cseq + 1, &bye_ok));
    }

    #[test]
    fn without_a_password_a_challenge_is_a_refusal_that_says_what_to_give() {
        let me = identity(None);
        let mut invite = Invite::new(ids(), "sip:conference@medianode.test", "", 1, "b1");
        let challenge = answer(&invite.request(&me), "401 Unauthorized", "", "");
        let InviteStep::Refused { status, why, .. } = invite.on_response(&me, &challenge, "x")
        else {
            panic!("not refused");
        };
        assert_eq!(status, 401);
        assert!(why.contains("--sip-password"), "{why}");
    }
}
