//! Dialogs (RFC 3261 sec. 12, RFC 6665 sec. 4.1.2 for subscriptions): the state two user
//! agents share after a 2xx (or a tagged 1xx) to INVITE or SUBSCRIBE, and the requests sent
//! inside it (BYE, re-INVITE, NOTIFY, REFER, INFO, and the ACK for a 2xx).
//!
//! A dialog is plain data plus the rules for changing it; it sends nothing itself. The
//! caller supplies the Via (with a fresh branch) for each request it builds and hands the
//! bytes to the transaction layer.

mod request;

#[cfg(test)]
mod tests;

use core::fmt;

pub use request::{write_cancel, ViaSpec};

use crate::sip::header::{AddressForm, Contact, KnownHeader, NameAddr};
use crate::sip::{Message, Method};

/// The identity of a dialog: Call-ID and both tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

/// Whether the dialog was created by a provisional or a final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a 1xx with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// Why a dialog could not be created or a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialogError {
    /// Only 101-299 responses to INVITE or SUBSCRIBE (or those requests themselves, on
    /// the UAS side) create dialogs.
    NotDialogCreating,
    /// The From or To tag the dialog needs is missing.
    MissingTag,
    /// The Contact giving the remote target is missing or not an address.
    MissingContact,
    /// A request whose CSeq is below the last one seen: answer 500 (RFC 3261 sec. 12.2.2).
    OutOfOrder {
        /// The CSeq of the request.
        got: u32,
        /// The last remote CSeq.
        last: u32,
    },
}

impl fmt::Display for DialogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDialogCreating => f.write_str("message does not create a dialog"),
            Self::MissingTag => f.write_str("From or To tag missing"),
            Self::MissingContact => f.write_str("Contact missing"),
            Self::OutOfOrder { got, last } => write!(f, "CSeq {got} below the last seen {last}"),
        }
    }
}

impl std::error::Error for DialogError {}

/// One dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    route_set: Vec<String>,
    local_seq: u32,
    remote_seq: Option<u32>,
    local_contact: Option<String>,
    secure: bool,
}

fn first_contact_uri<T: AsRef<[u8]>>(message: &Message<T>) -> Option<String> {
    message.contacts().find_map(|c| match c {
        Contact::Address(a) => Some(a.uri().as_str().to_string()),
        Contact::Wildcard => None,
    })
}

fn uri_of(address: Option<NameAddr<'_>>) -> String {
    address
        .map(|a| a.uri().as_str().to_string())
        .unwrap_or_default()
}

