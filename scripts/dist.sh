#!/usr/bin/env bash
# Builds codeloop for Rust targets, copies each binary into its npm platform package
# (scripts/npm-stage.js), and makes the release archive with its SHA-256 checksum:
#   target/dist/codeloop-v<version>-<target>.tar.gz (.zip for Windows) and .sha256
# holding codeloop-v<version>-<target>/{codeloop[.exe],README.md} — the names
# Cargo.toml's [package.metadata.binstall] expects.
#
#   scripts/dist.sh x86_64-unknown-linux-musl aarch64-apple-darwin …
#   PROFILE=pack-check NO_ARCHIVE=1 scripts/dist.sh …   quick builds, no archives (the suite)
#
# Linux (musl) and macOS targets built on Linux go through cargo-zigbuild (PyPI:
# cargo-zigbuild, ziglang); anything else through cargo. Windows targets link the C
# runtime statically. Used by .github/workflows/release.yml on each native runner.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
profile=${PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-$root/target}
out=$target_dir/dist
version=$(node scripts/npm-stage.js --version)
host=$(rustc -vV | sed -n 's/^host: //p')

# Local tools (scripts/test-deps.sh installs them here) come first; their caches stay
# in target/ (zig and cargo-zigbuild would otherwise write to ~/.cache).
if [ -d "$root/target/tools/py/bin" ]; then
    export PATH="$root/target/tools/py/bin:$PATH"
    export XDG_CACHE_HOME="$root/target/tools/cache"
    export ZIG_GLOBAL_CACHE_DIR="$root/target/tools/cache/zig"
    export ZIG_LOCAL_CACHE_DIR="$root/target/tools/cache/zig-local"
fi

python=${PYTHON:-$(command -v python3 || command -v python)}

platform_of() {
    case $1 in
        x86_64-unknown-linux-*) echo linux-x64 ;;
        aarch64-unknown-linux-*) echo linux-arm64 ;;
        x86_64-apple-darwin) echo darwin-x64 ;;
        aarch64-apple-darwin) echo darwin-arm64 ;;
        x86_64-pc-windows-*) echo win32-x64 ;;
        aarch64-pc-windows-*) echo win32-arm64 ;;
        *) echo "dist: no npm platform package for $1" >&2; return 1 ;;
    esac
}

uses_zig() {
    [ "$1" != "$host" ] && [[ $host == *-linux-* ]] &&
        [[ $1 == *-linux-musl || $1 == *-apple-darwin || $1 == *-windows-gnullvm ]]
}

# One cargo run per builder for all its targets: cargo then keeps both cores busy
# across the targets' crate graphs instead of waiting on each one's last crates.
build() {
    local zig=() plain=() target var
    for target in "$@"; do
        var=CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
        case $target in
            *-windows-*) export "$var=-C target-feature=+crt-static" ;;
        esac
        if uses_zig "$target"; then zig+=(--target "$target"); else plain+=(--target "$target"); fi
    done
    if [ "${#zig[@]}" -gt 0 ]; then
        cargo zigbuild --locked --quiet --profile "$profile" "${zig[@]}"
    fi
    if [ "${#plain[@]}" -gt 0 ]; then
        cargo build --locked --quiet --profile "$profile" "${plain[@]}"
    fi
}

archive() {
    local target=$1 bin=$2
    local name=codeloop-v$version-$target
    local stage=$out/$name
    rm -rf "$stage"
    mkdir -p "$stage"
    cp "$bin" "$stage/"
    cp README.md "$stage/"
    local file
    if [[ $target == *-windows-* ]]; then
        file=$name.zip
        (cd "$out" && rm -f "$file" && "$python" -m zipfile -c "$file" "$name")
    else
        file=$name.tar.gz
        (cd "$out" && tar -czf "$file" "$name")
    fi
    rm -rf "$stage"
    (cd "$out" && "$python" -c 'import hashlib, sys
f = sys.argv[1]
print(hashlib.sha256(open(f, "rb").read()).hexdigest() + "  " + f)' "$file" >"$file.sha256")
    echo "dist: $out/$file"
}

[ $# -gt 0 ] || { echo "usage: scripts/dist.sh TARGET..." >&2; exit 2; }
mkdir -p "$out"
for target in "$@"; do platform_of "$target" >/dev/null; done
echo "dist: building $* ($profile)" >&2
build "$@"
for target in "$@"; do
    platform=$(platform_of "$target")
    exe=codeloop
    [[ $target == *-windows-* ]] && exe=codeloop.exe
    bin=$target_dir/$target/$profile/$exe
    node scripts/npm-stage.js --binary "$platform=$bin" >&2
    [ -n "${NO_ARCHIVE:-}" ] || archive "$target" "$bin"
done
