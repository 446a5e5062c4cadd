//! Errors that stop a capture from being read or written at all (as opposed to a frame
//! that is merely skipped, see `SkipReason`).

use std::fmt;
use std::io;

/// A capture file could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum CaptureError {
    /// The underlying reader or writer failed.
    Io(io::Error),
    /// The input starts with neither a pcap nor a pcapng magic number.
    NotACapture,
    /// The file ends in the middle of a record (a capture cut short, e.g. by killing
    /// tcpdump); every frame before that point was delivered.
    TruncatedFile,
    /// The container is damaged: a record header or block is inconsistent.
    Malformed(&'static str),
    /// A pcap file holds a single link type; this frame has another.
    LinkTypeMismatch {
        /// The link type the pcap file was opened with.
        file: u32,
        /// The frame's link type.
        frame: u32,
    },
    /// The frame's payload cannot be replaced (see the message).
    Rewrite(&'static str),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(e) => write!(f, "capture I/O failed: {e}"),
            CaptureError::NotACapture => f.write_str("not a pcap or pcapng file"),
            CaptureError::TruncatedFile => {
                f.write_str("capture file ends in the middle of a packet record")
            }
            CaptureError::Malformed(why) => write!(f, "malformed capture: {why}"),
            CaptureError::LinkTypeMismatch { file, frame } => write!(
                f,
                "pcap file has link type {file} but the frame has link type {frame}; write pcapng instead"
            ),
            CaptureError::Rewrite(why) => write!(f, "cannot replace the UDP payload: {why}"),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for CaptureError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            CaptureError::TruncatedFile
        } else {
            CaptureError::Io(e)
        }
    }
}

impl From<pcap_file::PcapError> for CaptureError {
    fn from(e: pcap_file::PcapError) -> Self {
        use pcap_file::PcapError;
        match e {
            PcapError::IoError(io) => io.into(),
            PcapError::IncompleteBuffer => CaptureError::TruncatedFile,
            PcapError::InvalidField(why) => CaptureError::Malformed(why),
            PcapError::Utf8Error(_) | PcapError::FromUtf8Error(_) => {
                CaptureError::Malformed("option text is not UTF-8")
            }
            PcapError::InvalidInterfaceId(_) => {
                CaptureError::Malformed("packet refers to an undeclared interface")
            }
        }
    }
}
