//! The real `medianode` binary as an operator runs it: start-up on a config, `/healthz` and
//! `/metrics`, clean stop on SIGTERM and SIGINT, config errors that name the key, and
//! io_uring as a non-root user under a default `ulimit -l` (forwarding media there too).

mod support;

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

fn config_body(port: u16, cores: usize, backend: &str) -> String {
    format!(
        "[runtime]\ncores = {cores}\nio_backend = \"{backend}\"\nhousekeeping_ms = 5\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n"
    )
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

/// Two legs of a conference that lets everyone through; a packet sent to the first leg
/// must come out of the second to its endpoint.
fn assert_forwards(node: &NodeProcess) {
    let id = node.create("/v1/conferences", &json!({ "mode": "all" }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let legs = format!("/v1/conferences/{id}/legs");
    let alice = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bob = UdpSocket::bind("127.0.0.1:0").unwrap();
    bob.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let to_alice = node.create(&legs, &json!({ "codec": "PCMU" }));
    let to_bob = node.create(
        &legs,
        &json!({ "codec": "PCMU", "remote": bob.local_addr().unwrap().to_string() }),
    );
    let packet = rtp_with_level(0, 7, 160, 0x0a11_ce00, 1, 20, &[0xd5; 160]);
    alice
        .send_to(&packet, to_alice["local"].as_str().unwrap())
        .unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = bob.recv_from(&mut buf).expect("the node forwards");
    assert_eq!(&buf[..n], &packet[..]);
    assert_eq!(from.to_string(), to_bob["local"].as_str().unwrap());
}

fn run_until_signal(config: &Path, port: u16, signal_name: &str) -> (String, String) {
    let node = NodeProcess::start(config, port);
    let health = node.request("GET", "/healthz", "");
    assert_eq!(health.status, 200);
    let metrics = node.metrics();
    assert_eq!(node.request("GET", "/nope", "").status, 404);
    let (exit, stderr) = node.stop_with(signal_name);
    assert!(exit.success(), "exit {exit} after {signal_name}: {stderr}");
    assert!(stderr.contains("medianode stopped cleanly"), "{stderr}");
    assert!(stderr.contains(signal_name), "{stderr}");
    (health.body, metrics)
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
    let node = NodeProcess::spawn(command, port, "info");
    let metrics = node.metrics();
    for core in 0..cores {
        let line = format!("medianode_core_up{{core=\"{core}\",backend=\"io_uring\"}} 1");
        assert!(metrics.contains(&line), "missing {line}: {metrics}");
        let line = format!("medianode_core_packet_io{{core=\"{core}\",backend=\"io_uring\"}} 1");
        assert!(metrics.contains(&line), "missing {line}: {metrics}");
    }
    assert_forwards(&node);
    let (exit, stderr) = node.stop();
    assert!(exit.success(), "{stderr}");
}

fn with_memlock_kib(limit_kib: u32, backend: &str) -> (Command, u16) {
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
    (command, port)
}

/// Too little locked memory for io_uring: `auto` says so in the log, runs on threads and
/// still forwards.
#[test]
fn auto_falls_back_to_threads_with_a_log_line_when_io_uring_is_refused() {
    let (command, port) = with_memlock_kib(256, "auto");
    let node = NodeProcess::spawn(command, port, "info");
    let metrics = node.metrics();
    assert!(
        metrics.contains("medianode_core_up{core=\"0\",backend=\"threads\"} 1"),
        "{metrics}"
    );
    assert_forwards(&node);
    let (exit, stderr) = node.stop();
    assert!(exit.success(), "{stderr}");
    assert!(
        stderr.contains("io_uring is unavailable; falling back"),
        "{stderr}"
    );
}

/// Too little locked memory with io_uring required: start-up fails and says what to raise.
#[test]
fn required_io_uring_without_locked_memory_names_the_limit_to_raise() {
    let (command, _) = with_memlock_kib(256, "io_uring");
    let mut child = spawn(command);
    let (exit, stderr) = wait_exit(&mut child);
    assert_eq!(exit.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ulimit -l"), "{stderr}");
    assert!(stderr.contains("runtime.io_backend"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
