#!/usr/bin/env bash
# Benchmarks the npm channel, in one run, offline: the packed packages served by the
# local registry (scripts/npm-registry.js, on 127.0.0.1, so network time is not in
# the figures), in a sandbox (temp HOME, npm cache and prefix). hyperfine medians,
# commands run without a shell (-N):
#   - cold npx: `npx --yes codeloop@V --version` with an empty npm cache each run;
#   - warm npx: the same with the cache filled (npx's copy reused);
#   - the launcher: `codeloop --version` through the npm launcher vs a bare
#     `node -e 0` vs the binary alone (the goal: launcher − node ≤ 40 ms);
#   - the linux-x64 platform tarball's size (goal: under 3 MB);
#   - the static musl binary against the glibc release build (made by
#     `cargo install --path . --root <temp>`, which this also proves) on
#     `init --dry-run` in a typical home (Cursor, Claude Code, zsh, bash).
# Prerequisites: hyperfine (apt), node + npm, and scripts/test-deps.sh's tools.
#
#   scripts/bench-npm.sh           full run (a few minutes, most of it the two builds)
#   RUNS=10 scripts/bench-npm.sh   fewer repetitions
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-30}
say() { printf '\n== %s\n' "$*" >&2; }
for tool in hyperfine node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench-npm: $tool is missing; install it (apt-get install hyperfine nodejs npm)" >&2
        exit 1
    }
done
version=$(node scripts/npm-stage.js --version)

say "static musl build (release), then cargo install --path . (glibc, release)"
NO_ARCHIVE=1 scripts/dist.sh x86_64-unknown-linux-musl
musl=${CARGO_TARGET_DIR:-$root/target}/x86_64-unknown-linux-musl/release/codeloop
work=$(mktemp -d)
registry_pid=
cleanup() {
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cargo install --quiet --locked --path . --root "$work/cargo-root"
glibc=$work/cargo-root/bin/codeloop
"$glibc" --version >/dev/null

mkdir -p "$work/tgz" "$work/home" "$work/prefix" "$work/project"
node_dir=$(dirname "$(command -v node)")
registry=http://127.0.0.1:9/
sb() {
    env -i PATH="$work/prefix/bin:$node_dir:/usr/local/bin:/usr/bin:/bin" \
        HOME="$work/home" USERPROFILE="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
        XDG_CACHE_HOME="$work/home/.cache" npm_config_cache="$work/npm-cache" \
        npm_config_prefix="$work/prefix" npm_config_userconfig="$work/home/.npmrc" \
        npm_config_globalconfig="$work/npmrc" npm_config_registry="$registry" \
        npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
        NO_COLOR=1 "$@"
}
pack() { (cd "$1" && sb npm pack --silent --pack-destination "$work/tgz" 2>/dev/null) | tail -1; }
platform_tgz=$work/tgz/$(pack npm/platforms/linux-x64)
pack npm/codeloop >/dev/null
node scripts/npm-registry.js "$work/tgz" "$work/registry-url" &
registry_pid=$!
for _ in $(seq 50); do [ -s "$work/registry-url" ] && break; sleep 0.1; done
registry=$(cat "$work/registry-url")

median() { node -e 'const r=require(process.argv[1]).results;console.log(r.map(x=>(x.median*1000).toFixed(2)).join(" "))' "$1"; }
bench() { # name runs hyperfine-args... ; prints the medians in ms
    local name=$1 n=$2
    shift 2
    (cd "$work/project" && sb hyperfine -N --style none --runs "$n" --export-json "$work/$name.json" "$@" >/dev/null)
    median "$work/$name.json"
}

say "npx, cold (empty npm cache every run) and warm"
cold_runs=$(( runs < 10 ? runs : 10 ))
cold=$(bench cold "$cold_runs" --prepare "rm -rf $work/npm-cache" "npx --yes codeloop@$version --version")
warm=$(bench warm "$runs" --warmup 2 "npx --yes codeloop@$version --version")

say "the launcher against node -e 0 and the binary alone"
sb npm install -g --silent "codeloop@$version" >/dev/null
platform_bin=$work/prefix/lib/node_modules/codeloop/node_modules/@codeloop/cli-linux-x64/bin/codeloop
read -r t_node t_launcher t_binary < <(bench launcher "$runs" --warmup 5 \
    "node -e 0" "$work/prefix/bin/codeloop --version" "$platform_bin --version")
overhead=$(node -e 'console.log((process.argv[1]-process.argv[2]).toFixed(2))' "$t_launcher" "$t_node")
verdict=$(node -e 'console.log(process.argv[1] <= 40 ? "met" : "MISSED")' "$overhead")

say "static musl vs glibc: init --dry-run in a typical home"
gen() { node "$root/bench/gen.js" "$@"; }
mkdir -p "$work/home/.cursor" "$work/home/.claude" "$work/project/.cursor"
gen claude "$work/home/.claude.json" 0.3 "$work/project"
gen mcp "$work/home/.cursor/mcp.json" 4
gen zshrc "$work/home/.zshrc" 120
gen zshrc "$work/home/.bashrc" 80
printf '{\n  "mcpServers": {}\n}\n' >"$work/project/.cursor/mcp.json"
git -C "$work/project" init -q
args="init --dry-run --only cursor,claude-code,zsh,bash --project $work/project"
read -r t_musl t_glibc < <(bench init "$runs" --warmup 3 "$musl $args" "$glibc $args")
ratio=$(node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(2))' "$t_musl" "$t_glibc")

size=$(stat -c %s "$platform_tgz")
cat <<EOF

## codeloop $version npm channel — $(git describe --always --dirty), $(date -u +%Y-%m-%d), $(nproc) cores, node $(node --version), npm $(npm --version)
(local registry on 127.0.0.1; hyperfine medians: $runs runs, cold npx $cold_runs)

| what | median |
| --- | --- |
| cold \`npx --yes codeloop@$version --version\` (empty npm cache) | $cold ms |
| warm \`npx --yes codeloop@$version --version\` | $warm ms |
| \`node -e 0\` | $t_node ms |
| \`codeloop --version\` through the npm launcher | $t_launcher ms |
| the binary alone, \`codeloop --version\` | $t_binary ms |
| **launcher overhead over \`node -e 0\`** (goal ≤ 40 ms: $verdict) | $overhead ms |
| \`init --dry-run\`, static musl binary ($(( $(stat -c %s "$musl") / 1024 )) KiB) | $t_musl ms |
| \`init --dry-run\`, glibc release build (\`cargo install --path .\`, $(( $(stat -c %s "$glibc") / 1024 )) KiB) | $t_glibc ms |
| musl / glibc | ${ratio}× |

@codeloop/cli-linux-x64 tarball: $size bytes ($(( size / 1024 )) KiB; goal under 3 MB: $([ "$size" -lt 3000000 ] && echo met || echo MISSED))
EOF
