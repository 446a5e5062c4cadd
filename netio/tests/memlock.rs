//! io_uring runs as a non-root user under the default 8 MiB `ulimit -l`, with rings for
//! several cores: the test runs itself again through `sh -c 'ulimit -l 8192; exec ...'`,
//! as user `nobody` when started as root.

use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::InDatagram;
use medianode_netio::{ActiveBackend, IoBackendChoice, PacketIo};

const CHILD_ENV: &str = "MEDIANODE_NETIO_MEMLOCK_CHILD";
const CORES: usize = 8;

/// What the child checks: `CORES` io_uring `PacketIo`s set up and each receives.
fn child_body() {
    // SAFETY: getuid and getrlimit only read the process's credentials and limits.
    let (uid, limit) = unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit), 0);
        (libc::getuid(), limit.rlim_cur)
    };
    assert_ne!(uid, 0, "the child runs as a non-root user");
    assert_eq!(limit, 8192 * 1024, "the child runs under ulimit -l 8192");
    let mut cores: Vec<PacketIo> = (0..CORES)
        .map(|_| PacketIo::new(IoBackendChoice::IoUring).expect("io_uring under 8 MiB"))
        .collect();
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
    for (i, io) in cores.iter_mut().enumerate() {
        assert_eq!(io.backend(), ActiveBackend::IoUring);
        let local = io
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        sender.send_to(&[i as u8; 64], local).expect("send");
        let mut batch = vec![InDatagram::new(0, unspecified, vec![0u8; 1500], 0)];
        let end = Instant::now() + Duration::from_secs(5);
        let mut got = 0;
        while got == 0 && Instant::now() < end {
            got = io
                .recv_batch(&mut batch, Duration::from_millis(50))
                .expect("recv");
        }
        assert_eq!(got, 1, "core {i} receives");
        assert_eq!(batch[0].bytes(), &[i as u8; 64]);
    }
}

#[test]
fn io_uring_runs_as_non_root_under_default_memlock() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child_body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -l 8192 && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args([
            "--exact",
            "io_uring_runs_as_non_root_under_default_memlock",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1");
    // SAFETY: getuid only reads the process's credentials.
    if unsafe { libc::getuid() } == 0 {
        // nobody:nogroup
        command.uid(65534).gid(65534);
    }
    let output = command.output().expect("run the child");
    assert!(
        output.status.success(),
        "child failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 passed"), "child ran the test: {stdout}");
}
