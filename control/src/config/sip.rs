//! The `[sip]` section, its `[sip.policy]` table and the `[[users]]` list: where the SIP
//! server listens, the names it answers to, its timers, where it keeps users and bindings,
//! and who may do what.
//!
//! The defaults run a loopback server: UDP and TCP on 127.0.0.1:5060, no TLS, users and
//! registrations in `./medianode.sqlite`. Keys (SDES `a=crypto`, the end-to-end conference
//! key) only travel over TLS unless `allow_plain_keys` says otherwise; left unset, plain
//! transports are allowed when every listener is on loopback (the node logs a warning).

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use medianode_dataplane::srtp::SrtpSuite;
use serde::Deserialize;

use super::ConfigError;
use crate::sip::focus::CONFERENCE_USER_PREFIX;

/// The value of `database` that keeps users and bindings in memory only.
pub const IN_MEMORY_DATABASE: &str = ":memory:";

/// The SIP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SipConfig {
    /// UDP listening addresses; empty for none.
    pub udp: Vec<SocketAddr>,
    /// TCP listening addresses; empty for none.
    pub tcp: Vec<SocketAddr>,
    /// TLS listening addresses (SIP over TLS, RFC 3261 sec. 26.2); empty for none.
    pub tls: Vec<SocketAddr>,
    /// PEM file with the TLS certificate chain, leaf first (required with `tls`).
    pub tls_certificate: Option<PathBuf>,
    /// PEM file with the TLS private key (PKCS#8, PKCS#1 or SEC1; required with `tls`).
    pub tls_private_key: Option<PathBuf>,
    /// The SIP domain: the digest realm and the host of conference URIs.
    pub domain: String,
    /// The user part of the conference factory URI, `sip:<factory_user>@<domain>`.
    pub factory_user: String,
    /// Whether SDES keys may travel over UDP and TCP. Unset: allowed when every listener
    /// is on loopback, refused otherwise.
    pub allow_plain_keys: Option<bool>,
    /// SQLite file for users and registrations, or `:memory:` to keep nothing across
    /// restarts.
    pub database: String,
    /// RFC 3261 T1 (round-trip estimate), in ms.
    pub t1_ms: u64,
    /// RFC 3261 T2 (longest retransmission interval), in ms.
    pub t2_ms: u64,
    /// RFC 3261 T4 (longest a message stays in the network), in ms.
    pub t4_ms: u64,
    /// Shortest registration accepted (shorter ones get 423 with Min-Expires), in s.
    pub min_expires: u32,
    /// Longest registration granted (longer ones are shortened), in s.
    pub max_expires: u32,
    /// Registration length when the request names none, in s.
    pub default_expires: u32,
    /// How long a digest nonce stays fresh before it is `stale`, in s.
    pub nonce_lifetime_secs: u64,
    /// Digest algorithms offered in challenges, preferred first: `SHA-256`, `MD5`.
    pub digest_algorithms: Vec<String>,
    /// Accept REGISTER without digest credentials, binding the address of record the `To`
    /// header names (benchmarks and closed test networks only). Off: REGISTER is
    /// authenticated like every other request that creates state.
    pub register_without_auth: bool,
    /// The SRTP suite of end-to-end conference keys (an SDES suite name).
    pub conference_suite: String,
    /// How long a conference created by the factory waits for its first participant, in s.
    pub empty_conference_secs: u64,
    /// How long an invitee's phones may ring before the focus CANCELs and reports 408, in s.
    pub invite_timeout_secs: u64,
    /// What SIP legs receive: `auto` (the mix for plain phones, the selected streams for
    /// endpoints that offer RTP/AVPF or RTP/SAVPF), `mix` or `streams`.
    pub receive: SipReceive,
    /// Loudest-N of conferences created through SIP.
    pub loudest_n: usize,
    /// Threads that carry conference and leg changes to the media cores, so a slow core
    /// never stalls signalling.
    pub media_workers: usize,
    /// Most TCP and TLS connections open at once; more are refused.
    pub max_connections: usize,
    /// Who may create, join, invite and watch.
    pub policy: PolicyConfig,
}

