//! Socket buffer sizing: media arrives in bursts (a batch per wake-up, many legs at
//! once), and a kernel default of about 200 KiB drops them while a core is busy.

use std::io;
use std::os::fd::AsRawFd;

/// What [`PacketIo`](crate::PacketIo) and the [`reflector`](crate::reflector) ask for.
pub const DEFAULT_SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// Asks for `bytes` of receive and send buffer on `socket`. The kernel caps the request
/// at `net.core.rmem_max` / `wmem_max` (and doubles it for its bookkeeping); a refusal is
/// returned, a cap is not an error.
pub fn set_socket_buffers(socket: &impl AsRawFd, bytes: usize) -> io::Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    for option in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // SAFETY: `value` is a live c_int and the length passed is its size; a wrong
        // descriptor only makes the call fail.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
