//! The real `medianode` binary as an operator runs it: start-up on a config, `/healthz` and
//! `/metrics`, clean stop on SIGTERM and SIGINT, config errors that name the key, and
//! io_uring as a non-root user under a default `ulimit -l`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_medianode");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory every user can read, so the node can run as `nobody`.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medianode-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("medianode.toml");
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

fn config_body(port: u16, cores: usize, backend: &str) -> String {
    format!(
        "[runtime]\ncores = {cores}\nio_backend = \"{backend}\"\nhousekeeping_ms = 5\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n"
    )
}

fn cores_to_use() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2)
}

/// Sends one HTTP/1.1 request and returns (status, body).
fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn wait_healthy(child: &mut Child, addr: SocketAddr) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("medianode exited early with {status}: {err}");
        }
        if let Ok((200, body)) = http_get(addr, "/healthz") {
            return body;
        }
        assert!(Instant::now() < deadline, "medianode never became healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> (ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status, err);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("medianode did not stop within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(mut command: Command) -> Child {
    command
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run_until_signal(config: &Path, port: u16, signal_name: &str) -> (String, String) {
    let mut command = Command::new(BIN);
    command.arg("--config").arg(config);
    let mut child = spawn(command);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let health = wait_healthy(&mut child, addr);
    let (status, metrics) = http_get(addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (status, _) = http_get(addr, "/nope").unwrap();
    assert_eq!(status, 404);
    signal(&child, signal_name);
    let (exit, stderr) = wait_exit(&mut child);
    assert!(exit.success(), "exit {exit} after {signal_name}: {stderr}");
    assert!(stderr.contains("medianode stopped cleanly"), "{stderr}");
    assert!(stderr.contains(signal_name), "{stderr}");
    (health, metrics)
}

#[test]
fn serves_health_and_metrics_and_stops_cleanly_on_sigterm() {
    let cores = cores_to_use();
    let port = free_port();
    let dir = scratch_dir("sigterm");
    let config = write_config(&dir, &config_body(port, cores, "auto"));
    let (health, metrics) = run_until_signal(&config, port, "TERM");

    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["cores"], cores);
    assert!(
        metrics.contains(&format!("medianode_cores {cores}\n")),
        "{metrics}"
    );
    for core in 0..cores {
        let up = metrics
            .lines()
            .find(|l| l.starts_with(&format!("medianode_core_up{{core=\"{core}\",")))
            .unwrap_or_else(|| panic!("no medianode_core_up for core {core}: {metrics}"));
        assert!(up.ends_with(" 1"), "{up}");
    }
}

#[test]
fn stops_cleanly_on_sigint_with_thread_cores() {
    let port = free_port();
    let dir = scratch_dir("sigint");
    let config = write_config(&dir, &config_body(port, 1, "threads"));
    let (_, metrics) = run_until_signal(&config, port, "INT");
    assert!(
        metrics.contains("medianode_core_up{core=\"0\",backend=\"threads\"} 1"),
        "{metrics}"
    );
}

#[test]
fn an_unknown_key_stops_start_up_naming_key_and_line() {
    let dir = scratch_dir("badkey");
    let config = write_config(
        &dir,
        "[runtime]\ncores = 1\n\n[http]\nlisten_addr = \"127.0.0.1:1\"\n",
    );
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen_addr"), "{stderr}");
    assert!(stderr.contains("line 5"), "{stderr}");
}

#[test]
fn check_config_validates_without_starting() {
    let dir = scratch_dir("check");
    let good = write_config(&dir, "[runtime]\ncores = 1\n");
    let output = Command::new(BIN)
        .args(["--check-config", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(output.status.success());
    let bad = write_config(&dir, "[runtime]\ncores = 0\n");
    let output = Command::new(BIN)
        .args(["--check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("runtime.cores"));
}

#[test]
fn a_busy_http_port_is_reported_not_a_panic() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let dir = scratch_dir("busy");
    let config = write_config(&dir, &config_body(port, 1, "threads"));
    let output = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("http.listen"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// io_uring needs locked memory; the default sizing must fit a non-root user's common 8 MiB
/// `ulimit -l` with every core on io_uring (the backend is forced, so a fallback to threads
/// would fail this test).
#[test]
fn io_uring_cores_run_as_non_root_under_ulimit_l_8192() {
    let cores = cores_to_use();
    let port = free_port();
    let dir = scratch_dir("nonroot");
    let config = write_config(&dir, &config_body(port, cores, "io_uring"));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap();
    let run_as = if is_root {
        "exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" --config \"$1\""
    } else {
        "exec \"$0\" --config \"$1\""
    };
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -l 8192 && {run_as}"))
        .arg(BIN)
        .arg(&config);
    let mut child = spawn(command);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_healthy(&mut child, addr);
    let (_, metrics) = http_get(addr, "/metrics").unwrap();
    for core in 0..cores {
        let line = format!("medianode_core_up{{core=\"{core}\",backend=\"io_uring\"}} 1");
        assert!(metrics.contains(&line), "missing {line}: {metrics}");
    }
    signal(&child, "TERM");
    let (exit, stderr) = wait_exit(&mut child);
    assert!(exit.success(), "{stderr}");
}

fn run_with_memlock_kib(limit_kib: u32, backend: &str) -> (Child, SocketAddr) {
    let port = free_port();
    let dir = scratch_dir(&format!("memlock-{backend}"));
    let config = write_config(&dir, &config_body(port, 1, backend));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -l {limit_kib} && exec \"$0\" --config \"$1\""
        ))
        .arg(BIN)
        .arg(&config);
    (spawn(command), ([127, 0, 0, 1], port).into())
}

/// Too little locked memory for io_uring: `auto` says so in the log and runs on threads.
#[test]
fn auto_falls_back_to_threads_with_a_log_line_when_io_uring_is_refused() {
    let (mut child, addr) = run_with_memlock_kib(256, "auto");
    wait_healthy(&mut child, addr);
    let (_, metrics) = http_get(addr, "/metrics").unwrap();
    assert!(
        metrics.contains("medianode_core_up{core=\"0\",backend=\"threads\"} 1"),
        "{metrics}"
    );
    signal(&child, "TERM");
    let (exit, stderr) = wait_exit(&mut child);
    assert!(exit.success(), "{stderr}");
    assert!(
        stderr.contains("io_uring is unavailable; falling back"),
        "{stderr}"
    );
}

/// Too little locked memory with io_uring required: start-up fails and says what to raise.
#[test]
fn required_io_uring_without_locked_memory_names_the_limit_to_raise() {
    let (mut child, _) = run_with_memlock_kib(256, "io_uring");
    let (exit, stderr) = wait_exit(&mut child);
    assert_eq!(exit.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ulimit -l"), "{stderr}");
    assert!(stderr.contains("runtime.io_backend"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
