//! One conference as the focus keeps it: how its media is keyed, which codec it speaks,
//! how many members it has.
//!
//! The end-to-end key handover is described in the focus's module documentation.

use std::collections::HashMap;
use std::time::Instant;

use medianode_dataplane::conference::MixerKey;
use medianode_dataplane::srtp::{
    ConferenceKey, MasterKey, SdesCrypto, SdesKey, SrtpPolicy, SrtpSuite,
};

use super::Entropy;
use crate::sip::sdp::CodecLock;

/// The name of the header that hands over an end-to-end conference key.
pub const CONFERENCE_KEY_HEADER: &str = "Conference-Key";

/// How a conference's media is protected.
#[derive(Debug)]
pub enum Keying {
    /// Each leg negotiates its own SDES keys (or none); the node decrypts and re-encrypts.
    HopByHop,
    /// One conference key for every sender; the node forwards ciphertext untouched.
    EndToEnd(Box<EndToEndKey>),
}

/// An end-to-end conference's key and the SSRCs handed out under it.
///
/// Besides the participants' SSRCs it claims the ones the node's mixer sends under: a few
/// for the shared mix streams, handed to the core with the key ([`Self::mixer_key`]), and
/// one per leg that receives the mix, for that leg's mix-minus ([`Self::claim_mix_minus`]).
/// A re-key claims all of those again under the new key ([`Self::successor`]), since the
/// core keeps sending under them.
#[derive(Debug)]
pub struct EndToEndKey {
    key: SdesKey,
    claims: ConferenceKey,
    /// SSRCs handed to each user and not yet used to join.
    handed: HashMap<String, Vec<u32>>,
    /// The mixer's shared-stream SSRCs.
    mixer_shared: Vec<u32>,
    /// The mix-minus SSRCs given to legs.
    mixer_minus: Vec<u32>,
}

/// Most SSRCs one user may hold unused (handed out but not yet joined with).
const MAX_UNUSED_PER_USER: usize = 8;

/// SSRCs claimed for the mixer's shared streams: one per codec, packet time and payload
/// type that end-to-end listeners of the mix use at once.
const MIXER_SHARED_SSRCS: usize = 4;

impl EndToEndKey {
    /// A fresh key of `suite`.
    pub fn generate(suite: SrtpSuite, entropy: &mut dyn Entropy) -> Option<EndToEndKey> {
        let mut material = zeroize::Zeroizing::new(vec![0u8; suite.key_salt_len()]);
        entropy.fill(&mut material);
        let master = MasterKey::from_key_salt(suite, &material).ok()?;
        let claims = ConferenceKey::new(SrtpPolicy::new(master.clone()));
        Some(EndToEndKey {
            key: SdesKey::new(master),
            claims,
            handed: HashMap::new(),
            mixer_shared: Vec::new(),
            mixer_minus: Vec::new(),
        })
    }

    /// A fresh key of the same suite that takes over the mixer's SSRCs (claimed again
    /// under it), for a re-key.
    pub fn successor(&self, entropy: &mut dyn Entropy) -> Option<EndToEndKey> {
        let mut next = EndToEndKey::generate(self.key.master_key.suite(), entropy)?;
        for &ssrc in self.mixer_shared.iter().chain(&self.mixer_minus) {
            next.claims.claim_ssrc(ssrc).ok()?;
        }
        next.mixer_shared = self.mixer_shared.clone();
        next.mixer_minus = self.mixer_minus.clone();
        Some(next)
    }

    /// The key for the conference's mixer, with the SSRCs of its shared streams (claimed
    /// on the first call).
    pub fn mixer_key(&mut self, entropy: &mut dyn Entropy) -> Option<MixerKey> {
        while self.mixer_shared.len() < MIXER_SHARED_SSRCS {
            let ssrc = self.claim_ssrc(entropy)?;
            self.mixer_shared.push(ssrc);
        }
        let policy = SrtpPolicy::new(self.key.master_key.clone());
        Some(MixerKey::new(policy, self.mixer_shared.clone()))
    }

