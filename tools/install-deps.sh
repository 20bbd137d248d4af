#!/bin/sh
# Install the Debian packages azflow needs to build, test and build its host
# Suricata, if any is missing.  Non-interactive; uses sudo when not root, and
# where that is impossible prints the exact command to run and fails.
#
# Usage: install-deps.sh [PACKAGE...]
#   Without arguments: the packages below.  With arguments: those packages
#   instead (tools/host-suricata.sh uses it for rustc-web and cargo-web).
set -eu

PACKAGES="build-essential pkg-config python3 python3-yaml python3-jsonschema
libpcap-dev libnet1-dev libpcre2-dev libjansson-dev libcmocka-dev libyaml-dev
zlib1g-dev libcap-ng-dev libmagic-dev liblz4-dev
clang libclang-rt-14-dev iproute2 tcpreplay valgrind
libcurl4-openssl-dev libssl-dev libexpat1-dev openssl libfaketime"
[ $# -gt 0 ] && PACKAGES="$*"

missing=
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-deps: these Debian packages are missing:$missing" >&2
    echo "install-deps: run, then retry:  sudo apt-get update && sudo $cmd" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive $cmd -qq >&2
