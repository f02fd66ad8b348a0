#!/usr/bin/env bash
# Times `codeloop doctor`'s leaked-key scan on a generated git repository of 10,000
# tracked files (or $1): 100 directories of small source-like text files, 1% binaries
# holding a key (skipped), five 2 MiB files holding a key (skipped), three keys planted
# in text files and one in an untracked .env. Prints the scan's own time (from
# `doctor --json`), the whole `doctor --offline` run, and `git grep` doing the same
# search, as medians of 10 warm runs. Everything lives in a temp dir, HOME included.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
files=${1:-10000}
runs=10
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built before HOME moves into the temp dir (rustup and cargo live in the real one).
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/codeloop"

export HOME="$work/home" USERPROFILE="$work/home" XDG_CONFIG_HOME="$work/home/.config"
unset CODEX_HOME ZDOTDIR
mkdir -p "$HOME"
# codeloop reads the index in-process only when no GIT_* variable is set.
for v in $(env | sed -n 's/^\(GIT_[A-Za-z_]*\)=.*/\1/p'); do unset "$v"; done

repo="$work/repo"
mkdir -p "$repo"
dirs=100
per_dir=$(( (files + dirs - 1) / dirs ))
line='    let value = compute(input, 42); // a line of ordinary source code, nothing secret'
made=0
for d in $(seq -w 0 $((dirs - 1))); do
    n=$(( files - made < per_dir ? files - made : per_dir ))
    (( n > 0 )) || break
    mkdir -p "$repo/src$d"
    { yes "$line" || true; } | head -c $(( n * 2048 )) | split -b 2048 -a 3 -d --additional-suffix=.rs - "$repo/src$d/f"
    made=$(( made + n ))
done
# 1% binaries with a key after a NUL (skipped as binary), five big files (skipped).
key='cl_live_BENCHkey0123456789ab'
for i in $(seq 0 $(( files / 100 - 1 ))); do
    { printf '\0ELF'; head -c 2048 /dev/zero; printf '%s' "$key"; } > "$repo/src$(printf '%02d' $(( i % dirs )))/f000.rs"
done
for i in 1 2 3 4 5; do
    { { yes "$line" || true; } | head -c $(( 2 * 1024 * 1024 )); printf '%s\n' "$key"; } > "$repo/src00/big$i.txt"
done
# Three real hits in text files, one in an untracked .env.
printf 'API_KEY = "%s"\n' "$key" >> "$repo/src10/f010.rs"
printf '// %s\n' "$key" >> "$repo/src50/f011.rs"
printf '{"key": "%s"}\n' "$key" > "$repo/src99/config.json"
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm init
printf 'CODELOOP_API_KEY=%s\n' "$key" > "$repo/.env"
tracked=$(git -C "$repo" ls-files | wc -l)
size=$(du -sh --exclude=.git "$repo" | cut -f1)

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

scan_ms=() doctor_ms=() grep_ms=()
export CODELOOP_API_KEY="$key"
for _ in $(seq 1 $runs); do
    t0=$(now_us)
    doc=$("$bin" doctor --offline --json --project "$repo" || true)
    t1=$(now_us)
    git -C "$repo" grep -n -I -E 'cl_live_[A-Za-z0-9_-]{8,}' > /dev/null || true
    t2=$(now_us)
    doctor_ms+=("$(( (t1 - t0) / 1000 ))")
    grep_ms+=("$(( (t2 - t1) / 1000 ))")
    scan_ms+=("$(printf '%s' "$doc" | tr -d '\n ' | sed -n 's/.*"name":"leaks"[^]]*\][^}]*"elapsedMs":\([0-9]*\).*/\1/p')")
done
hits=$(printf '%s' "$doc" | tr -d '\n ' | sed -n 's/.*"hitCount":\([0-9]*\).*/\1/p')
scanned=$(printf '%s' "$doc" | tr -d '\n ' | sed -n 's/.*"filesScanned":\([0-9]*\).*/\1/p')
skipped=$(printf '%s' "$doc" | tr -d '\n ' | sed -n 's/.*"filesSkipped":\([0-9]*\).*/\1/p')

echo "repository: $tracked tracked files ($size), $(nproc) cores"
echo "leaks found: $hits (expected 4), files read: $scanned, skipped (binary or big): $skipped"
echo "leak scan (doctor --json elapsedMs), median of $runs: $(printf '%s\n' "${scan_ms[@]}" | median) ms"
echo "whole doctor --offline run, median of $runs:        $(printf '%s\n' "${doctor_ms[@]}" | median) ms"
echo "git grep -I for the same pattern, median of $runs:  $(printf '%s\n' "${grep_ms[@]}" | median) ms"
