#!/usr/bin/env bash
# End to end on Windows, for real: cross-build codeloop.exe, run it under wine in a
# fresh prefix, and read HKCU\Environment back with `wine reg query`.
# Needs: rustup target x86_64-pc-windows-gnu, gcc-mingw-w64-x86-64, wine (scripts/test-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$(date +%s)
target=x86_64-pc-windows-gnu

cargo build --quiet --target "$target"
test_exe=$(cargo test --quiet --target "$target" --test windows_env --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "windows_env" and m.get("executable"):
        print(m["executable"])')

work=$(mktemp -d)
# Wine links the prefix's Documents, Desktop… to $HOME and its menu builder writes
# under ~/.local and ~/.config: everything wine does stays in the temp dir.
mkdir -p "$work/home"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bin="$work/bin"
mkdir -p "$bin" "$work/project"
cp "target/$target/debug/codeloop.exe" "$test_exe" "$bin/"
# Wine 8 lacks bcryptprimitives.dll (ProcessPrng, which Rust's std imports): a stand-in.
x86_64-w64-mingw32-gcc -shared -O2 -o "$bin/bcryptprimitives.dll" \
  tests/wine/process_prng.c tests/wine/process_prng.def -lbcrypt
wineboot -i >/dev/null 2>&1

fail() { echo "wine-e2e: FAILED: $*" >&2; exit 1; }
winpath() { echo "Z:${1//\//\\}"; }
# Wine builds a process's environment from HKCU\Environment over the Unix one, so
# once the key is in the registry a Unix CODELOOP_API_KEY would lose: set it in cmd.
codeloop() {
  local key=$1; shift
  (cd "$work/project" && wine cmd /c "set CODELOOP_API_KEY=$key&& $(winpath "$bin/codeloop.exe") $* --project $(winpath "$work/project")")
}
value() { wine reg query 'HKCU\Environment' /v CODELOOP_API_KEY 2>/dev/null | tr -d '\r' | awk '/CODELOOP_API_KEY/ {print $2, $3}'; }
others() { wine reg query 'HKCU\Environment' | tr -d '\r' | grep -v CODELOOP_API_KEY; }

# A user PATH that must survive every step, with the type users' PATHs have.
wine reg add 'HKCU\Environment' /v PATH /t REG_EXPAND_SZ /d '%USERPROFILE%\bin;C:\tools' /f >/dev/null
before=$(others)

key1=cl_live_WineE2E_first01
key2=cl_live_WineE2E_second2

out=$(codeloop "$key1" init --yes --only windows-env) || fail "first run: $out"
[[ $out != *"$key1"* ]] || fail "the key was printed in full"
[[ $(value) == "REG_SZ $key1" ]] || fail "expected REG_SZ $key1, got '$(value)'"
echo "wine-e2e: set as REG_SZ"

out=$(codeloop "$key1" init --yes --only windows-env) || fail "second run: $out"
[[ $out == *"nothing to change"* ]] || fail "second run changed something: $out"
echo "wine-e2e: second run is a no-op"

out=$(codeloop "$key2" init --yes --only windows-env) || fail "new key: $out"
[[ $(value) == "REG_SZ $key2" ]] || fail "expected the new key, got '$(value)'"
echo "wine-e2e: a new key replaces the old one"

CODELOOP_API_KEY=$key2 wine "$bin/$(basename "$test_exe")" --quiet --test-threads=1 \
  || fail "the reverse edit under the real registry"
[[ -z $(value) ]] || fail "the reverse edit left '$(value)'"
echo "wine-e2e: the reverse edit removed it"

out=$(codeloop "$key2" init --yes --only windows-env) || fail "set again: $out"
out=$(codeloop "$key2" uninstall --yes --only windows-env) || fail "uninstall: $out"
[[ -z $(value) ]] || fail "codeloop uninstall left '$(value)'"
echo "wine-e2e: codeloop uninstall removed it"

wine reg add 'HKCU\Environment' /v CODELOOP_API_KEY /t REG_EXPAND_SZ /d '%USERPROFILE%\x' /f >/dev/null
if out=$(codeloop "$key1" init --yes --only windows-env 2>&1); then
  fail "a REG_EXPAND_SZ value was not refused: $out"
fi
[[ $out == *"REG_EXPAND_SZ"* ]] || fail "the refusal does not name the type: $out"
[[ $(value) == 'REG_EXPAND_SZ %USERPROFILE%\x' ]] || fail "the REG_EXPAND_SZ value was changed: '$(value)'"
wine reg delete 'HKCU\Environment' /v CODELOOP_API_KEY /f >/dev/null
echo "wine-e2e: another type is refused, untouched"

[[ $(others) == "$before" ]] || fail "other values (PATH) changed: $(others)"
echo "wine-e2e: PATH and every other value unchanged"

# The editors, in the prefix's own (sandboxed) user profile.
profile="$WINEPREFIX/drive_c/users/$(whoami)"
out=$(codeloop "$key1" init --yes --only cursor,claude-code) || fail "editors: $out"
python3 - "$work/project" "$profile" "$key1" <<'PY' || fail "editor configs"
import json, sys
project, profile, key = sys.argv[1:]
cursor = json.load(open(f"{project}/.cursor/mcp.json"))["mcpServers"]["codeloop"]
assert cursor["command"] == "npx" and cursor["env"]["CODELOOP_API_KEY"] == key, cursor
claude = json.load(open(f"{profile}/.claude.json"))
(name, entry), = claude["projects"].items()
assert "\\" not in name and name.endswith("/project"), name
server = entry["mcpServers"]["codeloop"]
assert server["command"] == "cmd" and server["args"][:2] == ["/c", "npx"], server
assert json.load(open(f"{project}/.claude/settings.local.json"))["permissions"]["allow"] == ["mcp__codeloop"]
PY
echo "wine-e2e: Cursor and Claude Code configs written under the Windows profile"

echo "wine-e2e: took $(( $(date +%s) - started ))s including the build"
echo "wine-e2e: 7 passed, 0 failed"
