#!/usr/bin/env bash
# Benchmarks codeloop (release build) on a realistic home (Cursor + Claude Code + zsh +
# bash configs) and project, against the peer add-mcp doing the same job (installed
# locally from bench/package.json, pinned; never downloaded at run time), and at scale:
# ~/.claude.json of 12.5/25/50 MiB, a 10,000-line .zshrc, an mcp.json with 5,000
# servers. Wall times are hyperfine medians; peak memory is max RSS from
# /usr/bin/time -v. Prerequisites (bench only, not the tests): hyperfine and time
# (apt), node and npm.
#
#   scripts/bench.sh            full run (about 3 minutes here)
#   RUNS=10 scripts/bench.sh    fewer repetitions
#   CODELOOP_BIN=target/bench-git/gix/release/codeloop scripts/bench.sh
#                               time that binary (no build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${RUNS:-30}

say() { printf '\n== %s\n' "$*" >&2; }
for tool in hyperfine /usr/bin/time node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench: $tool is missing; install it (apt-get install hyperfine time nodejs npm)" >&2
        exit 1
    }
done

if [[ -n "${CODELOOP_BIN:-}" ]]; then
    bin=$(realpath "$CODELOOP_BIN")
else
    say "release build"
    cargo build --release --quiet
    bin=$root/target/release/codeloop
fi
if ! (cd bench && npm ls --depth=0 >/dev/null 2>&1); then
    (cd bench && npm ci --no-audit --no-fund --silent)
fi
peer=$root/bench/node_modules/.bin/add-mcp

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
KEY=cl_live_BENCHkey0123456789abcdef
gen() { node "$root/bench/gen.js" "$@"; }

# A template: home with Cursor, Claude Code, zsh and bash configs; a project in git.
tpl=$work/tpl
mkdir -p "$tpl/home/.cursor" "$tpl/home/.claude" "$tpl/project/.cursor" "$tpl/project/.claude"
gen claude "$tpl/home/.claude.json" 0.3 "$tpl/project"
gen mcp "$tpl/home/.cursor/mcp.json" 4
gen zshrc "$tpl/home/.zshrc" 120
gen zshrc "$tpl/home/.bashrc" 80
printf '{\n  "mcpServers": {}\n}\n' >"$tpl/project/.cursor/mcp.json"
HOME=$tpl/home GIT_CONFIG_NOSYSTEM=1 git -C "$tpl/project" init -q
fresh=$work/run
prepare="rm -rf $fresh && cp -a $tpl $fresh"
# The environment both tools get: the sandboxed home, the key, nothing else.
envs="env -i HOME=$fresh/home PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/zsh CODELOOP_API_KEY=$KEY"
only="--only cursor,claude-code,zsh,bash"
cl="cd $fresh/project && $envs $bin init $only"
am="cd $fresh/project && $envs $peer 'npx -y codeloop-mcp-server' --name codeloop -a cursor -a claude-code --env CODELOOP_API_KEY=$KEY -y"

median() { node -e 'const r=require(process.argv[1]).results[0];console.log((r.median*1000).toFixed(2))' "$1"; }
# Peak RSS in KiB of one run of a shell command (after `prepare`).
peak() {
    eval "$prepare"
    /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'
}
bench() { # name command [prepare]
    local name=$1 cmd=$2 prep=${3:-$prepare}
    # hyperfine subtracts the time of starting the shell that runs `cmd`.
    hyperfine --shell bash --style none --warmup 2 --runs "$runs" --prepare "$prep" \
        --export-json "$work/$name.json" "$cmd" >/dev/null
    median "$work/$name.json"
}

say "typical home: codeloop vs add-mcp ($runs runs each)"
dry=$(bench dry "$cl --dry-run")
first=$(bench first "$cl --yes")
second=$(bench second "$cl --yes" "$prepare && bash -c '$cl --yes' >/dev/null")
peer_ms=$(bench peer "$am")
dry_kb=$(peak "$cl --dry-run")
first_kb=$(peak "$cl --yes")
peer_kb=$(peak "$am")
ratio() { node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(1))' "$1" "$2"; }

say "scale"
scale_rows=()
for mb in 12.5 25 50; do
    gen claude "$tpl/home/.claude.json" "$mb" "$tpl/project"
    size=$(stat -c %s "$tpl/home/.claude.json")
    c="cd $fresh/project && $envs $bin init --only claude-code"
    t_dry=$(runs=5 bench "claude-dry-$mb" "$c --dry-run")
    t_yes=$(runs=5 bench "claude-yes-$mb" "$c --yes")
    kb=$(peak "$c --yes")
    scale_rows+=("| \`~/.claude.json\` $mb MiB ($((size / 1000000)) MB), init --yes | $t_yes ms (dry run $t_dry ms) | $((kb / 1024)) MiB ($(node -e "console.log((($kb*1024)/$size).toFixed(2))")× the file) |")
done
pg="cd $fresh/project && $envs $peer 'npx -y codeloop-mcp-server' --name codeloop -a claude-code -g --env CODELOOP_API_KEY=$KEY -y"
t_peer50=$(runs=5 bench peer-claude-50 "$pg")
kb_peer50=$(peak "$pg")
scale_rows+=("| add-mcp -g on the same 50 MiB file | $t_peer50 ms | $((kb_peer50 / 1024)) MiB |")
gen claude "$tpl/home/.claude.json" 0.3 "$tpl/project"

gen zshrc "$tpl/home/.zshrc" 10000
z="cd $fresh/project && $envs $bin init --only zsh --yes"
t_z=$(runs=10 bench zsh "$z")
kb_z=$(peak "$z")
scale_rows+=("| 10,000-line \`.zshrc\`, init --yes | $t_z ms | $((kb_z / 1024)) MiB |")

gen mcp "$tpl/project/.cursor/mcp.json" 5000
m="cd $fresh/project && $envs $bin init --only cursor --yes"
t_m=$(runs=10 bench mcp "$m")
kb_m=$(peak "$m")
scale_rows+=("| \`mcp.json\` with 5,000 servers ($(($(stat -c %s "$tpl/project/.cursor/mcp.json") / 1000)) kB), init --yes | $t_m ms | $((kb_m / 1024)) MiB |")

size_kb=$(($(stat -c %s "$bin") / 1024))
cat <<EOF

## codeloop $(git describe --always --dirty) — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -sr)
release binary: $size_kb KiB; add-mcp $(node -p 'require("./bench/node_modules/add-mcp/package.json").version'), node $(node --version)

| typical home (Cursor + Claude Code + zsh + bash) | median wall | peak RSS |
| --- | --- | --- |
| codeloop init --dry-run | $dry ms | $((dry_kb / 1024)).$(((dry_kb % 1024) * 10 / 1024)) MiB |
| codeloop init --yes, first run | $first ms | $((first_kb / 1024)).$(((first_kb % 1024) * 10 / 1024)) MiB |
| codeloop init --yes, second run (no change) | $second ms | |
| add-mcp (Cursor + Claude Code) | $peer_ms ms | $((peer_kb / 1024)) MiB |
| ratio add-mcp / codeloop --dry-run | $(ratio "$peer_ms" "$dry")× faster | $(ratio "$peer_kb" "$dry_kb")× less memory |
| ratio add-mcp / codeloop first run | $(ratio "$peer_ms" "$first")× faster | $(ratio "$peer_kb" "$first_kb")× less memory |

| scale | median wall | peak RSS |
| --- | --- | --- |
EOF
printf '%s\n' "${scale_rows[@]}"
