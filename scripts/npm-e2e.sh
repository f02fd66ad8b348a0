#!/usr/bin/env bash
# The install channels end to end, offline:
#   - every npm package.json carries Cargo.toml's version (scripts/npm-stage.js --check);
#   - the static linux-x64 binary (release profile) and its release archive, checksum
#     and binstall name; quick builds for the five other platforms; every platform
#     package packed (`npm pack`) and its binary checked with `file`;
#   - a local npm registry on 127.0.0.1 (scripts/npm-registry.js) serving the packed
#     tarballs and a stand-in codeloop-mcp-server, and in a sandbox (temp HOME, npm
#     cache, prefix and user config; nothing from the real home): a cold
#     `npx --yes codeloop@V init --dry-run` with no key, `npx codeloop --version`, exit
#     codes passed through, `npm install -g` and the installed command, SIGTERM, SIGINT
#     and SIGHUP to the launcher ending the binary (no orphan), `--omit=optional` and a
#     node_modules from another OS giving the clear message (and its fix working),
#     CODELOOP_BINARY, and `codeloop update` against that registry;
#   - the release workflow linted by actionlint, `cargo package`.
# Needs (scripts/test-deps.sh): node + npm, file, the rustup targets, cargo-zigbuild,
# ziglang and actionlint in target/tools/py, mingw-w64. With CI set a missing one is a
# failure; otherwise the script says what is missing and skips.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$(date +%s)
passed=0
say() { echo "npm-e2e: $*"; }
fail() { echo "npm-e2e: FAILED: $*" >&2; echo "npm-e2e: $passed passed, 1 failed" >&2; exit 1; }
ok() { passed=$((passed + 1)); say "ok: $*"; }
phase_start=$(date +%s)
phase() { local now; now=$(date +%s); say "($(( now - phase_start ))s) $*"; phase_start=$now; }

tools=$root/target/tools/py/bin
export PATH="$tools:$PATH"
missing=()
for tool in node npm file tar python3 x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump cargo-zigbuild actionlint; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
"$tools/python3" -m ziglang version >/dev/null 2>&1 || missing+=("ziglang")
installed_targets=$(rustup target list --installed)
for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu aarch64-pc-windows-gnullvm; do
    grep -qx "$t" <<<"$installed_targets" || missing+=("rustup target $t")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ -n "${CI:-}" ]; then
        fail "missing ${missing[*]}; scripts/test-deps.sh installs them"
    fi
    say "SKIPPED: missing ${missing[*]}; run scripts/test-deps.sh"
    exit 0
fi

node scripts/npm-stage.js --check || fail "the npm packages are out of step with Cargo.toml"
version=$(node scripts/npm-stage.js --version)
ok "every package.json carries version $version"

# ---------------------------------------------------------------------------------
# Builds, archives, packs

