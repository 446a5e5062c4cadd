//! Fresh identifiers from the operating system's random source, for the I/O shell: Via
//! branches (RFC 3261 sec. 8.1.1.7, magic cookie first), From/To tags (sec. 19.3), Call-IDs,
//! and nonce salts and keys. The sans-IO core takes these as arguments and never draws
//! randomness itself, so its tests stay deterministic.

use core::fmt;

/// The operating system refused to give random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RandomError {
    /// The random source failed; carries the OS error code when there is one.
    Unavailable(Option<i32>),
}

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RandomError::Unavailable(Some(code)) => {
                write!(f, "random source unavailable (os error {code})")
            }
            RandomError::Unavailable(None) => f.write_str("random source unavailable"),
        }
    }
}

impl std::error::Error for RandomError {}

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError::Unavailable(e.raw_os_error()))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new Via branch: the magic cookie and 128 random bits.
pub fn new_branch() -> Result<String, RandomError> {
    Ok(format!(
        "{}{}",
        crate::sip::header::MAGIC_COOKIE,
        hex(&random_bytes::<16>()?)
    ))
}

/// A new From/To tag (64 random bits).
pub fn new_tag() -> Result<String, RandomError> {
    Ok(hex(&random_bytes::<8>()?))
}

/// A new Call-ID (128 random bits) `@host`.
pub fn new_call_id(host: &str) -> Result<String, RandomError> {
    Ok(format!("{}@{host}", hex(&random_bytes::<16>()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_their_shapes_and_differ() {
        let b = new_branch().unwrap();
        assert!(b.starts_with("z9hG4bK") && b.len() == 7 + 32);
        assert_ne!(b, new_branch().unwrap());
        assert_eq!(new_tag().unwrap().len(), 16);
        assert!(new_call_id("h.example").unwrap().ends_with("@h.example"));
    }
}
