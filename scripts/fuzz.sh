#!/usr/bin/env bash
# Fuzzes the pure planners with cargo-fuzz (nightly, libFuzzer + AddressSanitizer):
#   json_planner   any bytes as a JSONC file → json::set / ensure_in_array / remove
#   block_planner  any bytes as an rc file   → block::upsert / remove
# Each input must plan without panicking; every edit must parse, hold exactly one
# codeloop entry/block, be a no-op when planned again, and reverse to the input
# (tests/it/checks.rs, which tests/it/properties.rs also runs on the seeds).
#
#   scripts/fuzz.sh          20 s per target (what scripts/test.sh runs in CI)
#   scripts/fuzz.sh 3600     the longer run: an hour per target
# Seeds are read from fuzz/corpus/<target>/; what the fuzzer discovers goes to
# fuzz/corpus-run/ (git-ignored); a crash is saved in fuzz/artifacts/ and makes this
# script fail. Add a crash's input to fuzz/corpus/ once fixed, as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
for pair in json_planner:json block_planner:block; do
    target=${pair%%:*} seeds=${pair#*:}
    mkdir -p "fuzz/corpus-run/$seeds"
    log=$(mktemp)
    status=0
    cargo "+${FUZZ_TOOLCHAIN:-nightly-2026-05-19}" fuzz run "$target" "fuzz/corpus-run/$seeds" "fuzz/corpus/$seeds" -- \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    printf 'fuzz: %s: %s\n' "$target" "$(grep -E '^Done' "$log")"
    rm -f "$log"
done