target_dir=${CARGO_TARGET_DIR:-$root/target}
rm -rf "$target_dir/dist" npm/platforms/*/bin
scripts/dist.sh x86_64-unknown-linux-musl
phase "built the static linux-x64 binary (release)"
archive=$target_dir/dist/codeloop-v$version-x86_64-unknown-linux-musl.tar.gz
(cd "$target_dir/dist" && sha256sum --quiet -c "$(basename "$archive").sha256") || fail "the archive's checksum"
# The names cargo binstall derives from Cargo.toml must be what dist.sh made.
python3 - "$version" "$archive" <<'PY' || fail "binstall metadata does not match the archive"
import sys, tarfile, tomllib
version, archive = sys.argv[1:]
meta = tomllib.load(open("Cargo.toml", "rb"))["package"]
b = meta["metadata"]["binstall"]
target = "x86_64-unknown-linux-musl"
fill = lambda s: (s.replace("{ repo }", meta["repository"]).replace("{ version }", version)
                  .replace("{ target }", target).replace("{ bin }", "codeloop").replace("{ binary-ext }", ""))
url = fill(b["pkg-url"])
assert url.endswith("/releases/download/v%s/%s" % (version, archive.rsplit("/", 1)[1])), url
names = tarfile.open(archive).getnames()
assert fill(b["bin-dir"]) in names, (fill(b["bin-dir"]), names)
for t in ("x86_64-pc-windows-msvc", "aarch64-pc-windows-msvc"):
    assert b["overrides"][t]["pkg-fmt"] == "zip"
PY
ok "release archive, its SHA-256 and the binstall names agree"

PROFILE=pack-check NO_ARCHIVE=1 scripts/dist.sh aarch64-unknown-linux-musl x86_64-apple-darwin \
    aarch64-apple-darwin x86_64-pc-windows-gnu aarch64-pc-windows-gnullvm
phase "built the five other platforms (quick profile)"

work=$(mktemp -d)
registry_pid=
cleanup() {
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/tgz" "$work/x"
registry=http://127.0.0.1:9/  # until the local one runs
mkdir -p "$work/home" "$work/project" "$work/prefix"
node_dir=$(dirname "$(command -v node)")
# Everything npm and codeloop see: a temp home, npm cache, prefix and config.
sandbox_env() {
    env_args=(PATH="$work/prefix/bin:$node_dir:/usr/local/bin:/usr/bin:/bin"
        HOME="$work/home" USERPROFILE="$work/home" XDG_CONFIG_HOME="$work/home/.config"
        XDG_CACHE_HOME="$work/home/.cache" XDG_DATA_HOME="$work/home/.local/share"
        npm_config_cache="$work/npm-cache" npm_config_prefix="$work/prefix"
        npm_config_userconfig="$work/home/.npmrc" npm_config_globalconfig="$work/npmrc"
        npm_config_registry="$registry" npm_config_update_notifier=false
        npm_config_fund=false npm_config_audit=false NO_COLOR=1
        SHELL=/bin/bash)  # a login shell, as every real session has
}
sb() { sandbox_env; env -i "${env_args[@]}" "$@"; }

declare -A expect=(
    [linux-x64]='ELF 64-bit LSB executable, x86-64, .*statically linked'
    [linux-arm64]='ELF 64-bit LSB executable, ARM aarch64, .*statically linked'
    [darwin-x64]='Mach-O 64-bit x86_64 executable'
    [darwin-arm64]='Mach-O 64-bit arm64 executable'
    [win32-x64]='PE32\+ executable \(console\) x86-64'
    [win32-arm64]='PE32\+ executable \(console\) Aarch64'
)
pack() { # dir -> tarball path
    (cd "$1" && sb npm pack --silent --pack-destination "$work/tgz" 2>/dev/null) | tail -1 | sed "s|^|$work/tgz/|"
}
for platform in linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64 win32-arm64; do
    tgz=$(pack "npm/platforms/$platform")
    exe=codeloop
    [[ $platform == win32-* ]] && exe=codeloop.exe
    listing=$(tar -tvzf "$tgz")
    [[ $(tar -tzf "$tgz" | sort | tr '\n' ' ') == "package/bin/$exe package/package.json " ]] \
        || fail "$platform: the tarball holds $(tar -tzf "$tgz" | tr '\n' ' ')"
    [[ $listing == *"-rwxr-xr-x"*"package/bin/$exe"* ]] || fail "$platform: the binary is not executable in the tarball: $listing"
    rm -rf "$work/x/package"
    tar -xzf "$tgz" -C "$work/x"
    kind=$(file -b "$work/x/package/bin/$exe")
    [[ $kind =~ ${expect[$platform]} ]] || fail "$platform: $kind"
    case $platform in
        win32-*)
            # A static C runtime: nothing but Windows' own DLLs (msvcrt/UCRT are part of it).
            if strings "$work/x/package/bin/$exe" | grep -iE '^(libgcc_s|libwinpthread|libstdc\+\+|libunwind|libc\+\+|vcruntime|msvcp)[^ ]*\.dll$'; then
                fail "$platform: links a C runtime DLL"
            fi ;;
        darwin-arm64)
            # Apple silicon runs only signed code: the linker's ad-hoc signature must be there.
            python3 - "$work/x/package/bin/$exe" <<'PY' || fail "darwin-arm64: no code signature"
import struct, sys
b = open(sys.argv[1], "rb").read()
ncmds, off = struct.unpack_from("<I", b, 16)[0], 32
for _ in range(ncmds):
    cmd, size = struct.unpack_from("<II", b, off)
    if cmd == 0x1D:
        sys.exit(0)
    off += size
sys.exit(1)
PY
            ;;
    esac
    say "  @codeloop/cli-$platform: $(($(stat -c %s "$tgz") / 1024)) KiB packed; $kind"
done
linux_tgz=$work/tgz/codeloop-cli-linux-x64-$version.tgz
linux_size=$(stat -c %s "$linux_tgz")
[ "$linux_size" -lt 3000000 ] || fail "the linux-x64 tarball is $linux_size bytes (goal: under 3 MB)"
ok "six platform packages packed, each with the right binary ($((linux_size / 1024)) KiB for linux-x64)"

main_tgz=$(pack npm/codeloop)
[[ $(tar -tzf "$main_tgz" | sort | tr '\n' ' ') == "package/README.md package/bin/codeloop.js package/package.json " ]] \
    || fail "the main package holds $(tar -tzf "$main_tgz" | tr '\n' ' ')"
node -e 'const p=require(process.argv[1]); if (p.scripts) { console.error(p.scripts); process.exit(1) }' \
    "$root/npm/codeloop/package.json" || fail "the main package has scripts"
ok "main package packed: launcher, README, package.json; no install scripts"

# A stand-in for the MCP server the editors run.
server=$work/server
mkdir -p "$server"
printf '{"name":"codeloop-mcp-server","version":"1.2.3","bin":{"codeloop-mcp-server":"server.js"}}\n' >"$server/package.json"
printf '#!/usr/bin/env node\nconsole.log("codeloop-mcp-server 1.2.3")\n' >"$server/server.js"
pack "$server" >/dev/null

# ---------------------------------------------------------------------------------
# The registry and the sandbox

node scripts/npm-registry.js "$work/tgz" "$work/registry-url" "$work/registry.log" &
registry_pid=$!
for _ in $(seq 50); do [ -s "$work/registry-url" ] && break; sleep 0.1; done
registry=$(cat "$work/registry-url") || fail "the registry did not start"
phase "packed; registry at $registry"

# ---------------------------------------------------------------------------------
# npx

cd "$work/project"
t0=$(date +%s%N)
out=$(sb npx --yes "codeloop@$version" init --dry-run 2>&1) || fail "cold npx init --dry-run: $out"
cold_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[[ $out == *"no API key configured yet"* && $out == *"dry run: nothing was written"* ]] || fail "cold npx: $out"
{ [ ! -e "$work/home/.codeloop" ] && [ -z "$(ls -A "$work/project")" ]; } || fail "the dry run wrote files"
ok "cold npx --yes codeloop@$version init --dry-run, no key: ${cold_ms} ms, nothing written"

out=$(sb npx codeloop --version 2>/dev/null) || fail "npx codeloop --version: $out"
[[ $out == "codeloop $version" ]] || fail "npx codeloop --version printed: $out"
ok "npx codeloop --version: $out"

set +e
out=$(sb npx codeloop init --bogus 2>&1); code=$?
set -e
{ [ "$code" -eq 2 ] && [[ $out == *"unexpected argument '--bogus'"* ]]; } || fail "usage error: exit $code: $out"
set +e
out=$(sb CODELOOP_API_KEY=cl_live_E2Ekey0123456789 npx codeloop init --check --only cursor 2>&1); code=$?
set -e
[ "$code" -eq 3 ] || fail "init --check through npx: exit $code (want 3): $out"
ok "exit codes pass through npx and the launcher (2 usage, 3 pending)"

# ---------------------------------------------------------------------------------
# npm install -g, signals

out=$(sb npm install -g "codeloop@$version" 2>&1) || fail "npm install -g: $out"
[ -L "$work/prefix/bin/codeloop" ] || fail "npm install -g made no codeloop command in the temp prefix"
out=$(cd "$work/project" && sb codeloop --version) || fail "installed codeloop --version: $out"
[[ $out == "codeloop $version" ]] || fail "installed codeloop --version: $out"
out=$(cd "$work/project" && sb codeloop init --dry-run --only cursor 2>&1) || fail "installed codeloop init: $out"
[[ $out == *".cursor/mcp.json"* ]] || fail "installed codeloop init --dry-run: $out"
ok "npm install -g codeloop@$version into the temp prefix; the command runs"

for sig in TERM INT HUP; do
    # `auth` waits for the browser (BROWSER=true opens nothing; the API URL is a closed port).
    # exec: $! is then the launcher itself (env and the #! line exec too).
    (sandbox_env; exec env -i "${env_args[@]}" BROWSER=true CODELOOP_API_URL=http://127.0.0.1:9 \
        codeloop auth --timeout 60) >"$work/auth.out" 2>&1 &
    launcher=$!
    child=
    for _ in $(seq 100); do
        child=$(ps -o pid= --ppid "$launcher" | tr -d ' ' || true)
        [ -n "$child" ] && grep -q "waiting up to" "$work/auth.out" 2>/dev/null && break
        sleep 0.05
    done
    [ -n "$child" ] || fail "SIG$sig: the launcher started no binary: $(cat "$work/auth.out")"
    [[ $(ps -o args= -p "$child") == *"cli-linux-x64/bin/codeloop auth"* ]] || fail "SIG$sig: the child is $(ps -o args= -p "$child")"
    kill -"$sig" "$launcher"
    set +e
    wait "$launcher" 2>/dev/null
    code=$?
    set -e
    want=$((128 + $(kill -l "$sig")))
    [ "$code" -eq "$want" ] || fail "SIG$sig: the launcher exited $code (want $want)"
    sleep 0.1
    if kill -0 "$child" 2>/dev/null; then
        kill -KILL "$child" 2>/dev/null || true
        fail "SIG$sig: the binary ($child) outlived the launcher"
    fi
done
ok "SIGTERM, SIGINT, SIGHUP to the launcher end the binary; the launcher exits 128+n"

# ---------------------------------------------------------------------------------
# The platform package missing, and the overrides

mkdir -p "$work/local" && cd "$work/local"
printf '{"name":"app","version":"1.0.0","private":true}\n' >package.json
sb npm install "codeloop@$version" --omit=optional >/dev/null 2>&1 || fail "npm install --omit=optional"
[ ! -e node_modules/@codeloop ] || fail "--omit=optional installed the platform package anyway"
set +e
out=$(sb node_modules/.bin/codeloop --version 2>&1); code=$?
set -e
[ "$code" -ne 0 ] || fail "a missing platform package exited 0: $out"
for needle in "the package @codeloop/cli-linux-x64" "is not installed" "--omit=optional" \
    "does not carry the @codeloop scope" "installed on another OS or CPU" \
    "npm install --include=optional" "CODELOOP_BINARY"; do
    [[ $out == *"$needle"* ]] || fail "the missing-package message lacks '$needle': $out"
done
fix=$(grep -o 'cd ".*" && npm install --include=optional' <<<"$out") || fail "no fix command in: $out"
sb bash -c "$fix" >/dev/null 2>&1 || fail "the fix ($fix) failed"
out=$(sb node_modules/.bin/codeloop --version 2>&1) || fail "after the fix: $out"
[[ $out == "codeloop $version" ]] || fail "after the fix: $out"
ok "--omit=optional: exit $code, names the package, why, and '$fix', which works"

mkdir -p "$work/foreign" && cd "$work/foreign"
printf '{"name":"app","version":"1.0.0","private":true}\n' >package.json
sb npm install "codeloop@$version" --os=darwin --cpu=arm64 >/dev/null 2>&1 || fail "npm install --os=darwin --cpu=arm64"
set +e
out=$(sb node_modules/.bin/codeloop --version 2>&1); code=$?
set -e
{ [ "$code" -ne 0 ] && [[ $out == *"holds @codeloop/cli-darwin-arm64 instead"* ]]; } || fail "node_modules from a Mac: $out"
ok "node_modules installed for another OS: says which platform it holds"

printf '#!/bin/sh\necho "stand-in $*"\nexit 7\n' >"$work/stand-in"
chmod +x "$work/stand-in"
set +e
out=$(sb CODELOOP_BINARY="$work/stand-in" node_modules/.bin/codeloop a b 2>&1); code=$?
set -e
{ [ "$code" -eq 7 ] && [[ $out == "stand-in a b" ]]; } || fail "CODELOOP_BINARY: exit $code: $out"
set +e
out=$(sb CODELOOP_BINARY="$work/nowhere" node_modules/.bin/codeloop 2>&1); code=$?
set -e
{ [ "$code" -eq 1 ] && [[ $out == *"$work/nowhere does not exist (CODELOOP_BINARY)"* ]]; } || fail "CODELOOP_BINARY missing: exit $code: $out"
ok "CODELOOP_BINARY runs another binary (exit 7 passed through); a wrong one is named"

# ---------------------------------------------------------------------------------
# codeloop update against the registry

cd "$work/project"
: >"$work/registry.log"
out=$(sb codeloop update 2>&1) || fail "codeloop update: $out"
for needle in "codeloop $version is installed" "registry: $registry (npm_config_registry)" \
    "codeloop $version is the latest" "codeloop-mcp-server 1.2.3 is the latest MCP server"; do
    [[ $out == *"$needle"* ]] || fail "codeloop update lacks '$needle': $out"
done
grep -q '"url":"/codeloop".*"user-agent":"codeloop/' "$work/registry.log" || fail "update did not ask the registry: $(cat "$work/registry.log")"
! grep -qi 'authorization\|cl_live_' "$work/registry.log" || fail "update sent credentials"
# A newer codeloop is published, and npx has fetched the MCP server.
newer=$work/newer
cp -r "$root/npm/codeloop" "$newer"
node -e 'const f=process.argv[1], p=require(f); p.version="99.0.0"; require("fs").writeFileSync(f, JSON.stringify(p))' "$newer/package.json"
pack "$newer" >/dev/null
out=$(sb npx -y codeloop-mcp-server 2>&1) || fail "npx codeloop-mcp-server: $out"
out=$(sb codeloop update 2>&1) || fail "codeloop update: $out"
for needle in "codeloop 99.0.0 is available" "npm i -g codeloop@latest" "npx's cache holds 1.2.3"; do
    [[ $out == *"$needle"* ]] || fail "codeloop update lacks '$needle': $out"
done
kill "$registry_pid"
wait "$registry_pid" 2>/dev/null || true
registry_pid=
out=$(sb codeloop update --timeout 2 2>&1) || fail "update with the registry gone exited non-zero: $out"
[[ $out == *"could not check for updates: cannot reach"* ]] || fail "update offline: $out"
ok "codeloop update: the registry's versions, 'npm i -g codeloop@latest' for an npm install, exit 0 offline"

# ---------------------------------------------------------------------------------
# The workflow and the crate

cd "$root"
actionlint .github/workflows/release.yml || fail "actionlint .github/workflows/release.yml"
ok "actionlint: .github/workflows/release.yml is clean"
cargo package --locked --allow-dirty --quiet 2>&1 || fail "cargo package"
ok "cargo package builds the packaged crate"
phase "sandbox checks"

say "took $(( $(date +%s) - started ))s including the builds"
say "$passed passed, 0 failed"
