//! When io_uring cannot be set up, `Auto` falls back to recvmmsg/sendmmsg (and works),
//! while asking for io_uring alone fails with an error that says what to change.
//!
//! The failure is real, not simulated: a seccomp filter on a fresh thread makes
//! `io_uring_setup` fail with EPERM or ENOSYS, as Docker's default profile does. The
//! filter binds only that thread (and it cannot be lifted), so the test runs there.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use medianode_dataplane::conference::InDatagram;
use medianode_netio::{ActiveBackend, IoBackendChoice, PacketIo, UringSetupError};

/// Makes `io_uring_setup` fail with `errno` for the calling thread from now on.
fn deny_io_uring_setup(errno: u32) {
    const SECCOMP_DATA_NR_OFFSET: u32 = 0;
    let filter = [
        // Load the system call number.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: SECCOMP_DATA_NR_OFFSET,
        },
        // io_uring_setup: fail with errno; anything else: allow.
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: libc::SYS_io_uring_setup as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | errno,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: plain prctl calls; `program` and the filter it points at outlive them (the
    // kernel copies the filter).
    unsafe {
        assert_eq!(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            0,
            "no_new_privs"
        );
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog
            ),
            0,
            "seccomp filter: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn falls_back_when_setup_fails(errno: u32, expected_words: &'static [&'static str]) {
    std::thread::spawn(move || {
        // Before the filter io_uring works here, so what follows is the filter's doing.
        assert_eq!(
            PacketIo::new(IoBackendChoice::Auto)
                .expect("auto")
                .backend(),
            ActiveBackend::IoUring
        );
        deny_io_uring_setup(errno);

        let err = PacketIo::new(IoBackendChoice::IoUring).expect_err("io_uring refused");
        let text = err.to_string();
        for word in expected_words {
            assert!(text.contains(word), "{word:?} in {text:?}");
        }
        let inner = err.get_ref().expect("inner error");
        assert!(inner.is::<UringSetupError>(), "{inner:?}");

        let mut io = PacketIo::new(IoBackendChoice::Auto).expect("auto falls back");
        assert_eq!(io.backend(), ActiveBackend::Mmsg);
        let local = io
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
        sender.send_to(b"still works", local).expect("send");
        let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let mut batch = vec![InDatagram::new(0, unspecified, vec![0u8; 1500], 0)];
        let end = Instant::now() + Duration::from_secs(5);
        let mut got = 0;
        while got == 0 && Instant::now() < end {
            got = io
                .recv_batch(&mut batch, Duration::from_millis(50))
                .expect("recv");
        }
        assert_eq!(got, 1);
        assert_eq!(batch[0].bytes(), b"still works");
        assert_eq!(
            batch[0].source,
            sender.local_addr().expect("sender address")
        );
    })
    .join()
    .expect("the filtered thread's checks pass");
}

#[test]
fn seccomp_eperm_falls_back_and_names_the_sysctl() {
    falls_back_when_setup_fails(
        libc::EPERM as u32,
        &["kernel.io_uring_disabled", "seccomp", "io_uring_setup"],
    );
}

#[test]
fn seccomp_enosys_falls_back_and_says_so() {
    falls_back_when_setup_fails(libc::ENOSYS as u32, &["not available", "seccomp"]);
}

#[test]
fn out_of_memory_error_says_what_to_raise() {
    // ENOMEM cannot be forced without limits that also stop the test harness; the
    // message is what an operator sees, so check it names the limit and an amount.
    let text = std::io::Error::from(UringSetupError::LockedMemory).to_string();
    assert!(text.contains("ulimit -l"), "{text}");
    assert!(text.contains("KiB per core"), "{text}");
}
