#!/usr/bin/env bash
# SIP load bench: the release `medianode` on loopback, pinned to one core, driven by SIPp
# at fixed rates that step up until a step fails; Kamailio (Debian package, its default
# config) beside it for REGISTER without auth. See README.md beside this script.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

SCENARIOS=${SCENARIOS:-"join register plain"}
DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
USERS=${USERS:-1000}
NODE_CPU=${NODE_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
SIPP_PORT=${SIPP_PORT:-15080}
NODE_PORT=${NODE_PORT:-15060}
KAMAILIO_PORT=${KAMAILIO_PORT:-15070}
HTTP_PORT=${HTTP_PORT:-19100}
# Conference and leg changes reach the media core through its command queue, which the core
# reads every housekeeping period; the SIP thread hands them to media_workers threads.
HOUSEKEEPING_MS=${HOUSEKEEPING_MS:-2}
# The node's database: a fresh SQLite file by default; ":memory:" keeps the registrar in
# memory as Kamailio's default config does.
DATABASE=${DATABASE:-}
MEDIA_WORKERS=${MEDIA_WORKERS:-64}
RATES_JOIN=${RATES_JOIN:-"1000 1500 2000 2500 3000 3500 4000 5000"}
RATES_REGISTER=${RATES_REGISTER:-"2000 4000 5000 6000 8000 10000 12000 14000"}
RATES_PLAIN=${RATES_PLAIN:-"4000 8000 10000 12000 14000 16000 18000 20000 24000"}
# A step passes when every call succeeded and the last one ended within TAIL seconds of
# the step's DURATION (a server that falls behind makes SIPp queue and retransmit).
TAIL=${TAIL:-1.0}
# The servers and SIPp run at this niceness so that other work on a shared machine
# disturbs the measurement less (negative values need root; 0 leaves it alone).
NICE=${NICE:--10}

for tool in sipp taskset kamailio; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 2; }
done

BIN=${MEDIANODE_BIN:-}
if [ -z "$BIN" ]; then
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && cargo build -j 2 --release -p medianode-control --bin medianode)
    BIN=$TARGET/release/medianode
fi

