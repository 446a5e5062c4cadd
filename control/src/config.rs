//! The node's configuration: embedded defaults, or a TOML file given with `--config`.
//!
//! Every key has a default, so `medianode` with no arguments runs on loopback. A file only
//! needs the keys it changes. Unknown keys and bad values are errors that name the key and
//! the line, because a typo in a telco's config must stop the node at start-up, not silently
//! fall back to a default. `control/medianode.example.toml` documents every key; a test keeps
//! it loadable.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod media;
mod pstn;
mod sip;

pub use media::MediaConfig;
pub use pstn::{PstnConfig, DEFAULT_NUMBER_PATTERN};
pub use sip::{
    is_conference_suite, is_user_name, PolicyConfig, SipConfig, SipReceive, UserConfig,
    IN_MEMORY_DATABASE,
};

/// The whole configuration of one node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Config {
    /// Per-core media runtime.
    pub runtime: RuntimeConfig,
    /// Media sockets and per-leg defaults.
    pub media: MediaConfig,
    /// The HTTP listener for `/healthz`, `/metrics` and the admin API.
    pub http: HttpConfig,
    /// Logging.
    pub log: LogConfig,
    /// The SIP server: transports, registrar, conference focus.
    pub sip: SipConfig,
    /// Users provisioned from the file (`[[users]]`); the admin API adds more.
    pub users: Vec<UserConfig>,
    /// The PSTN gateway (SIP trunk) that phone numbers are called through.
    pub pstn: PstnConfig,
    /// Conference recording (off without a directory).
    pub recording: crate::recording::RecordingConfig,
}

/// How many cores run media, and how each core's event loop does its I/O.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// Number of media cores; executor `i` is pinned to CPU `i`. Default: every online CPU.
    pub cores: usize,
    /// `auto` (io_uring when the kernel allows it, else a plain pinned thread with a log
    /// line), `io_uring` (fail if unavailable) or `threads` (never use io_uring).
    pub io_backend: IoBackend,
    /// Memory each core registers with io_uring, in KiB. It is locked memory, so it counts
    /// against `ulimit -l`; the default lets two cores run under the common 8 MiB limit.
    pub io_memory_kib: usize,
    /// The longest a core waits for packets before it looks at commands again, and how
    /// often it publishes counters and its heartbeat, in milliseconds.
    pub housekeeping_ms: u64,
}

/// The I/O backend of the per-core event loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IoBackend {
    /// io_uring (glommio) when available, otherwise threads.
    Auto,
    /// io_uring (glommio) only; start-up fails if the kernel or sandbox forbids it.
    IoUring,
    /// Plain pinned threads, no io_uring.
    Threads,
}

/// The operator HTTP listener.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Address of `/healthz`, `/metrics` and the admin API (`/v1/...`).
    pub listen: SocketAddr,
    /// How long an admin request waits for a core's answer before it gets 503, in ms.
    pub admin_timeout_ms: u64,
    /// Bearer token every admin API request (`/v1/...`) must carry. Required when
    /// `listen` is not a loopback address; without it a loopback node's API is open.
    pub admin_token: Option<String>,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `medianode_control=debug,info`; the `RUST_LOG`
    /// environment variable overrides it.
    pub filter: String,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cores: online_cpus(),
            io_backend: IoBackend::Auto,
            io_memory_kib: 512,
            housekeeping_ms: 10,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9100)),
            admin_timeout_ms: 2000,
            admin_token: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info".to_owned(),
        }
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("listen", &self.listen)
            .field("admin_timeout_ms", &self.admin_timeout_ms)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl HttpConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            key: "http.admin_token",
            reason,
        };
        match &self.admin_token {
            Some(token) if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) => Err(
                invalid("must be at least 16 printable characters without spaces".to_owned()),
            ),
            Some(_) => Ok(()),
            None if !self.listen.ip().is_loopback() => Err(invalid(format!(
                "is required when http.listen ({}) is not a loopback address: the admin \
                 API creates conferences and hands out keys",
                self.listen
            ))),
            None => Ok(()),
        }
    }
}

impl fmt::Display for IoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoBackend::Auto => "auto",
            IoBackend::IoUring => "io_uring",
            IoBackend::Threads => "threads",
        })
    }
}

