#!/usr/bin/env bash
# Measures the three ways codeloop can answer git's questions (the top-level, "ignored?",
# "tracked?", every tracked path), in one run on this machine (issue 17's decision):
#
#   hand  the hand-written index reader plus the `ignore` crate, as codeloop had them
#         (built from $HAND_REV, default f8d8d17, the last commit with them)
#   gix   gitoxide's crates: gix-discover, gix-config, gix-index, gix-ignore (this tree,
#         default features)
#   git   the git binary: rev-parse, check-ignore, ls-files (this tree,
#         --no-default-features)
#
# For each: a clean release build (wall time; its own target dir under
# target/bench-git/, emptied first; crates are fetched before the clock starts) and the
# binary's size; `codeloop init --dry-run` on scripts/bench.sh's typical home (Cursor +
# Claude Code + zsh + bash) with bench.sh's project (a fresh `git init`) and with a
# project of 2,000 committed files and a .gitignore (hyperfine, the three interleaved
# per round, medians); peak RSS; then scripts/leak-scan-bench.sh's 10,000-file
# repository scanned by each. Prerequisites: hyperfine and time (apt), node, git.
#
#   scripts/bench-git.sh                 full run (three clean release builds: about
#                                        15 minutes on 2 shared cores)
#   RUNS=20 scripts/bench-git.sh         fewer runs per round
#   SKIP_BUILD=1 scripts/bench-git.sh    reuse the binaries of the last run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${RUNS:-30}
rounds=${ROUNDS:-5}
hand_rev=${HAND_REV:-f8d8d17beca89c583fa2c4be828d63d38c144698}

say() { printf '\n== %s\n' "$*" >&2; }
for tool in hyperfine /usr/bin/time node git cargo; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench-git: $tool is missing; install it (apt-get install hyperfine time nodejs git)" >&2
        exit 1
    }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$root/target/bench-git
mkdir -p "$out"
variants=(hand gix git)
declare -A src build_s size_kb bin
src[hand]=$out/src-hand
src[gix]=$root
src[git]=$root
declare -A flags=([hand]="" [gix]="" [git]="--no-default-features")

# Built before HOME moves into the temp dir (rustup and cargo live in the real one).
if [[ -z "${SKIP_BUILD:-}" ]]; then
    rm -rf "${src[hand]}"
    mkdir -p "${src[hand]}"
    git -C "$root" archive "$hand_rev" | tar -x -C "${src[hand]}"
    say "fetching crates (not timed)"
    cargo fetch --locked --manifest-path "${src[hand]}/Cargo.toml" >/dev/null 2>&1
    cargo fetch --locked --manifest-path "$root/Cargo.toml" >/dev/null 2>&1
    for v in "${variants[@]}"; do
        say "clean release build: $v (load: $(cut -d' ' -f1-3 /proc/loadavg))"
        rm -rf "${out:?}/$v"
        # Wall time, and CPU time (user + system), which other people's builds on a
        # shared machine disturb far less.
        # shellcheck disable=SC2086 # flags is a word list
        CARGO_TARGET_DIR=$out/$v /usr/bin/time -f '%e %U %S' -o "$out/$v.build-time" \
            cargo build --release --locked --quiet ${flags[$v]} \
            --manifest-path "${src[$v]}/Cargo.toml"
    done
fi
for v in "${variants[@]}"; do
    bin[$v]=$out/$v/release/codeloop
    size_kb[$v]=$(($(stat -c %s "${bin[$v]}") / 1024))
    build_s[$v]=$(awk '{printf "%.0f s wall, %.0f s CPU", $1, $2 + $3}' "$out/$v.build-time" 2>/dev/null || echo "?")
done

home=$work/home
export HOME=$home USERPROFILE=$home XDG_CONFIG_HOME=$home/.config
unset CODEX_HOME ZDOTDIR
for v in $(env | sed -n 's/^\(GIT_[A-Za-z_]*\)=.*/\1/p'); do unset "$v"; done
git_() { GIT_CONFIG_NOSYSTEM=1 git "$@"; }
KEY=cl_live_BENCHkey0123456789abcdef
gen() { node "$root/bench/gen.js" "$@"; }

