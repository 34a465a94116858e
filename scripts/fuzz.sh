#!/usr/bin/env bash
# Fuzzes every parser and decoder that reads what a user, a client or a container wrote, with
# cargo-fuzz (libFuzzer, nightly Rust): the config parser with includes, the fstab parser, the
# seccomp profile parser and compiler, the control protocol's request decoder, the launch and
# init channels' decoders, the monitor datagrams.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 seconds for each of all targets)
#
# Needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`. Seeds are in
# fuzz/seeds/TARGET (kept in git); what libFuzzer learns goes to fuzz/corpus/TARGET and a
# crash to fuzz/artifacts/TARGET (both ignored by git): turn every crash into a unit test.
# Prints one line per target: executions, and whether it found a crash. The targets are safe
# Rust, built with debug assertions (overflow checks) and without AddressSanitizer, which
# would cost most of the speed and find nothing safe code can do (FUZZ_SANITIZER=address
# turns it on).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(config fstab seccomp seccomp_proxy request launch init_channel monitor)
fi
command -v cargo-fuzz >/dev/null || { echo "fuzz.sh: cargo-fuzz is missing (cargo install cargo-fuzz)" >&2; exit 1; }
status=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    log=$(mktemp)
    if cargo +nightly fuzz run --sanitizer "${FUZZ_SANITIZER:-none}" --debug-assertions \
        "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 >"$log" 2>&1; then
        found="no crash"
    else
        found="CRASH (see fuzz/artifacts/$t; the log: $log)"
        status=1
    fi
    runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
    if [ -z "$runs" ]; then
        runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    fi
    summary+=("$t: ${runs:-?} executions in ${secs} s, $found")
    [ "$found" = "no crash" ] && rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit $status
