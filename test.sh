#!/usr/bin/env bash
# Runs every test medianode has, on a fresh machine: installs the Debian packages and cargo
# tools the tests use (only what is missing), then format check, clippy, docs, the whole test
# suite, a build of every benchmark, and a bounded run of every fuzz target.
#
#   ./test.sh                 everything
#   FUZZ_SECONDS=5 ./test.sh  shorter fuzz runs (default 30 s per target)
set -euo pipefail
cd "$(dirname "$0")"

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
# Peers the tests run for real: tshark (dissector checks, rtp,streams), sox (G.711 reference),
# sipp (SIP scenarios), libsrtp2 (SRTP reference), libopus (the mixer's Opus codec),
# chromium (the live dashboard page in a real browser), cmake/pkg-config (building -sys crates),
# baresip-core (a second SIP UA with SDES SRTP), opus-tools (opusinfo/opusdec on recordings),
# espeak-ng (synthetic talkers for the mixer's speech test).
PACKAGES=(tshark sox sip-tester libsrtp2-dev libopus-dev chromium cmake pkg-config
  baresip-core opus-tools espeak-ng)

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

step "Debian packages"
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all present: ${PACKAGES[*]}"
fi

step "cargo tools"
cargo fmt --version && cargo clippy --version
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
cargo fuzz --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "cargo test"
cargo test --workspace --locked

step "cargo bench --no-run"
cargo bench --workspace --locked --no-run

step "fuzz targets (${FUZZ_SECONDS} s each)"
for dir in */fuzz; do
  [ -f "$dir/Cargo.toml" ] || continue
  (
    cd "$dir"
    RUSTC_BOOTSTRAP=1 cargo fuzz build --release
    for target in $(cargo fuzz list); do
      echo "--- $dir $target"
      mkdir -p "corpus/$target"
      RUSTC_BOOTSTRAP=1 cargo fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=0
    done
  )
done

step "all checks passed"