# bench.sh's typical home and project.
small=$work/project
big=$work/big
mkdir -p "$home/.cursor" "$home/.claude" "$small/.cursor" "$small/.claude"
gen claude "$home/.claude.json" 0.3 "$small"
gen mcp "$home/.cursor/mcp.json" 4
gen zshrc "$home/.zshrc" 120
gen zshrc "$home/.bashrc" 80
printf '{\n  "mcpServers": {}\n}\n' >"$small/.cursor/mcp.json"
git_ -C "$small" init -q
# The same with 2,000 committed files in 40 directories and a .gitignore.
mkdir -p "$big/.cursor" "$big/.claude"
cp "$small/.cursor/mcp.json" "$big/.cursor/"
for d in $(seq -w 0 39); do
    mkdir -p "$big/src/m$d"
    for f in $(seq -w 0 49); do echo "// $d $f" >"$big/src/m$d/file_$f.rs"; done
done
printf 'target/\nnode_modules/\n*.log\n.env*\n' >"$big/.gitignore"
printf 'dist/\n' >"$big/src/.gitignore"
git_ -C "$big" init -q
git_ -C "$big" add -A
git_ -C "$big" -c user.name=bench -c user.email=bench@example.com commit -qm init

envs="env -i HOME=$home USERPROFILE=$home XDG_CONFIG_HOME=$home/.config PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/zsh CODELOOP_API_KEY=$KEY"
cmd() { echo "$envs ${bin[$1]} init --only cursor,claude-code,zsh,bash --dry-run --project $2"; }

# Medians over rounds: each round runs the three, one after another, so load that
# comes and goes on a shared machine falls on all of them.
declare -A times
for r in $(seq 1 "$rounds"); do
    for p in small big; do
        dir=$small
        [[ $p == big ]] && dir=$big
        say "round $r/$rounds: init --dry-run, $p project ($runs runs each)"
        args=()
        for v in "${variants[@]}"; do args+=(-n "$v" "$(cmd "$v" "$dir")"); done
        hyperfine -N --style none --warmup 3 --runs "$runs" \
            --export-json "$work/$p-$r.json" "${args[@]}" >/dev/null
        while read -r name ms; do times[$p-$name]+="$ms "; done < <(node -e '
            for (const r of require(process.argv[1]).results)
                console.log(r.command, (r.median * 1000).toFixed(3))' "$work/$p-$r.json")
    done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(2))' "$1" "$2"; }
# shellcheck disable=SC2086 # the command line is split into words on purpose
peak() { /usr/bin/time -v $1 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }

say "leak scan (scripts/leak-scan-bench.sh)"
leak=$(CODELOOP_BINS="hand=${bin[hand]} gix=${bin[gix]} git=${bin[git]}" "$root/scripts/leak-scan-bench.sh")

range() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.1f–%.1f\n", lo, hi}'; }
declare -A med spread
for p in small big; do
    for v in "${variants[@]}"; do
        med[$p-$v]=$(echo "${times[$p-$v]}" | median)
        spread[$p-$v]=$(echo "${times[$p-$v]}" | range)
    done
done
cat <<EOF

## codeloop $(git -C "$root" describe --always --dirty) — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -sr), $(git --version)
load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); medians of $rounds rounds × $runs runs

| | hand (own index reader + \`ignore\`) | gix | git binary |
| --- | --- | --- | --- |
| init --dry-run, typical home, bench.sh's project (fresh \`git init\`) | ${med[small-hand]} ms | ${med[small-gix]} ms | ${med[small-git]} ms |
| the same, a project of 2,000 committed files | ${med[big-hand]} ms | ${med[big-gix]} ms | ${med[big-git]} ms |
| ratio to hand (fresh / 2,000 files) | 1 | $(ratio "${med[small-gix]}" "${med[small-hand]}")× / $(ratio "${med[big-gix]}" "${med[big-hand]}")× | $(ratio "${med[small-git]}" "${med[small-hand]}")× / $(ratio "${med[big-git]}" "${med[big-hand]}")× |
| rounds' medians, fresh / 2,000 files | ${spread[small-hand]} / ${spread[big-hand]} | ${spread[small-gix]} / ${spread[big-gix]} | ${spread[small-git]} / ${spread[big-git]} |
| peak RSS, dry run, 2,000 files (KiB) | $(peak "$(cmd hand "$big")") | $(peak "$(cmd gix "$big")") | $(peak "$(cmd git "$big")") |
| release binary | ${size_kb[hand]} KiB | ${size_kb[gix]} KiB | ${size_kb[git]} KiB |
| clean release build | ${build_s[hand]} | ${build_s[gix]} | ${build_s[git]} |

$leak
EOF