/// Requests that replace the remote target (RFC 3261 sec. 12.2, RFC 6665, RFC 3515).
fn is_target_refresh(method: Method<'_>) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

fn creates_dialog(method: Method<'_>) -> bool {
    matches!(method, Method::Invite | Method::Subscribe | Method::Refer)
}

impl Dialog {
    /// The UAC side: the dialog `response` (101-299, with a To tag) creates for the
    /// INVITE or SUBSCRIBE `request` we sent (RFC 3261 sec. 12.1.2).
    pub fn as_uac<T: AsRef<[u8]>, U: AsRef<[u8]>>(
        request: &Message<T>,
        response: &Message<U>,
    ) -> Result<Self, DialogError> {
        let code = response.status().unwrap_or(0);
        if !creates_dialog(request.method()) || !(101..300).contains(&code) {
            return Err(DialogError::NotDialogCreating);
        }
        let local_tag = request.from_tag().ok_or(DialogError::MissingTag)?;
        let remote_tag = response.to_tag().ok_or(DialogError::MissingTag)?;
        let remote_target = first_contact_uri(response);
        if code >= 200 && request.method() == Method::Invite && remote_target.is_none() {
            return Err(DialogError::MissingContact);
        }
        let mut route_set: Vec<String> = response
            .list_items(KnownHeader::RecordRoute)
            .map(str::to_string)
            .collect();
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id().to_string(),
                local_tag: local_tag.to_string(),
                remote_tag: remote_tag.to_string(),
            },
            state: if code >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_uri: uri_of(request.from()),
            remote_uri: uri_of(request.to()),
            remote_target: remote_target.unwrap_or_else(|| uri_of(request.to())),
            route_set,
            local_seq: request.cseq().number,
            remote_seq: None,
            local_contact: first_contact_uri(request),
            secure: request
                .request_uri()
                .is_some_and(|u| u.scheme().eq_ignore_ascii_case("sips")),
        })
    }

    /// The UAS side: the dialog we create by answering the INVITE, SUBSCRIBE or REFER
    /// (RFC 3515's implicit subscription) `request`
    /// with a 2xx carrying `local_tag` and our Contact `local_contact` (sec. 12.1.1).
    pub fn as_uas<T: AsRef<[u8]>>(
        request: &Message<T>,
        local_tag: &str,
        local_contact: &str,
    ) -> Result<Self, DialogError> {
        if !creates_dialog(request.method()) || !request.is_request() {
            return Err(DialogError::NotDialogCreating);
        }
        let remote_tag = request.from_tag().ok_or(DialogError::MissingTag)?;
        let remote_target = first_contact_uri(request).ok_or(DialogError::MissingContact)?;
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id().to_string(),
                local_tag: local_tag.to_string(),
                remote_tag: remote_tag.to_string(),
            },
            state: DialogState::Confirmed,
            local_uri: uri_of(request.to()),
            remote_uri: uri_of(request.from()),
            remote_target,
            route_set: request
                .list_items(KnownHeader::RecordRoute)
                .map(str::to_string)
                .collect(),
            local_seq: 0,
            remote_seq: Some(request.cseq().number),
            local_contact: Some(local_contact.to_string()),
            secure: request
                .request_uri()
                .is_some_and(|u| u.scheme().eq_ignore_ascii_case("sips")),
        })
    }

    /// The peer's URI (From of its requests, To of ours).
    pub fn remote_uri(&self) -> &str {
        &self.remote_uri
    }

    /// Our URI in the dialog.
    pub fn local_uri(&self) -> &str {
        &self.local_uri
    }

    /// The dialog's identity.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Early or confirmed.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Where in-dialog requests go (the peer's Contact).
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set, in the order requests carry it.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// The CSeq of the last request we sent.
    pub fn local_seq(&self) -> u32 {
        self.local_seq
    }

    /// The CSeq of the last request the peer sent, if any.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// True for a dialog established over SIPS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// True when `message` belongs to this dialog (Call-ID and both tags match, seen from
    /// the receiving side).
    pub fn matches<T: AsRef<[u8]>>(&self, message: &Message<T>) -> bool {
        let (ours, theirs) = if message.is_request() {
            (message.to_tag(), message.from_tag())
        } else {
            (message.from_tag(), message.to_tag())
        };
        message.call_id() == self.id.call_id
            && ours == Some(self.id.local_tag.as_str())
            && theirs == Some(self.id.remote_tag.as_str())
    }

    /// Applies a request received in the dialog: rejects one older than the last
    /// (answer 500), records its CSeq, and takes a new remote target from a target refresh.
    pub fn on_request<T: AsRef<[u8]>>(&mut self, request: &Message<T>) -> Result<(), DialogError> {
        let got = request.cseq().number;
        let method = request.method();
        if matches!(method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_seq {
            if got < last {
                return Err(DialogError::OutOfOrder { got, last });
            }
        }
        self.remote_seq = Some(got);
        if is_target_refresh(method) {
            if let Some(target) = first_contact_uri(request) {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// Applies a response to a request we sent in the dialog: a 2xx confirms an early
    /// dialog and, for a target refresh, replaces the remote target.
    pub fn on_response<T: AsRef<[u8]>>(&mut self, response: &Message<T>) {
        let code = response.status().unwrap_or(0);
        if !(200..300).contains(&code) {
            return;
        }
        self.state = DialogState::Confirmed;
        if is_target_refresh(response.cseq().method) {
            if let Some(target) = first_contact_uri(response) {
                self.remote_target = target;
            }
        }
    }

    /// Our Contact, sent with target refresh requests.
    pub fn local_contact(&self) -> Option<&str> {
        self.local_contact.as_deref()
    }

    /// Replaces our Contact (after a move to another address).
    pub fn set_local_contact(&mut self, contact: &str) {
        self.local_contact = Some(contact.to_string());
    }

    fn route_is_loose(route: &str) -> bool {
        NameAddr::parse(route, AddressForm::NameAddrOnly)
            .ok()
            .and_then(|a| a.uri().as_sip().map(|u| u.is_loose_route()))
            .unwrap_or(true)
    }
}
