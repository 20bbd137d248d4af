#!/bin/sh
# Find or build the Suricata 8.0.x that azflow compiles against and tests with.
#
# Usage: tools/host-suricata.sh CACHE_DIR
#   Prints the path of the libsuricata-config to use on its last stdout line.
#
# Order of preference:
#   1. $LIBSURICATA_CONFIG, or libsuricata-config on PATH, when it reports 8.0.x;
#   2. a previous build in CACHE_DIR (shared by every clone and by CI);
#   3. a fresh build: Debian build dependencies, the suricata source package
#      fetched with apt-get source from a deb-src entry derived from this
#      machine's own Debian sources, its checksum verified, configured, built
#      and installed into CACHE_DIR.  About four minutes on two cores.
set -eu

SURICATA_VERSION=8.0.7
SURICATA_SHA256=a9d46a9c8f40e81f8a6df3ecc2c5a9a8e8da985876299108d92da547c013ba8c
# The suite whose source index carries 8.0.x.  bookworm has 6.0.x.
SOURCE_SUITE=${AZFLOW_SOURCE_SUITE:-sid}

cache=${1:?usage: host-suricata.sh CACHE_DIR}

say() { printf 'host-suricata: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# libsuricata-config has no --version: read PACKAGE_VERSION from the
# autoconf.h its --cflags point at, which is what the plugin compiles with.
host_version() {
    inc=$("$1" --cflags 2>/dev/null | tr ' ' '\n' | sed -n 's/^-I//p' | head -n 1) || return 1
    [ -f "$inc/autoconf.h" ] || return 1
    sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$inc/autoconf.h"
}
is_80() {
    case "$(host_version "$1")" in 8.0.*) return 0 ;; esac
    return 1
}

# 1. An installed 8.0 named by the user or found on PATH.
if [ -n "${LIBSURICATA_CONFIG:-}" ]; then
    is_80 "$LIBSURICATA_CONFIG" || die "LIBSURICATA_CONFIG=$LIBSURICATA_CONFIG does not report Suricata 8.0.x"
    echo "$LIBSURICATA_CONFIG"; exit 0
fi
if found=$(command -v libsuricata-config 2>/dev/null) && is_80 "$found"; then
    say "using installed $found (Suricata $(host_version "$found"))"
    echo "$found"; exit 0
fi

# 2. The cache.
if [ -f "$cache/.azflow-complete" ] && is_80 "$cache/bin/libsuricata-config"; then
    echo "$cache/bin/libsuricata-config"; exit 0
fi

# 3. Build it.  Debian build dependencies first (needs root or sudo).
"$(dirname "$0")/install-deps.sh"

