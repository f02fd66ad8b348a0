#!/usr/bin/env bash
# The test command: install the test prerequisites, then the format check, clippy with
# warnings as errors (for Linux and for the Windows build), every test (unit,
# integration, real shells and clients), the Windows build end to end under wine, the
# install channels end to end (scripts/npm-e2e.sh: npm packages for every platform,
# npx and npm -g from a local registry, the release workflow linted), and
# a short fuzz run of the planners (scripts/fuzz.sh, 20 s per target).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${CI:-}" ]; then
    export CARGO_TERM_COLOR=never
    # A new or changed snapshot fails its test, and nothing is written for review
    # (insta's default under CI too; said here so no environment can change it).
    export INSTA_UPDATE=no
    unset INSTA_FORCE_PASS
fi

scripts/test-deps.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
# The build that asks the git binary every time (README "Performance"; bench-git.sh).
cargo clippy --lib --bins --no-default-features -- -D warnings
cargo clippy --target x86_64-pc-windows-gnu --lib --bins --test windows_env -- -D warnings

# Every snapshot an assertion reads is listed in $refs (insta appends to it); a
# snapshot file no test reads any more is an orphan, and a .snap.new is one nobody
# reviewed: both fail the run (review with `cargo insta review`, README "Tests").
refs=$(mktemp)
trap 'rm -f "$refs"' EXIT
INSTA_SNAPSHOT_REFERENCES_FILE=$refs cargo test
pending=$(find tests -name '*.snap.new' -o -name '*.pending-snap')
if [ -n "$pending" ]; then
    printf 'test.sh: snapshots pending review (run: cargo insta review):\n%s\n' "$pending" >&2
    exit 1
fi
orphans=$(find tests -name '*.snap' | while read -r snap; do
    grep -qxF "$(realpath "$snap")" "$refs" || echo "$snap"
done)
if [ -n "$orphans" ]; then
    printf 'test.sh: snapshots no test reads (delete them):\n%s\n' "$orphans" >&2
    exit 1
fi

scripts/wine-e2e.sh
scripts/npm-e2e.sh
scripts/fuzz.sh 20
