//! `std::net::SocketAddr` to and from the C socket address the kernel reads and writes.

use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Room for an IPv4 or IPv6 socket address, as `msg_name` of a `msghdr`.
pub(crate) type RawSockAddr = libc::sockaddr_storage;

/// An all-zero address buffer (family `AF_UNSPEC`).
pub(crate) fn empty() -> RawSockAddr {
    // SAFETY: sockaddr_storage is plain old data (integers and byte arrays); all-zero is a
    // valid value of it.
    unsafe { mem::zeroed() }
}

/// Writes `addr` into `raw` and returns the length the kernel is to read.
pub(crate) fn write(addr: SocketAddr, raw: &mut RawSockAddr) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and aligned at least as
            // strictly (it is made to hold any socket address), so the cast pointer is
            // valid and aligned for one sockaddr_in write.
            unsafe {
                (raw as *mut RawSockAddr)
                    .cast::<libc::sockaddr_in>()
                    .write(sin)
            };
            mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above, sockaddr_storage holds and aligns a sockaddr_in6.
            unsafe {
                (raw as *mut RawSockAddr)
                    .cast::<libc::sockaddr_in6>()
                    .write(sin6)
            };
            mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

/// Reads the address the kernel wrote into `raw` (`len` bytes of it); `None` for another
/// family or a short address.
pub(crate) fn read(raw: &RawSockAddr, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match i32::from(raw.ss_family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large
            // and aligned enough for; every bit pattern is a valid sockaddr_in.
            let sin = unsafe { &*(raw as *const RawSockAddr).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for a sockaddr_in6.
            let sin6 = unsafe { &*(raw as *const RawSockAddr).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Reads a socket address from the first bytes of `bytes` (a name the kernel copied into
/// a receive buffer, which need not be aligned).
pub(crate) fn read_unaligned(bytes: &[u8]) -> Option<SocketAddr> {
    let mut raw = empty();
    let take = bytes.len().min(mem::size_of::<RawSockAddr>());
    let src = bytes.get(..take)?;
    // SAFETY: `take` bytes fit in the storage (bounded by its size above) and in `src`;
    // the two do not overlap (one is a fresh local); any bytes make a valid storage.
    unsafe {
        std::ptr::copy_nonoverlapping(
            src.as_ptr(),
            (&mut raw as *mut RawSockAddr).cast::<u8>(),
            take,
        );
    }
    read(&raw, take as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_v4_and_v6() {
        for text in [
            "127.0.0.1:4000",
            "[::1]:5000",
            "[fe80::1%3]:6000",
            "10.1.2.3:1",
        ] {
            let addr: SocketAddr = text.parse().expect("address");
            let mut raw = empty();
            let len = write(addr, &mut raw);
            assert_eq!(read(&raw, len), Some(addr), "{text}");
            // SAFETY: viewing the storage's bytes; it is plain old data.
            let bytes = unsafe {
                std::slice::from_raw_parts((&raw as *const RawSockAddr).cast::<u8>(), len as usize)
            };
            assert_eq!(read_unaligned(bytes), Some(addr), "{text}");
        }
    }

    #[test]
    fn refuses_unknown_family_and_short_names() {
        let raw = empty();
        assert_eq!(read(&raw, 128), None);
        let mut raw = empty();
        let len = write("127.0.0.1:9".parse().expect("address"), &mut raw);
        assert_eq!(read(&raw, len - 1), None);
        assert_eq!(read_unaligned(&[2, 0, 0]), None);
    }
}
