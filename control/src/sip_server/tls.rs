//! The TLS server configuration of SIP over TLS (RFC 3261 sec. 26.2): the certificate
//! chain and private key from the PEM files `sip.tls_certificate` and
//! `sip.tls_private_key`, TLS 1.2 and 1.3 with rustls's safe defaults (ring), no client
//! certificates.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// Why the TLS configuration could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The certificate file is missing, unreadable or holds no certificate.
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file is missing, unreadable or holds no private key.
    PrivateKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (e.g. the key does not match the certificate).
    Refused(rustls::Error),
}

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Certificate { path, reason } => {
                write!(f, "sip.tls_certificate = {}: {reason}", path.display())
            }
            Self::PrivateKey { path, reason } => {
                write!(f, "sip.tls_private_key = {}: {reason}", path.display())
            }
            Self::Refused(e) => write!(f, "TLS certificate and key refused: {e}"),
        }
    }
}

impl std::error::Error for TlsSetupError {}

/// Loads the certificate chain and key and builds the server configuration.
pub fn server_config(certificate: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let cert_error = |reason: String| TlsSetupError::Certificate {
        path: certificate.to_owned(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no CERTIFICATE in the file".to_owned()));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::PrivateKey {
        path: key.to_owned(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Refused)?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(TlsSetupError::Refused)?;
    Ok(Arc::new(config))
}
