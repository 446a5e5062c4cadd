//! Why io_uring could not be set up, each case saying what the operator can change.

use core::fmt;
use std::io;

use super::ring_size::LOCKED_BYTES;

/// Why the io_uring backend could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum UringSetupError {
    /// `io_uring_setup` was refused (EPERM): the `kernel.io_uring_disabled` sysctl or a
    /// seccomp profile (Docker's default one) forbids io_uring.
    NotPermitted,
    /// The kernel has no io_uring, or a seccomp profile answers ENOSYS for it.
    NotImplemented,
    /// The rings could not be allocated or pinned within the locked-memory limit.
    LockedMemory,
    /// The kernel lacks a feature this backend needs.
    KernelTooOld {
        /// The feature, and the kernel version that brought it.
        feature: &'static str,
    },
    /// Another failure of a setup step.
    Other {
        /// The step that failed.
        step: &'static str,
        /// The kernel's error.
        source: io::Error,
    },
}

impl UringSetupError {
    /// Classifies the error of setup `step`.
    pub(crate) fn from_io(step: &'static str, err: io::Error) -> Self {
        match err.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => Self::NotPermitted,
            Some(libc::ENOSYS) => Self::NotImplemented,
            Some(libc::ENOMEM) => Self::LockedMemory,
            _ => Self::Other { step, source: err },
        }
    }
}

impl From<UringSetupError> for io::Error {
    /// An `io::Error` of a fitting kind that carries the setup error (its text is the
    /// setup error's).
    fn from(err: UringSetupError) -> Self {
        let kind = match err {
            UringSetupError::NotPermitted => io::ErrorKind::PermissionDenied,
            UringSetupError::NotImplemented | UringSetupError::KernelTooOld { .. } => {
                io::ErrorKind::Unsupported
            }
            UringSetupError::LockedMemory => io::ErrorKind::OutOfMemory,
            UringSetupError::Other { .. } => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

impl fmt::Display for UringSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPermitted => f.write_str(
                "io_uring is not permitted: set the sysctl kernel.io_uring_disabled to 0 \
                 (or to 1 with this user in kernel.io_uring_group), and where a seccomp \
                 profile applies (Docker's default) allow io_uring_setup, io_uring_enter and \
                 io_uring_register; or choose the recvmmsg backend",
            ),
            Self::NotImplemented => f.write_str(
                "io_uring is not available: the kernel lacks it (Linux 6.0 or newer is \
                 needed) or a seccomp profile hides it; allow io_uring_setup, \
                 io_uring_enter and io_uring_register, or choose the recvmmsg backend",
            ),
            Self::LockedMemory => write!(
                f,
                "io_uring could not lock its ring memory: raise the locked-memory limit \
                 (ulimit -l, LimitMEMLOCK= in a systemd unit, memlock in limits.conf) by \
                 {} KiB per core, or choose the recvmmsg backend",
                LOCKED_BYTES.div_ceil(1024)
            ),
            Self::KernelTooOld { feature } => write!(
                f,
                "io_uring lacks {feature}: upgrade the kernel or choose the recvmmsg backend"
            ),
            Self::Other { step, source } => write!(f, "io_uring setup failed at {step}: {source}"),
        }
    }
}

impl std::error::Error for UringSetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Other { source, .. } => Some(source),
            _ => None,
        }
    }
}
