//! Links the system libsrtp2 (found with pkg-config) and compiles the small C probe that
//! reports the installed header's struct layout for the layout unit test.

use std::process::Command;

fn pkg_config(args: &[&str]) -> Vec<String> {
    let output = Command::new("pkg-config")
        .args(args)
        .arg("libsrtp2")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkg-config (install pkg-config): {e}"));
    assert!(
        output.status.success(),
        "pkg-config does not know libsrtp2 (install libsrtp2-dev): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=csrc/layout_probe.c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let mut probe = cc::Build::new();
    probe.file("csrc/layout_probe.c");
    for flag in pkg_config(&["--cflags-only-I"]) {
        if let Some(dir) = flag.strip_prefix("-I") {
            probe.include(dir);
        }
    }
    probe.compile("libsrtp2_peer_layout_probe");

    for flag in pkg_config(&["--libs"]) {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
}