    /// Claims the SSRC a new mix leg's mix-minus is sent under.
    pub fn claim_mix_minus(&mut self, entropy: &mut dyn Entropy) -> Option<u32> {
        let ssrc = self.claim_ssrc(entropy)?;
        self.mixer_minus.push(ssrc);
        Some(ssrc)
    }

    /// Claims a new SSRC, never handed out under this key before.
    pub fn claim_ssrc(&mut self, entropy: &mut dyn Entropy) -> Option<u32> {
        let candidates: Vec<u32> = (0..16).map(|_| entropy.next_u64() as u32).collect();
        let claim = self.claims.claim_unused_ssrc(candidates).ok()?;
        Some(claim.ssrc())
    }

    /// Claims a new SSRC for `user` and returns the `Conference-Key` header value.
    pub fn hand_over(&mut self, user: &str, entropy: &mut dyn Entropy) -> Option<String> {
        let ssrc = self.claim_ssrc(entropy)?;
        let unused = self.handed.entry(user.to_owned()).or_default();
        if unused.len() >= MAX_UNUSED_PER_USER {
            unused.remove(0);
        }
        unused.push(ssrc);
        Some(format!(
            "{} {};ssrc={ssrc}",
            self.key.master_key.suite(),
            self.key
        ))
    }

    /// Whether `user` was handed any SSRC it has not joined with yet.
    pub fn has_unused(&self, user: &str) -> bool {
        self.handed.get(user).is_some_and(|v| !v.is_empty())
    }

    /// Whether the offered key is the conference key.
    pub fn is_key(&self, offered: &SdesCrypto) -> bool {
        offers_key(offered, &self.key)
    }

    /// Uses `ssrc`, if it was handed to `user` and not used yet.
    pub fn use_ssrc(&mut self, user: &str, ssrc: u32) -> bool {
        match self.handed.get_mut(user) {
            Some(unused) => match unused.iter().position(|&s| s == ssrc) {
                Some(at) => {
                    unused.remove(at);
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// The key as SDES writes it (secret).
    pub fn sdes_key(&self) -> &SdesKey {
        &self.key
    }
}

/// Whether `offered` carries exactly `key` (suite, master key and salt).
pub fn offers_key(offered: &SdesCrypto, key: &SdesKey) -> bool {
    let ours = &key.master_key;
    offered.suite == ours.suite()
        && offered.keys.first().is_some_and(|k| {
            k.master_key.key_bytes() == ours.key_bytes()
                && k.master_key.salt_bytes() == ours.salt_bytes()
        })
}

/// One conference.
#[derive(Debug)]
pub struct FocusConference {
    /// Its keying.
    pub keying: Keying,
    /// The codec its first participant chose.
    pub lock: Option<CodecLock>,
    /// Participants in the conference or on their way in (so it does not end under them).
    pub members: usize,
    /// When it ends if still nobody has joined.
    pub empty_deadline: Option<Instant>,
    /// Whether the focus created it (and so ends it with its last member); a conference
    /// adopted from the admin API is only forgotten, its other legs stay.
    pub created_here: bool,
    /// The stored record of a persistent conference (members leaving do not end it).
    pub room: Option<Box<super::room::Room>>,
}

impl FocusConference {
    /// A conference the focus created, without members yet.
    pub fn new(keying: Keying, empty_deadline: Option<Instant>) -> FocusConference {
        FocusConference {
            keying,
            lock: None,
            members: 0,
            empty_deadline,
            created_here: true,
            room: None,
        }
    }

    /// A conference the admin API created, joined through SIP.
    pub fn adopted() -> FocusConference {
        FocusConference {
            created_here: false,
            ..FocusConference::new(Keying::HopByHop, None)
        }
    }

    /// Whether it is end-to-end.
    pub fn is_end_to_end(&self) -> bool {
        matches!(self.keying, Keying::EndToEnd(_))
    }
}
