//! Creating one core's ring and proving, before any leg relies on it, that this kernel
//! and its policy let it do what the backend needs.

use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::Duration;

use io_uring::{cqueue, opcode, types, IoUring};

use super::buf_ring::BufRing;
use super::ring_size::{CQ_ENTRIES, RECV_BUFFERS, RECV_BUFFER_BYTES, SQ_ENTRIES};
use super::user_data::Token;
use super::{RecvHeader, BUFFER_GROUP};
use crate::UringSetupError;

/// A ring with its provided buffers registered.
pub(super) fn ring_with_buffers() -> Result<(IoUring, BufRing), UringSetupError> {
    let ring = IoUring::builder()
        .setup_cqsize(CQ_ENTRIES)
        .setup_coop_taskrun()
        .setup_taskrun_flag()
        .setup_submit_all()
        .build(SQ_ENTRIES)
        .map_err(|err| match err.raw_os_error() {
            Some(libc::EINVAL) => UringSetupError::KernelTooOld {
                feature: "cooperative task running (Linux 5.19)",
            },
            _ => UringSetupError::from_io("io_uring_setup", err),
        })?;
    if !ring.params().is_feature_ext_arg() {
        return Err(UringSetupError::KernelTooOld {
            feature: "timed waits (IORING_FEAT_EXT_ARG, Linux 5.11)",
        });
    }
    let buffers = BufRing::new(RECV_BUFFERS, RECV_BUFFER_BYTES)
        .map_err(|err| UringSetupError::from_io("mapping receive buffers", err))?;
    // SAFETY: the ring mapping holds `count` entries and lives in `BufRing`, which the
    // caller keeps alive for as long as the io_uring (see `UringIo`'s field order).
    unsafe {
        ring.submitter().register_buf_ring_with_flags(
            buffers.ring_addr(),
            buffers.count(),
            BUFFER_GROUP,
            0,
        )
    }
    .map_err(|err| match err.raw_os_error() {
        Some(libc::EINVAL) => UringSetupError::KernelTooOld {
            feature: "provided-buffer rings (Linux 5.19)",
        },
        _ => UringSetupError::from_io("registering the buffer ring", err),
    })?;
    buffers.publish();
    Ok((ring, buffers))
}

/// Arms a multishot `RecvMsg` on an unbound socket and cancels it: a kernel without
/// multishot receive (before 6.0) fails the receive with EINVAL instead of reporting it
/// cancelled, and a seccomp policy that lets setup through but not `io_uring_enter`
/// fails here too.
pub(super) fn check_multishot_recv(
    ring: &mut IoUring,
    header: &RecvHeader,
) -> Result<(), UringSetupError> {
    let probe = UdpSocket::bind("0.0.0.0:0")
        .or_else(|_| UdpSocket::bind("[::]:0"))
        .map_err(|err| UringSetupError::from_io("opening a probe socket", err))?;
    let recv_token = Token::Recv {
        port: 0,
        generation: u32::MAX,
    }
    .encode();
    let recv =
        opcode::RecvMsgMulti::new(types::Fd(probe.as_raw_fd()), header.as_ptr(), BUFFER_GROUP)
            .build()
            .user_data(recv_token);
    let cancel = opcode::AsyncCancel::new(recv_token)
        .build()
        .user_data(Token::Cancel.encode());
    // SAFETY: the receive's msghdr (`header`) and socket outlive the wait below, which
    // lasts until the receive has completed (cancelled or failed).
    unsafe {
        let mut sq = ring.submission();
        sq.push(&recv)
            .and_then(|()| sq.push(&cancel))
            .map_err(|_| UringSetupError::Other {
                step: "probing multishot receive",
                source: io::Error::other("submission queue full"),
            })?;
    }
    let timeout = types::Timespec::from(Duration::from_secs(1));
    let args = types::SubmitArgs::new().timespec(&timeout);
    let mut recv_result = None;
    for _ in 0..4 {
        match ring.submitter().submit_with_args(2, &args) {
            Ok(_) => {}
            Err(err) if matches!(err.raw_os_error(), Some(libc::ETIME | libc::EINTR)) => {}
            Err(err) => return Err(UringSetupError::from_io("io_uring_enter", err)),
        }
        for cqe in ring.completion() {
            if cqe.user_data() == recv_token && !cqueue::more(cqe.flags()) {
                recv_result = Some(cqe.result());
            }
        }
        if recv_result.is_some() {
            break;
        }
    }
    match recv_result {
        Some(result) if result == -libc::ECANCELED => Ok(()),
        Some(result) if result == -libc::EINVAL => Err(UringSetupError::KernelTooOld {
            feature: "multishot RecvMsg (Linux 6.0)",
        }),
        Some(result) => Err(UringSetupError::from_io(
            "probing multishot receive",
            io::Error::from_raw_os_error(-result),
        )),
        None => Err(UringSetupError::Other {
            step: "probing multishot receive",
            source: io::Error::from(io::ErrorKind::TimedOut),
        }),
    }
}
