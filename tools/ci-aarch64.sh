#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ci-aarch64.sh: the aarch64 leg. Cross-builds the library, the examples and the
# dependency-free self-test with gcc-aarch64-linux-gnu, then runs them under qemu-user.
# Criterion's runner spins forever under qemu-aarch64, so this leg runs tests/selftest.c
# (switch, FP control, stacks and guards, spawn/yield/join) instead of build/tests/run.
# Installs the cross compiler and qemu-user with apt-get when they are missing.
#
# usage: tools/ci-aarch64.sh        env: BUILD=build-aarch64 FIBER=asm|ucontext
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-aarch64}
FIBER=${FIBER:-asm}
CC=aarch64-linux-gnu-gcc
SYSROOT=/usr/aarch64-linux-gnu

if ! command -v $CC >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
    tools/apt-install.sh gcc-aarch64-linux-gnu qemu-user
fi

make --no-print-directory CC=$CC ARCH=aarch64 BUILD="$BUILD" FIBER="$FIBER" WERROR=1 \
    lib examples "$BUILD/tests/selftest"

run() { timeout 120 qemu-aarch64 -L "$SYSROOT" "$@"; }

status=0
echo "== $BUILD/tests/selftest"
run "$BUILD/tests/selftest" || status=1
for ex in "$BUILD"/examples/*; do
    case "$ex" in *.so) continue ;; esac # plugins are loaded by mob, not run
    [ -x "$ex" ] || continue
    echo "== $ex"
    if ! run "$ex" >"$BUILD/$(basename "$ex").out" 2>&1; then
        echo "FAIL: $ex (output in $BUILD/$(basename "$ex").out)"
        status=1
    fi
done
[ $status = 0 ] && echo "aarch64 leg: ok" || echo "aarch64 leg: FAILED"
exit $status