/// The number of CPUs this process may run on.
pub fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Why a configuration could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, or a value of the wrong type. The
    /// message from the TOML reader names the key and shows the line.
    Parse {
        /// The file, or `<embedded>` for a string.
        origin: String,
        /// The reader's message, with line, column and key.
        message: String,
    },
    /// A value parsed but is outside what the node accepts.
    Invalid {
        /// Dotted key, e.g. `runtime.cores`.
        key: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read config file {}: {source}", path.display())
            }
            ConfigError::Parse { origin, message } => {
                write!(f, "invalid config {origin}: {}", message.trim_end())
            }
            ConfigError::Invalid { key, reason } => {
                write!(f, "invalid config key `{key}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Config {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values that the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let cpus = online_cpus();
        if self.runtime.cores == 0 || self.runtime.cores > cpus {
            return Err(ConfigError::Invalid {
                key: "runtime.cores",
                reason: format!(
                    "{} is out of range: this machine has {cpus} usable CPUs (1..={cpus})",
                    self.runtime.cores
                ),
            });
        }
        if !(64..=1024 * 1024).contains(&self.runtime.io_memory_kib) {
            return Err(ConfigError::Invalid {
                key: "runtime.io_memory_kib",
                reason: format!(
                    "{} is out of range (64..=1048576 KiB)",
                    self.runtime.io_memory_kib
                ),
            });
        }
        if !(1..=1000).contains(&self.runtime.housekeeping_ms) {
            return Err(ConfigError::Invalid {
                key: "runtime.housekeeping_ms",
                reason: format!(
                    "{} is out of range (1..=1000)",
                    self.runtime.housekeeping_ms
                ),
            });
        }
        if !(10..=60_000).contains(&self.http.admin_timeout_ms) {
            return Err(ConfigError::Invalid {
                key: "http.admin_timeout_ms",
                reason: format!(
                    "{} is out of range (10..=60000)",
                    self.http.admin_timeout_ms
                ),
            });
        }
        self.http.validate()?;
        self.media.validate(self.runtime.cores)?;
        self.sip.validate()?;
        self.pstn.validate()?;
        sip::validate_users(&self.users)?;
        if self
            .log
            .filter
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(ConfigError::Invalid {
                key: "log.filter",
                reason: format!("{:?} is not a valid tracing filter", self.log.filter),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_embedded_defaults() {
        let config = Config::from_toml_str("", "test").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.http.listen.to_string(), "127.0.0.1:9100");
        assert_eq!(config.runtime.io_backend, IoBackend::Auto);
    }

    #[test]
    fn the_example_file_documents_a_loadable_config() {
        let text = include_str!("../medianode.example.toml");
        let config = Config::from_toml_str(text, "medianode.example.toml").unwrap();
        assert_eq!(config.runtime.io_memory_kib, 512);
        assert_eq!(config.http.listen.port(), 9100);
        assert_eq!(config.http.admin_timeout_ms, 2000);
        assert_eq!(config.media, MediaConfig::default());
    }

    #[test]
    fn media_values_out_of_range_name_the_dotted_key() {
        for (text, key) in [
            ("[media]\nport_min = 0\n", "`media.port_min`"),
            (
                "[media]\nport_min = 30000\nport_max = 20000\n",
                "`media.port_min`",
            ),
            (
                "[runtime]\ncores = 1\n[media]\nrate_limit_pps = 0\n",
                "`media.rate_limit_pps`",
            ),
            (
                "[media]\nrate_limit_burst = 0\n",
                "`media.rate_limit_burst`",
            ),
            (
                "[media]\nmedia_timeout_ms = 1\n",
                "`media.media_timeout_ms`",
            ),
            ("[media]\nrecv_batch = 0\n", "`media.recv_batch`"),
            ("[http]\nadmin_timeout_ms = 0\n", "`http.admin_timeout_ms`"),
        ] {
            let err = Config::from_toml_str(text, "x").unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let err = Config::from_toml_str("[media]\nbind = \"localhost\"\n", "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bind"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err = Config::from_toml_str("[runtime]\ncores = 1\ncoers = 2\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("coers"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("x.toml"), "{err}");
    }

    #[test]
    fn an_unknown_section_is_named() {
        let err = Config::from_toml_str("[runtiem]\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("runtiem"), "{err}");
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_key() {
        let err = Config::from_toml_str("[http]\nlisten = \"not-an-address\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn an_unknown_io_backend_is_rejected() {
        let err = Config::from_toml_str("[runtime]\nio_backend = \"dpdk\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("io_backend"), "{err}");
    }

    #[test]
    fn out_of_range_values_name_the_dotted_key() {
        let err = Config::from_toml_str("[runtime]\ncores = 0\n", "x").unwrap_err();
        assert!(err.to_string().contains("`runtime.cores`"), "{err}");
        let err = Config::from_toml_str("[runtime]\ncores = 100000\n", "x").unwrap_err();
        assert!(err.to_string().contains("`runtime.cores`"), "{err}");
        let err = Config::from_toml_str("[runtime]\nio_memory_kib = 1\n", "x").unwrap_err();
        assert!(err.to_string().contains("`runtime.io_memory_kib`"), "{err}");
        let err = Config::from_toml_str("[log]\nfilter = \"=[\"\n", "x").unwrap_err();
        assert!(err.to_string().contains("`log.filter`"), "{err}");
    }

    #[test]
    fn the_admin_token_is_required_off_loopback_and_must_be_long() {
        let open = "[http]\nlisten = \"0.0.0.0:9100\"\n";
        let err = Config::from_toml_str(open, "x").unwrap_err();
        assert!(err.to_string().contains("`http.admin_token`"), "{err}");
        let short = "[http]\nadmin_token = \"short\"\n";
        let err = Config::from_toml_str(short, "x").unwrap_err();
        assert!(err.to_string().contains("`http.admin_token`"), "{err}");
        let guarded = "[http]\nlisten = \"0.0.0.0:9100\"\nadmin_token = \"0123456789abcdef\"\n";
        assert!(Config::from_toml_str(guarded, "x").is_ok());
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Config::from_file(Path::new("/nonexistent/medianode.toml")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/medianode.toml"),
            "{err}"
        );
    }
}