/// What a leg joined over SIP receives (`sip.receive`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SipReceive {
    /// The mix for plain SIP phones (RTP/AVP, RTP/SAVP), the selected talkers' streams
    /// for endpoints that offer feedback profiles (RTP/AVPF, RTP/SAVPF), as WebRTC
    /// endpoints and SFU-aware clients do. End-to-end conferences always forward.
    #[default]
    Auto,
    /// Every leg gets the mix (end-to-end conferences still forward).
    Mix,
    /// Every leg gets the selected streams.
    Streams,
}

/// Who may do what, by user name; `"*"` stands for every authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// May create conferences through the factory.
    pub create: Vec<String>,
    /// May join existing conferences.
    pub join: Vec<String>,
    /// May invite others into a conference.
    pub invite: Vec<String>,
    /// May watch a conference's participants or a user's presence.
    pub watch: Vec<String>,
    /// Supervisors: may subscribe to any conference's participant list without joining it
    /// (others must be in the conference). Nobody by default.
    pub supervise: Vec<String>,
}

/// One provisioned user: a name and either a password or stored HA1 values.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UserConfig {
    /// The user name (the user part of its address of record).
    pub name: String,
    /// The password; the node keeps only the HA1 values it derives for the realm.
    pub password: Option<String>,
    /// `MD5(name:realm:password)` in hex, instead of a password.
    pub ha1_md5: Option<String>,
    /// `SHA-256(name:realm:password)` in hex, instead of a password.
    pub ha1_sha256: Option<String>,
}

impl fmt::Debug for UserConfig {
    /// Names the user and which secrets it has, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |set: bool| if set { "<redacted>" } else { "<none>" };
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("password", &hidden(self.password.is_some()))
            .field("ha1_md5", &hidden(self.ha1_md5.is_some()))
            .field("ha1_sha256", &hidden(self.ha1_sha256.is_some()))
            .finish()
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 5060));
        SipConfig {
            udp: vec![loopback],
            tcp: vec![loopback],
            tls: Vec::new(),
            tls_certificate: None,
            tls_private_key: None,
            domain: "localhost".to_owned(),
            factory_user: "conference".to_owned(),
            allow_plain_keys: None,
            database: "medianode.sqlite".to_owned(),
            t1_ms: 500,
            t2_ms: 4000,
            t4_ms: 5000,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            nonce_lifetime_secs: 300,
            digest_algorithms: vec!["SHA-256".to_owned(), "MD5".to_owned()],
            register_without_auth: false,
            conference_suite: "AES_CM_128_HMAC_SHA1_80".to_owned(),
            empty_conference_secs: 60,
            invite_timeout_secs: 30,
            receive: SipReceive::Auto,
            loudest_n: 3,
            media_workers: 4,
            max_connections: 4096,
            policy: PolicyConfig::default(),
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let everyone = vec!["*".to_owned()];
        PolicyConfig {
            create: everyone.clone(),
            join: everyone.clone(),
            invite: everyone.clone(),
            watch: everyone,
            supervise: Vec::new(),
        }
    }
}

/// Whether `name` is a valid user name: 1 to 64 unreserved URI characters that need no
/// escaping (A-Z a-z 0-9 - _ . + ~).
pub fn is_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+~".contains(&b))
}

