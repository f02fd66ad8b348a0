#!/usr/bin/env bash
# Times `codeloop doctor`'s leaked-key scan on a generated git repository of 10,000
# tracked files (or $1): 100 directories of small source-like text files, 1% binaries
# holding a key (skipped), five 2 MiB files holding a key (skipped), three keys planted
# in text files and one in an untracked .env. Prints the scan's own time (from
# `doctor --json`), the whole `doctor --offline` run, and `git grep` doing the same
# search, as medians of 10 warm runs. Everything lives in a temp dir, HOME included.
#
#   scripts/leak-scan-bench.sh                 builds the release binary and times it
#   CODELOOP_BINS="a=/path/one b=/path/two" scripts/leak-scan-bench.sh
#                                              times these binaries instead, on the same
#                                              repository, runs interleaved (as
#                                              scripts/bench-git.sh does)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
files=${1:-10000}
runs=10
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z "${CODELOOP_BINS:-}" ]]; then
    # Built before HOME moves into the temp dir (rustup and cargo live in the real one).
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    CODELOOP_BINS="codeloop=$root/target/release/codeloop"
fi
read -r -a bins <<< "$CODELOOP_BINS"

export HOME="$work/home" USERPROFILE="$work/home" XDG_CONFIG_HOME="$work/home/.config"
unset CODEX_HOME ZDOTDIR
mkdir -p "$HOME"
# codeloop answers in-process only when no GIT_* variable that moves git is set.
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
git_() { GIT_CONFIG_NOSYSTEM=1 git -C "$repo" "$@"; }
git_ init -q
git_ add -A
git_ -c user.name=bench -c user.email=bench@example.com commit -qm init
printf 'CODELOOP_API_KEY=%s\n' "$key" > "$repo/.env"
tracked=$(git_ ls-files | wc -l)
size=$(du -sh --exclude=.git "$repo" | cut -f1)

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
words() { tr " " "\n" <<< "$1" | sed "/^$/d"; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
field() { printf '%s' "$1" | tr -d '\n ' | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

declare -A scan_ms doctor_ms doc
grep_ms=()
export CODELOOP_API_KEY="$key"
for _ in $(seq 1 $runs); do
    for b in "${bins[@]}"; do
        name=${b%%=*} bin=${b#*=}
        t0=$(now_us)
        doc[$name]=$("$bin" doctor --offline --json --project "$repo" || true)
        t1=$(now_us)
        doctor_ms[$name]+="$(( (t1 - t0) / 1000 )) "
        scan_ms[$name]+="$(printf '%s' "${doc[$name]}" | tr -d '\n ' | sed -n 's/.*"name":"leaks"[^]]*\][^}]*"elapsedMs":\([0-9]*\).*/\1/p') "
    done
    t1=$(now_us)
    git_ grep -n -I -E 'cl_live_[A-Za-z0-9_-]{8,}' > /dev/null || true
    t2=$(now_us)
    grep_ms+=("$(( (t2 - t1) / 1000 ))")
done

echo "repository: $tracked tracked files ($size), $(nproc) cores"
for b in "${bins[@]}"; do
    name=${b%%=*}
    d=${doc[$name]}
    listed=$(printf '%s' "$d" | tr -d '\n ' | sed -n 's/.*"listedBy":"\([a-z]*\)".*/\1/p')
    [[ ${#bins[@]} -gt 1 ]] && echo "== $name (files listed by: $listed)"
    echo "leaks found: $(field "$d" hitCount) (expected 4), files read: $(field "$d" filesScanned), skipped (binary or big): $(field "$d" filesSkipped)"
    echo "leak scan (doctor --json elapsedMs), median of $runs: $(words "${scan_ms[$name]}" | median) ms"
    echo "whole doctor --offline run, median of $runs:        $(words "${doctor_ms[$name]}" | median) ms"
done
echo "git grep -I for the same pattern, median of $runs:  $(printf '%s\n' "${grep_ms[@]}" | median) ms"
