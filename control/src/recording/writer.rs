//! The writer thread of one recording: takes the core's frames off a bounded queue, pages
//! them as Ogg Opus, seals the pages and writes them. It ends when the core lets go of the
//! queue (the recording stopped), with a final page and a final chunk.

use std::fs::File;
use std::io::{self, BufWriter};
use std::thread::JoinHandle;

use medianode_dataplane::conference::RecordedFrame;
use zeroize::Zeroizing;

use super::ogg_opus::OggOpusStream;
use super::sealed::{Sealer, KEY_LEN};

/// Starts the writer of `file`; its result is the number of frames written.
pub(crate) fn spawn(
    file: File,
    key: Zeroizing<[u8; KEY_LEN]>,
    serial: u32,
    frames: crossbeam_channel::Receiver<RecordedFrame>,
) -> io::Result<JoinHandle<io::Result<u64>>> {
    std::thread::Builder::new()
        .name("medianode-recorder".to_owned())
        .spawn(move || write(file, &key, serial, &frames))
}

fn write(
    file: File,
    key: &[u8; KEY_LEN],
    serial: u32,
    frames: &crossbeam_channel::Receiver<RecordedFrame>,
) -> io::Result<u64> {
    let mut sealer = Sealer::new(BufWriter::new(file), key)?;
    let mut stream = OggOpusStream::new(serial);
    sealer.chunk(&stream.headers(), false)?;
    let mut written = 0u64;
    for frame in frames {
        if let Some(page) = stream.push(&frame.payload, frame.samples) {
            sealer.chunk(&page, false)?;
        }
        written += 1;
    }
    sealer.chunk(&stream.finish(), true)?;
    let file = sealer
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(written)
}
