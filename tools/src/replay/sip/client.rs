//! The I/O around the sans-IO [`Invite`] and [`Dialog`]: one UDP socket to the node's SIP
//! address, requests retransmitted on RFC 3261's timers (T1 = 500 ms doubling, given up
//! after 64*T1), responses matched to the request waiting for them. A 2xx retransmitted
//! for a call already set up (its ACK was lost) gets that ACK again.

use std::collections::HashMap;
use std::fmt;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::response::{SipResponse, MAX_RESPONSE};
use super::uac::{ends_bye, CallIds, Dialog, Identity, Invite, InviteStep};
use crate::replay::keys::random_u32;

/// RFC 3261 T1.
const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: the longest retransmission interval.
const T2: Duration = Duration::from_secs(4);
/// How long a transaction waits for its final response (Timer B / F).
const GIVE_UP: Duration = Duration::from_secs(32);
/// Redirects followed for one call at most.
const MAX_REDIRECTS: usize = 3;

/// Why a SIP exchange failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SipError {
    /// The socket failed.
    Io(std::io::Error),
    /// No final response in time.
    Timeout(&'static str),
    /// The node refused.
    Refused {
        /// What was asked.
        request: String,
        /// The status.
        status: u16,
        /// The reason and the node's Warning.
        why: String,
    },
    /// The node's answer was not what the flow expects.
    Unexpected(String),
    /// No random token could be drawn.
    Random(String),
}

impl fmt::Display for SipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SipError::Io(e) => write!(f, "SIP socket: {e}"),
            SipError::Timeout(what) => write!(f, "no final response to the {what} in time"),
            SipError::Refused {
                request,
                status,
                why,
            } => write!(f, "{request}: the node answered {status} {why}"),
            SipError::Unexpected(what) => write!(f, "unexpected SIP answer: {what}"),
            SipError::Random(why) => write!(f, "no randomness: {why}"),
        }
    }
}

impl std::error::Error for SipError {}

impl From<std::io::Error> for SipError {
    fn from(e: std::io::Error) -> Self {
        SipError::Io(e)
    }
}

/// How an INVITE ended.
#[derive(Debug)]
pub enum InviteOutcome {
    /// Redirected to `target`, with the end-to-end key handover if any.
    Redirected {
        /// The Contact of the 302.
        target: String,
        /// The `Conference-Key` value.
        conference_key: Option<String>,
    },
    /// Accepted.
    Accepted {
        /// The call.
        dialog: Dialog,
        /// The SDP answer.
        answer: String,
    },
}

/// A SIP user agent client of one node over UDP.
#[derive(Debug)]
pub struct SipClient {
    socket: UdpSocket,
    server: SocketAddr,
    identity: Identity,
    /// The ACK of each accepted call, by Call-ID, for 2xx retransmissions.
    acks: HashMap<String, String>,
    calls: u64,
}

/// A fresh random token (16 hex digits).
fn token() -> Result<String, SipError> {
    let high = random_u32().map_err(|e| SipError::Random(e.to_string()))?;
    let low = random_u32().map_err(|e| SipError::Random(e.to_string()))?;
    Ok(format!("{high:08x}{low:08x}"))
}

impl SipClient {
    /// A client on a new socket at `bind_ip` talking to `server`, as `user` (with
    /// `password` for digest, if the node asks) of `domain`.
    pub fn new(
        server: SocketAddr,
        bind_ip: std::net::IpAddr,
        user: &str,
        password: Option<&str>,
        domain: &str,
    ) -> Result<SipClient, SipError> {
        let socket = UdpSocket::bind(SocketAddr::new(bind_ip, 0))?;
        let local = socket.local_addr()?;
        Ok(SipClient {
            socket,
            server,
            identity: Identity {
                user: user.to_owned(),
                password: password.map(str::to_owned),
                domain: domain.to_owned(),
                local,
            },
            acks: HashMap::new(),
            calls: 0,
        })
    }

    /// A new call's identifiers.
    pub fn new_call(&mut self) -> Result<CallIds, SipError> {
        self.calls += 1;
        Ok(CallIds {
            call_id: format!("{}-{}@rtp-replay", token()?, self.calls),
            from_tag: token()?,
        })
    }

    fn send(&self, text: &str) -> Result<(), SipError> {
        self.socket.send_to(text.as_bytes(), self.server)?;
        Ok(())
    }

