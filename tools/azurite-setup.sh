#!/bin/sh
# Installs Azurite, the storage emulator azflow's storage tests run against,
# at the version pinned in tests/azurite/package-lock.json, into a cache
# outside the clone (reused by later clones and `make clean`).  Prints the
# path of azurite-blob on its last line.  Node/npm come from Debian
# (`nodejs npm`, installed through tools/install-deps.sh) when missing.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
lock="$here/tests/azurite/package-lock.json"
version=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/azurite"]["version"])' "$lock")
cache="${AZFLOW_AZURITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azflow/azurite-$version}"
bin="$cache/node_modules/.bin/azurite-blob"

# The lockfile's digest marks a finished install: a half-done one is redone.
stamp=$(sha256sum "$lock" | cut -c1-16)
if [ -x "$bin" ] && [ "$(cat "$cache/.azflow-complete" 2>/dev/null)" = "$stamp" ]; then
    echo "$bin"
    exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    "$here/tools/install-deps.sh" nodejs npm
fi

mkdir -p "$cache"
cp "$here/tests/azurite/package.json" "$lock" "$cache/"
echo "azurite-setup: npm ci azurite@$version into $cache" >&2
(cd "$cache" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
[ -x "$bin" ] || { echo "azurite-setup: $bin missing after npm ci" >&2; exit 1; }
echo "$stamp" > "$cache/.azflow-complete"
echo "$bin"
