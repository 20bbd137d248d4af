#!/bin/sh
# Run the README's two commands as a new user on a bare Debian 12 would:
# a fresh clone, an empty cache, and nothing the machine image added on top
# of Debian (no rustup under ~/.cargo/bin, no /usr/local/bin, no pyenv).
#
# Usage: tools/fresh-machine-check.sh [REPO]     (default: this checkout)
#
# HOME is a new empty folder, so ~/.cargo, ~/.pyenv and ~/.cache are not
# seen; XDG_CACHE_HOME points into it, so the host Suricata is built again
# from scratch.  PATH is Debian's default.  Not part of `make check`: it
# builds the host Suricata (minutes).  Prints the time of each command and
# exits non-zero if either fails.
set -eu

repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
tmp=$(mktemp -d /tmp/azflow-fresh.XXXXXX)
home=$tmp/home
mkdir -p "$home"
log=$tmp/log

say() { printf 'fresh-machine-check: %s\n' "$*"; }

# Only what a bare Debian 12 puts on root's or a user's PATH.
clean_env() {
    env -i HOME="$home" XDG_CACHE_HOME="$home/.cache" USER="$(id -un)" LOGNAME="$(id -un)" \
        LANG=C.UTF-8 TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

say "cloning $repo into $tmp/clone"
git clone -q "$repo" "$tmp/clone"
say "HOME=$home (empty), XDG_CACHE_HOME=$home/.cache (empty), PATH=/usr/sbin:/usr/bin:/sbin:/bin"

status=0
for target in demo check; do
    start=$(date +%s)
    if clean_env make -C "$tmp/clone" "$target" >"$log.$target" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
    fi
    end=$(date +%s)
    say "make $target: $result in $((end - start)) s (log: $log.$target)"
    if [ $result = FAILED ]; then
        tail -n 30 "$log.$target"
        break
    fi
done

# What the setup chose, from its own words.
grep -h '^host-suricata:\|^install-deps:' "$log.demo" 2>/dev/null | sed 's/^/  /' || true
[ $status -eq 0 ] && say "passed; remove $tmp when done"
exit $status