WORK=$(mktemp -d /tmp/sipbench.XXXXXX)
NODE_PID=
KAMAILIO_PID=
cleanup() {
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
    [ -n "$KAMAILIO_PID" ] && kill "$KAMAILIO_PID" 2>/dev/null && wait "$KAMAILIO_PID" 2>/dev/null
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# Users: user0000..userNNNN with password pw-<n>, as [[users]] and as a SIPp injection
# file whose second field is the whole credentials keyword (SIPp does not substitute
# fields inside [authentication ...]).
{
    echo SEQUENTIAL
    for ((i = 0; i < USERS; i++)); do
        printf 'user%04d;[authentication username=user%04d password=pw-%d]\n' "$i" "$i" "$i"
    done
} >"$WORK/users.csv"

node_config() { # $1: register_without_auth
    cat <<EOF
[runtime]
cores = 1
housekeeping_ms = $HOUSEKEEPING_MS
[log]
filter = "warn"
[http]
listen = "127.0.0.1:$HTTP_PORT"
[media]
port_min = 30000
port_max = 39999
[sip]
udp = ["127.0.0.1:$NODE_PORT"]
tcp = []
domain = "127.0.0.1"
database = "${DATABASE:-$WORK/medianode.sqlite}"
digest_algorithms = ["MD5"]
media_workers = $MEDIA_WORKERS
register_without_auth = $1
EOF
    for ((i = 0; i < USERS; i++)); do
        printf '[[users]]\nname = "user%04d"\npassword = "pw-%d"\n' "$i" "$i"
    done
}

start_node() { # $1: register_without_auth
    stop_node
    rm -f "$WORK"/medianode.sqlite*
    node_config "$1" >"$WORK/medianode.toml"
    nice -n "$NICE" taskset -c "$NODE_CPU" "$BIN" --config "$WORK/medianode.toml" >"$WORK/node.log" 2>&1 &
    NODE_PID=$!
    for _ in $(seq 100); do
        grep -q "SIP server listening" "$WORK/node.log" 2>/dev/null && return 0
        # The log filter hides the info line: fall back to the health endpoint.
        curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "run.sh: medianode did not start:" >&2
    cat "$WORK/node.log" >&2
    exit 1
}

stop_node() {
    if [ -n "$NODE_PID" ]; then
        kill "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
        NODE_PID=
    fi
}

start_kamailio() {
    mkdir -p "$WORK/kamailio"
    nice -n "$NICE" taskset -c "$NODE_CPU" kamailio -f /etc/kamailio/kamailio.cfg -DD -E \
        -l "udp:127.0.0.1:$KAMAILIO_PORT" -Y "$WORK/kamailio" -P "$WORK/kamailio/pid" \
        >"$WORK/kamailio.log" 2>&1 &
    KAMAILIO_PID=$!
    sleep 2
    kill -0 "$KAMAILIO_PID" 2>/dev/null || {
        echo "run.sh: kamailio did not start:" >&2
        cat "$WORK/kamailio.log" >&2
        exit 1
    }
}

stop_kamailio() {
    if [ -n "$KAMAILIO_PID" ]; then
        kill "$KAMAILIO_PID" 2>/dev/null || true
        wait "$KAMAILIO_PID" 2>/dev/null || true
        KAMAILIO_PID=
    fi
}

# One step: SIPp at $3 calls/s for DURATION s against $2 with scenario $1. Prints
# "<successful> <failed> <wall s> <achieved calls/s> <retransmissions>".
step() {
    local scenario=$1 server=$2 rate=$3
    local calls=$((rate * DURATION))
    local stats=$WORK/stats.csv
    rm -f "$stats"
    local start end
    start=$(date +%s.%N)
    (cd "$WORK" && nice -n "$NICE" taskset -c "$SIPP_CPU" sipp "$server" -sf "$HERE/$scenario.xml" \
        -inf "$WORK/users.csv" -s conference -i 127.0.0.1 -p "$SIPP_PORT" -mp $((SIPP_PORT + 2)) \
        -r "$rate" -m "$calls" -l $((rate * 4 + 100)) -nostdin -timeout $((DURATION + 20)) \
        -trace_stat -stf "$stats" -fd 1 -buff_size 4194304 \
        >/dev/null 2>"$WORK/sipp.err") || true
    end=$(date +%s.%N)
    if [ ! -s "$stats" ]; then
        echo "0 $calls 0 0 0"
        return
    fi
    # The last line of the statistics file holds the cumulative counters.
    awk -F';' -v start="$start" -v end="$end" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { last = $0 }
        END {
            n = split(last, f, ";")
            ok = f[col["SuccessfulCall(C)"]]; bad = f[col["FailedCall(C)"]]
            rt = f[col["Retransmissions(C)"]]
            printf "%d %d %.2f %.0f %d\n", ok, bad, end - start, ok / (end - start), rt
        }' "$stats"
}

# Steps rates up for one scenario against one server; prints a row per step and sets
# BEST to the highest passing rate.
sweep() { # $1 label, $2 scenario, $3 server, $4 rates
    local label=$1 scenario=$2 server=$3 rates=$4
    BEST=0
    for rate in $rates; do
        read -r ok bad wall achieved rt < <(step "$scenario" "$server" "$rate")
        local pass=no
        if [ "$bad" -eq 0 ] && [ "$ok" -eq $((rate * DURATION)) ] &&
            awk -v w="$wall" -v d="$DURATION" -v t="$TAIL" 'BEGIN { exit !(w <= d + t) }'; then
            pass=yes
            BEST=$rate
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$label" "$rate" "$ok" "$bad" "$wall" "$achieved" "$rt" "$pass" >&2
        [ "$pass" = yes ] || break
    done
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A RESULTS
echo "| run | asked calls/s | successful | failed | wall s | achieved calls/s | retransmissions | pass |" >&2
echo "|---|---|---|---|---|---|---|---|" >&2
for ((run = 1; run <= REPEATS; run++)); do
    for scenario in $SCENARIOS; do
        case $scenario in
        join)
            start_node false
            sweep "join #$run" join "127.0.0.1:$NODE_PORT" "$RATES_JOIN"
            RESULTS[join]+=" $BEST"
            ;;
        register)
            start_node false
            sweep "register digest #$run" register_digest "127.0.0.1:$NODE_PORT" "$RATES_REGISTER"
            RESULTS[register]+=" $BEST"
            ;;
        plain)
            start_node true
            sweep "register no auth, medianode #$run" register_plain "127.0.0.1:$NODE_PORT" "$RATES_PLAIN"
            RESULTS[plain]+=" $BEST"
            stop_node
            start_kamailio
            sweep "register no auth, kamailio #$run" register_plain "127.0.0.1:$KAMAILIO_PORT" "$RATES_PLAIN"
            RESULTS[kamailio]+=" $BEST"
            stop_kamailio
            ;;
        *)
            echo "run.sh: unknown scenario $scenario" >&2
            exit 2
            ;;
        esac
        stop_node
    done
done

echo
echo "Highest rate with zero failed calls (median of $REPEATS runs, ${DURATION} s per step):"
echo
echo "| scenario | target | runs | median | ratio to target |"
echo "|---|---|---|---|---|"
row() { # label target key
    local runs=${RESULTS[$3]:-}
    [ -n "$runs" ] || return 0
    local med
    med=$(echo "$runs" | median)
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "${runs# }" "$med" \
        "$(awk -v m="$med" -v t="$4" 'BEGIN { if (t > 0) printf "%.2f", m / t; else print "-" }')"
}
row "conference joins/s" ">= 2000" join 2000
row "REGISTER digest/s" ">= 5000" register 5000
if [ -n "${RESULTS[plain]:-}" ]; then
    kam=$(echo "${RESULTS[kamailio]}" | median)
    row "REGISTER no auth/s, medianode" ">= Kamailio" plain "$kam"
    row "REGISTER no auth/s, Kamailio" "-" kamailio 0
fi