fn is_hex_of_len(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl SipConfig {
    /// True when the server listens on nothing.
    pub fn is_disabled(&self) -> bool {
        self.udp.is_empty() && self.tcp.is_empty() && self.tls.is_empty()
    }

    /// Every listening address.
    pub fn listeners(&self) -> impl Iterator<Item = &SocketAddr> {
        self.udp.iter().chain(&self.tcp).chain(&self.tls)
    }

    /// Whether keys may travel over UDP and TCP: the configured value, or, when unset,
    /// whether every listener is on loopback.
    pub fn plain_keys_allowed(&self) -> bool {
        self.allow_plain_keys
            .unwrap_or_else(|| self.listeners().all(|addr| addr.ip().is_loopback()))
    }

    /// The suite of end-to-end conference keys (`conference_suite`, checked at load).
    pub fn conference_suite(&self) -> SrtpSuite {
        SrtpSuite::from_sdes_name(&self.conference_suite).unwrap_or(SrtpSuite::AesCm128HmacSha1_80)
    }

    /// Checks what the types alone cannot.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, reason: String| ConfigError::Invalid { key, reason };
        for (key, list) in [
            ("sip.udp", &self.udp),
            ("sip.tcp", &self.tcp),
            ("sip.tls", &self.tls),
        ] {
            let mut seen = HashSet::new();
            for addr in list {
                if !seen.insert(addr) {
                    return Err(invalid(key, format!("{addr} is listed twice")));
                }
            }
        }
        if !self.tls.is_empty() {
            if self.tls_certificate.is_none() {
                return Err(invalid(
                    "sip.tls_certificate",
                    "is required when sip.tls lists addresses".to_owned(),
                ));
            }
            if self.tls_private_key.is_none() {
                return Err(invalid(
                    "sip.tls_private_key",
                    "is required when sip.tls lists addresses".to_owned(),
                ));
            }
        }
        let domain_ok = !self.domain.is_empty()
            && self.domain.len() <= 253
            && self
                .domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !domain_ok {
            return Err(invalid(
                "sip.domain",
                format!("{:?} is not a host name or address", self.domain),
            ));
        }
        if !is_user_name(&self.factory_user)
            || self.factory_user.starts_with(CONFERENCE_USER_PREFIX)
        {
            return Err(invalid(
                "sip.factory_user",
                format!(
                    "{:?} must be 1 to 64 of A-Z a-z 0-9 - _ . + ~ and not start with \
                     {CONFERENCE_USER_PREFIX:?} (conference URIs do)",
                    self.factory_user
                ),
            ));
        }
        if self.database.trim().is_empty() {
            return Err(invalid(
                "sip.database",
                "must name a file (or \":memory:\")".to_owned(),
            ));
        }
        for (key, value) in [
            ("sip.t1_ms", self.t1_ms),
            ("sip.t2_ms", self.t2_ms),
            ("sip.t4_ms", self.t4_ms),
        ] {
            if !(10..=60_000).contains(&value) {
                return Err(invalid(
                    key,
                    format!("{value} is out of range (10..=60000)"),
                ));
            }
        }
        if self.t2_ms < self.t1_ms {
            return Err(invalid(
                "sip.t2_ms",
                format!("{} must be at least sip.t1_ms ({})", self.t2_ms, self.t1_ms),
            ));
        }
        if self.min_expires == 0 || self.min_expires > self.max_expires {
            return Err(invalid(
                "sip.min_expires",
                format!(
                    "{} must be at least 1 and at most sip.max_expires ({})",
                    self.min_expires, self.max_expires
                ),
            ));
        }
        if !(self.min_expires..=self.max_expires).contains(&self.default_expires) {
            return Err(invalid(
                "sip.default_expires",
                format!(
                    "{} must lie within sip.min_expires..=sip.max_expires ({}..={})",
                    self.default_expires, self.min_expires, self.max_expires
                ),
            ));
        }
        if !(10..=86_400).contains(&self.nonce_lifetime_secs) {
            return Err(invalid(
                "sip.nonce_lifetime_secs",
                format!("{} is out of range (10..=86400)", self.nonce_lifetime_secs),
            ));
        }
        let mut algorithms = HashSet::new();
        for name in &self.digest_algorithms {
            if !matches!(name.as_str(), "SHA-256" | "MD5") || !algorithms.insert(name.as_str()) {
                return Err(invalid(
                    "sip.digest_algorithms",
                    format!(
                        "{name:?} is unknown or repeated (expected \"SHA-256\" and/or \"MD5\")"
                    ),
                ));
            }
        }
        if algorithms.is_empty() {
            return Err(invalid(
                "sip.digest_algorithms",
                "must offer at least one algorithm".to_owned(),
            ));
        }
        match SrtpSuite::from_sdes_name(&self.conference_suite) {
            Some(suite) if is_conference_suite(suite) => {}
            _ => {
                return Err(invalid(
                    "sip.conference_suite",
                    format!(
                        "{:?} is not a suite for conference keys (e.g. AES_CM_128_HMAC_SHA1_80, \
                         AEAD_AES_128_GCM)",
                        self.conference_suite
                    ),
                ))
            }
        }
        if !(1..=3600).contains(&self.empty_conference_secs) {
            return Err(invalid(
                "sip.empty_conference_secs",
                format!("{} is out of range (1..=3600)", self.empty_conference_secs),
            ));
        }
        if !(1..=300).contains(&self.invite_timeout_secs) {
            return Err(invalid(
                "sip.invite_timeout_secs",
                format!("{} is out of range (1..=300)", self.invite_timeout_secs),
            ));
        }
        if !(1..=64).contains(&self.loudest_n) {
            return Err(invalid(
                "sip.loudest_n",
                format!("{} is out of range (1..=64)", self.loudest_n),
            ));
        }
        if !(1..=64).contains(&self.media_workers) {
            return Err(invalid(
                "sip.media_workers",
                format!("{} is out of range (1..=64)", self.media_workers),
            ));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(invalid(
                "sip.max_connections",
                format!("{} is out of range (1..=1000000)", self.max_connections),
            ));
        }
        self.policy.validate()
    }
}

