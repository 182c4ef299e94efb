#!/bin/sh
# SPDX-License-Identifier: MIT
#
# apt-install.sh: installs the Debian packages named on the command line that are not
# installed yet, and waits for a busy package manager instead of failing. Every install step
# of the repository goes through it (make test's Criterion, .ci/run, tools/ci-aarch64.sh).
#
# Two locks can be held by someone else (another apt-get, unattended-upgrades, a colleague's
# build): dpkg's lock, which apt-get waits for when told DPkg::Lock::Timeout, and the package
# lists' lock taken by `apt-get update`, which apt does not wait for: that step is retried
# while its error says the lock is held.
#
# usage: tools/apt-install.sh PACKAGE...     env: APT_LOCK_TIMEOUT=seconds (default 600)
set -eu
timeout=${APT_LOCK_TIMEOUT:-600}

need=""
for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -n "$need" ] || exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "apt-install:$need" >&2

err=$(mktemp)
trap 'rm -f "$err"' EXIT
waited=0
while ! $SUDO apt-get -qq -o DPkg::Lock::Timeout="$timeout" update 2>"$err"; do
    if grep -q "lock" "$err" && [ "$waited" -lt "$timeout" ]; then
        [ "$waited" = 0 ] && echo "apt-install: package lists locked by another process; waiting" >&2
        sleep 3
        waited=$((waited + 3))
        continue
    fi
    cat "$err" >&2
    exit 1
done
# shellcheck disable=SC2086 # one word per package
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o DPkg::Lock::Timeout="$timeout" $need >/dev/null