    /// The next response before `deadline`; requests and garbage are dropped, and 2xx
    /// retransmissions of set-up calls are acknowledged again.
    fn receive(&mut self, deadline: Instant) -> Result<Option<SipResponse>, SipError> {
        let mut buf = vec![0u8; MAX_RESPONSE];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.socket.set_read_timeout(Some(left))?;
            let (n, from) = match self.socket.recv_from(&mut buf) {
                Ok(received) => received,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e.into()),
            };
            if from != self.server {
                continue;
            }
            let Ok(response) = SipResponse::parse(&buf[..n]) else {
                continue;
            };
            if (200..300).contains(&response.status) && response.method == "INVITE" {
                if let Some(ack) = self.acks.get(&response.call_id) {
                    self.send(ack)?;
                    continue;
                }
            }
            return Ok(Some(response));
        }
    }

    /// Sends INVITE `invite` until it ends: after a 401 with credentials, once.
    pub fn invite(&mut self, invite: &mut Invite) -> Result<InviteOutcome, SipError> {
        let described = format!("INVITE {}", invite.target());
        'request: loop {
            let text = invite.request(&self.identity);
            self.send(&text)?;
            let started = Instant::now();
            let mut interval = T1;
            let mut next_send = Some(started + interval);
            loop {
                let deadline = next_send.map_or(started + GIVE_UP, |t| t.min(started + GIVE_UP));
                let Some(response) = self.receive(deadline)? else {
                    if Instant::now() >= started + GIVE_UP {
                        return Err(SipError::Timeout("INVITE"));
                    }
                    self.send(&text)?;
                    interval = (interval * 2).min(T2);
                    next_send = Some(Instant::now() + interval);
                    continue;
                };
                match invite.on_response(&self.identity, &response, &token()?) {
                    InviteStep::Unrelated => {}
                    InviteStep::Proceeding => next_send = None,
                    InviteStep::Authenticate { ack } => {
                        self.send(&ack)?;
                        continue 'request;
                    }
                    InviteStep::Redirected {
                        ack,
                        target,
                        conference_key,
                    } => {
                        self.send(&ack)?;
                        return Ok(InviteOutcome::Redirected {
                            target,
                            conference_key,
                        });
                    }
                    InviteStep::Accepted {
                        ack,
                        dialog,
                        answer,
                    } => {
                        self.send(&ack)?;
                        self.acks.insert(dialog.ids().call_id.clone(), ack);
                        return Ok(InviteOutcome::Accepted { dialog, answer });
                    }
                    InviteStep::Refused { ack, status, why } => {
                        if !ack.is_empty() {
                            self.send(&ack)?;
                        }
                        return Err(SipError::Refused {
                            request: described,
                            status,
                            why,
                        });
                    }
                }
            }
        }
    }

    /// Starts a call to `target` without an offer and expects a redirect (the conference
    /// factory's 302); returns the call, the next CSeq number in it, and the Contact.
    pub fn redirect(&mut self, target: &str) -> Result<(CallIds, u32, String), SipError> {
        let ids = self.new_call()?;
        let mut invite = Invite::new(ids.clone(), target, "", 1, &token()?);
        match self.invite(&mut invite)? {
            InviteOutcome::Redirected {
                target: next,
                conference_key: None,
            } => Ok((ids, invite.cseq() + 1, next)),
            InviteOutcome::Redirected { .. } => Err(SipError::Unexpected(
                "the factory handed an end-to-end key over; the replay sets up hop-by-hop \
                 conferences over SIP"
                    .to_owned(),
            )),
            InviteOutcome::Accepted { mut dialog, .. } => {
                // Not a factory: leave the call it made.
                let _ = self.bye(&mut dialog);
                Err(SipError::Unexpected(format!(
                    "{target} accepted the call instead of redirecting to a conference"
                )))
            }
        }
    }

    /// INVITEs `target` with `offer` in call `ids` (a new call when `None`) from CSeq
    /// number `cseq`, following redirects until a call is accepted; returns the call and
    /// the answer.
    pub fn join(
        &mut self,
        ids: Option<CallIds>,
        cseq: u32,
        target: &str,
        offer: &str,
    ) -> Result<(Dialog, String), SipError> {
        let ids = match ids {
            Some(ids) => ids,
            None => self.new_call()?,
        };
        let mut target = target.to_owned();
        let mut cseq = cseq;
        for _ in 0..=MAX_REDIRECTS {
            let mut invite = Invite::new(ids.clone(), &target, offer, cseq, &token()?);
            let ended = self.invite(&mut invite)?;
            cseq = invite.cseq() + 1;
            match ended {
                InviteOutcome::Accepted { dialog, answer } => return Ok((dialog, answer)),
                InviteOutcome::Redirected {
                    target: next,
                    conference_key: Some(_),
                } => {
                    return Err(SipError::Unexpected(format!(
                        "{next} is an end-to-end conference (a Conference-Key came); \
                         the replay joins hop-by-hop conferences over SIP"
                    )))
                }
                InviteOutcome::Redirected { target: next, .. } => target = next,
            }
        }
        Err(SipError::Unexpected(format!(
            "more than {MAX_REDIRECTS} redirects from {target}"
        )))
    }

    /// Ends `dialog` with a BYE and waits for its final response.
    pub fn bye(&mut self, dialog: &mut Dialog) -> Result<(), SipError> {
        let (text, cseq) = dialog.bye(&self.identity, &token()?);
        self.send(&text)?;
        let started = Instant::now();
        let mut interval = T1;
        loop {
            let deadline = (Instant::now() + interval).min(started + GIVE_UP);
            match self.receive(deadline)? {
                Some(response) if ends_bye(dialog, cseq, &response) => {
                    self.acks.remove(&dialog.ids().call_id);
                    return if response.status < 300 {
                        Ok(())
                    } else {
                        Err(SipError::Refused {
                            request: format!("BYE {}", dialog.remote_target()),
                            status: response.status,
                            why: response.reason,
                        })
                    };
                }
                Some(_) => {}
                None if Instant::now() >= started + GIVE_UP => {
                    return Err(SipError::Timeout("BYE"))
                }
                None => {
                    self.send(&text)?;
                    interval = (interval * 2).min(T2);
                }
            }
        }
    }
}