/// Suites a conference key may use: every SDES suite that encrypts and authenticates.
pub fn is_conference_suite(suite: SrtpSuite) -> bool {
    !matches!(
        suite,
        SrtpSuite::NullHmacSha1_80
            | SrtpSuite::NullHmacSha1_32
            | SrtpSuite::NullCipherNullAuth
            | SrtpSuite::AesF8_128HmacSha1_80
    )
}

impl PolicyConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for (key, names) in [
            ("sip.policy.create", &self.create),
            ("sip.policy.join", &self.join),
            ("sip.policy.invite", &self.invite),
            ("sip.policy.watch", &self.watch),
            ("sip.policy.supervise", &self.supervise),
        ] {
            if let Some(bad) = names.iter().find(|n| *n != "*" && !is_user_name(n)) {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("{bad:?} is neither \"*\" nor a user name"),
                });
            }
        }
        Ok(())
    }
}

/// Checks the `[[users]]` list.
pub(super) fn validate_users(users: &[UserConfig]) -> Result<(), ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        key: "users",
        reason,
    };
    let mut names = HashSet::new();
    for (index, user) in users.iter().enumerate() {
        let at = format!("[[users]] entry {} ({:?})", index + 1, user.name);
        if !is_user_name(&user.name) {
            return Err(invalid(format!(
                "{at}: the name must be 1 to 64 of A-Z a-z 0-9 - _ . + ~"
            )));
        }
        if !names.insert(user.name.as_str()) {
            return Err(invalid(format!("{at}: the name is used twice")));
        }
        let has_ha1 = user.ha1_md5.is_some() || user.ha1_sha256.is_some();
        match (&user.password, has_ha1) {
            (Some(_), true) => {
                return Err(invalid(format!(
                    "{at}: give either password or ha1_md5/ha1_sha256, not both"
                )))
            }
            (None, false) => {
                return Err(invalid(format!(
                    "{at}: needs a password, or ha1_md5 and/or ha1_sha256"
                )))
            }
            (Some(password), false) if password.is_empty() => {
                return Err(invalid(format!("{at}: the password is empty")))
            }
            _ => {}
        }
        if user
            .ha1_md5
            .as_deref()
            .is_some_and(|h| !is_hex_of_len(h, 32))
        {
            return Err(invalid(format!("{at}: ha1_md5 must be 32 hex digits")));
        }
        if user
            .ha1_sha256
            .as_deref()
            .is_some_and(|h| !is_hex_of_len(h, 64))
        {
            return Err(invalid(format!("{at}: ha1_sha256 must be 64 hex digits")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn error_of(text: &str) -> String {
        Config::from_toml_str(text, "x").unwrap_err().to_string()
    }

    #[test]
    fn defaults_listen_on_loopback_and_allow_plain_keys_there() {
        let sip = SipConfig::default();
        assert!(sip.plain_keys_allowed());
        assert!(!sip.is_disabled());
        let public = SipConfig {
            udp: vec!["192.0.2.1:5060".parse().unwrap()],
            ..SipConfig::default()
        };
        assert!(!public.plain_keys_allowed());
        let forced = SipConfig {
            allow_plain_keys: Some(true),
            ..public
        };
        assert!(forced.plain_keys_allowed());
    }

    #[test]
    fn the_example_file_shows_the_sip_defaults() {
        let text = include_str!("../../medianode.example.toml");
        let config = Config::from_toml_str(text, "medianode.example.toml").unwrap();
        assert_eq!(config.sip, SipConfig::default());
        assert!(config.users.is_empty());
    }

    #[test]
    fn register_is_authenticated_unless_the_config_opens_it() {
        assert!(!SipConfig::default().register_without_auth);
        let open = Config::from_toml_str("[sip]\nregister_without_auth = true\n", "x").unwrap();
        assert!(open.sip.register_without_auth);
        let err = error_of("[sip]\nregister_without_auth = \"yes\"\n");
        assert!(err.contains("register_without_auth"), "{err}");
    }

    #[test]
    fn bad_sip_values_name_their_key() {
        for (text, key) in [
            (
                "[sip]\ntls = [\"127.0.0.1:5061\"]\n",
                "`sip.tls_certificate`",
            ),
            ("[sip]\ndomain = \"a b\"\n", "`sip.domain`"),
            ("[sip]\nfactory_user = \"conf-1\"\n", "`sip.factory_user`"),
            ("[sip]\nt1_ms = 0\n", "`sip.t1_ms`"),
            ("[sip]\nt1_ms = 900\nt2_ms = 800\n", "`sip.t2_ms`"),
            ("[sip]\nmin_expires = 0\n", "`sip.min_expires`"),
            ("[sip]\ndefault_expires = 10\n", "`sip.default_expires`"),
            (
                "[sip]\ndigest_algorithms = [\"SHA-1\"]\n",
                "`sip.digest_algorithms`",
            ),
            ("[sip]\ndigest_algorithms = []\n", "`sip.digest_algorithms`"),
            (
                "[sip]\nconference_suite = \"NULL_HMAC_SHA1_80\"\n",
                "`sip.conference_suite`",
            ),
            ("[sip]\nmedia_workers = 0\n", "`sip.media_workers`"),
            ("[sip]\ndatabase = \"\"\n", "`sip.database`"),
            ("[sip.policy]\njoin = [\"a b\"]\n", "`sip.policy.join`"),
            (
                "[sip]\nudp = [\"127.0.0.1:5060\", \"127.0.0.1:5060\"]\n",
                "`sip.udp`",
            ),
        ] {
            let err = error_of(text);
            assert!(err.contains(key), "{text}: {err}");
        }
        let err = error_of("[sip]\nudpp = []\n");
        assert!(err.contains("udpp") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn users_need_exactly_one_kind_of_secret_and_unique_names() {
        let ok = Config::from_toml_str(
            "[[users]]\nname = \"alice\"\npassword = \"s3cret\"\n\
             [[users]]\nname = \"bob\"\nha1_md5 = \"0123456789abcdef0123456789abcdef\"\n",
            "x",
        )
        .unwrap();
        assert_eq!(ok.users.len(), 2);
        assert!(!format!("{:?}", ok.users[0]).contains("s3cret"));
        for text in [
            "[[users]]\nname = \"alice\"\n",
            "[[users]]\nname = \"alice\"\npassword = \"x\"\nha1_md5 = \"00\"\n",
            "[[users]]\nname = \"alice\"\nha1_md5 = \"00\"\n",
            "[[users]]\nname = \"alice\"\nha1_sha256 = \"0123456789abcdef0123456789abcdef\"\n",
            "[[users]]\nname = \"a@b\"\npassword = \"x\"\n",
            "[[users]]\nname = \"a\"\npassword = \"x\"\n[[users]]\nname = \"a\"\npassword = \"y\"\n",
        ] {
            let err = error_of(text);
            assert!(err.contains("`users`"), "{text}: {err}");
        }
    }
}