# Suricata 8.0's configure needs Rust >= 1.75 (its MSRV); bookworm's own
# rustc/cargo are 1.63.  Use a suitable toolchain already on PATH or under
# ~/.cargo/bin (rustup); otherwise install Debian 12's rustc-web/cargo-web
# (1.85, or newer from bookworm-security), which provide /usr/bin/rustc and
# /usr/bin/cargo, through the same apt-get path as the other packages.
MIN_RUST=1.75.0
rust_version() { "$1" --version 2>/dev/null | awk '{ print $2; exit }'; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
# Prints the directory holding a rustc and cargo both >= MIN_RUST.
find_rust() {
    for dir in $(dirname "$(command -v rustc 2>/dev/null || echo /nonexistent/x)") "$HOME/.cargo/bin" /usr/bin; do
        [ -x "$dir/rustc" ] && [ -x "$dir/cargo" ] || continue
        rv=$(rust_version "$dir/rustc"); cv=$(rust_version "$dir/cargo")
        [ -n "$rv" ] && [ -n "$cv" ] || continue
        if version_ge "$rv" "$MIN_RUST" && version_ge "$cv" "$MIN_RUST"; then
            echo "$dir"; return 0
        fi
        say "ignoring rustc $rv / cargo $cv in $dir (Suricata $SURICATA_VERSION needs >= $MIN_RUST)"
    done
    return 1
}
if ! rust_dir=$(find_rust); then
    say "no Rust >= $MIN_RUST found; installing Debian's rustc-web and cargo-web"
    "$(dirname "$0")/install-deps.sh" rustc-web cargo-web ||
        die "Suricata $SURICATA_VERSION needs Rust >= $MIN_RUST; install Debian's rustc-web and cargo-web (command above) and retry"
    rust_dir=$(find_rust) ||
        die "rustc-web/cargo-web installed but /usr/bin/rustc is $(rust_version /usr/bin/rustc), older than $MIN_RUST"
fi
PATH=$rust_dir:$PATH
export PATH
say "using Rust toolchain in $rust_dir: rustc $(rust_version "$rust_dir/rustc"), cargo $(rust_version "$rust_dir/cargo")"

work=$cache.work
rm -rf "$work"
mkdir -p "$work"

tarball=suricata_$SURICATA_VERSION.orig.tar.gz
if [ ! -f "$cache.dl/$tarball" ]; then
    # Derive a deb-src entry from the machine's own Debian sources: same
    # mirror, the suite that has 8.0.x.  Written to a private list so the
    # system's apt configuration is left as it was.
    uri=$(
        { cat /etc/apt/sources.list 2>/dev/null; cat /etc/apt/sources.list.d/*.list 2>/dev/null; } |
            awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
    )
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk '/^URIs:/ && $2 !~ /security/ && $2 ~ /debian/ { print $2; exit }')
    fi
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; cannot fetch the suricata source package"
    say "fetching suricata $SURICATA_VERSION source from the $SOURCE_SUITE suite of the configured Debian mirror"
    apt_dir=$work/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb-src $uri $SOURCE_SUITE main" >"$apt_dir/sources.list"
    apt_opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=- \
-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache -o APT::Get::List-Cleanup=0 \
-o APT::Sandbox::User=$(id -un)"
    # shellcheck disable=SC2086
    apt-get $apt_opts update -qq >&2 || die "apt-get update of the $SOURCE_SUITE source index failed"
    # The index names it with an epoch and a Debian revision (1:8.0.7-2).
    # shellcheck disable=SC2086
    version=$(apt-cache $apt_opts showsrc suricata 2>/dev/null |
        awk -v v="$SURICATA_VERSION" '$1 == "Version:" && ($2 ~ ("^([0-9]+:)?" v "-")) { print $2; exit }')
    [ -n "$version" ] || die "the $SOURCE_SUITE source index has no suricata $SURICATA_VERSION"
    # Some mirrors serve the orig tarball but answer 404 for the .dsc and
    # .debian.tar.xz, so apt-get exits non-zero after fetching the one file
    # needed: judge by the tarball and its checksum, not by the exit code.
    # shellcheck disable=SC2086
    (cd "$work" && apt-get $apt_opts source --download-only "suricata=$version" >&2) || true
    [ -f "$work/$tarball" ] || die "apt-get source did not fetch $tarball from $SOURCE_SUITE"
    mkdir -p "$cache.dl"
    mv "$work/$tarball" "$cache.dl/$tarball"
fi

echo "$SURICATA_SHA256  $cache.dl/$tarball" | sha256sum -c --quiet - >&2 ||
    { rm -f "$cache.dl/$tarball"; die "checksum mismatch for $tarball (expected $SURICATA_SHA256)"; }

say "building suricata $SURICATA_VERSION into $cache (takes a few minutes, once)"
tar -xzf "$cache.dl/$tarball" -C "$work"
src=$work/suricata-$SURICATA_VERSION
jobs=$(nproc 2>/dev/null || echo 2)
(
    cd "$src"
    ./configure --prefix="$cache" --sysconfdir="$cache/etc" --localstatedir="$cache/var" \
        --disable-gccmarch-native --disable-suricata-update --enable-af-packet \
        >"$work/configure.log" 2>&1 || { tail -40 "$work/configure.log" >&2; exit 1; }
    make -j"$jobs" >"$work/make.log" 2>&1 || { tail -60 "$work/make.log" >&2; exit 1; }
    make install install-headers install-library install-conf >"$work/install.log" 2>&1 ||
        { tail -40 "$work/install.log" >&2; exit 1; }
    # The EVE schema is not installed by make install; the tests validate
    # eve.json against it (extended with azflow's fields).
    mkdir -p "$cache/share/suricata"
    cp etc/schema.json "$cache/share/suricata/schema.json"
) || die "building suricata failed; logs in $work"

is_80 "$cache/bin/libsuricata-config" || die "the build in $cache does not report 8.0"
touch "$cache/.azflow-complete"
rm -rf "$work"
say "suricata $SURICATA_VERSION ready in $cache"
echo "$cache/bin/libsuricata-config"
