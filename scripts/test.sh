#!/usr/bin/env bash
# The test command: install the test prerequisites, then the format check, clippy with
# warnings as errors (for Linux and for the Windows build), every test (unit,
# integration, real shells and clients), the Windows build end to end under wine, and
# a short fuzz run of the planners (scripts/fuzz.sh, 20 s per target).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${CI:-}" ]; then
    export CARGO_TERM_COLOR=never
fi

scripts/test-deps.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
# The build that asks the git binary every time (README "Performance"; bench-git.sh).
cargo clippy --lib --bins --no-default-features -- -D warnings
cargo clippy --target x86_64-pc-windows-gnu --lib --bins --test windows_env -- -D warnings
cargo test
scripts/wine-e2e.sh
scripts/fuzz.sh 20
