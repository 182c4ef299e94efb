#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ci-amalgamation.sh: the amalgamation leg. `make amalgamation` writes mob.c and mob.h; each
# example of tools/examples/ is then built from those two files alone (its includes of the
# optional headers, mob_run.h and the like, point at the one mob.h) and its output compared
# with the .out file the suite checks. Natively with the default picks, then with the poll(2)
# poller and the ucontext switch together; then for aarch64 with the cross compiler, run under
# qemu-user, with the asm switch and with ucontext.
#
# usage: tools/ci-amalgamation.sh        env: BUILD=build
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tools/apt-install.sh gcc-aarch64-linux-gnu qemu-user

make -s --no-print-directory BUILD="$BUILD" amalgamation
am=$BUILD/amalgamation
work=$am/check
rm -rf "$work"
mkdir -p "$work/src"
for ex in tools/examples/*.c; do
    sed 's/^#include "mob_[a-z_]*\.h"/#include "mob.h"/' "$ex" >"$work/src/$(basename "$ex")"
done

cat >"$work/picks.c" <<'C'
#include <stdio.h>
#include "mob.h"
int main(void) { printf("%s %s\n", mob_backend_name(), mob_switch_name()); return 0; }
C

status=0
# build NAME CC RUNNER PICKS CFLAGS...: mob.c once, the poller and switch it picked checked,
# every example linked to it and run.: mob.c once, every example linked to it and run.
build() {
    name=$1 cc=$2 runner=$3 picks=$4
    shift 4
    out=$work/$name
    mkdir -p "$out"
    # shellcheck disable=SC2068 # the flags are words
    $cc -std=c11 -O2 -Wall -Wextra -Werror $@ -I"$am" -c -o "$out/mob.o" "$am/mob.c"
    # shellcheck disable=SC2068
    $cc -std=c11 $@ -I"$am" -o "$out/picks" "$work/picks.c" "$out/mob.o" -ldl -lm
    got=$($runner "$out/picks")
    [ "$got" = "$picks" ] || { echo "FAIL: $name picked '$got', not '$picks'"; status=1; }
    ok=0 n=0
    for ex in "$work"/src/*.c; do
        e=$(basename "$ex" .c)
        n=$((n + 1))
        # shellcheck disable=SC2068
        $cc -std=c11 -O2 -Wall -Wextra -Werror $@ -I"$am" -o "$out/$e" "$ex" "$out/mob.o" -ldl -lm
        if $runner "$out/$e" </dev/null >"$out/$e.out" 2>"$out/$e.err" &&
            cmp -s "$out/$e.out" "tools/examples/$e.out"; then
            ok=$((ok + 1))
        else
            echo "FAIL: $name $e (output in $out/$e.out, $out/$e.err)"
            status=1
        fi
    done
    echo "$name ($got): $ok of $n examples built from mob.c + mob.h print what they should"
}
native() { timeout 60 "$@"; }
aarch64() { timeout 120 qemu-aarch64 -L /usr/aarch64-linux-gnu "$@"; }

cpu=$(uname -m)
build native cc native "epoll asm-$cpu"
build native-poll-ucontext cc native "poll ucontext" -DMOB_POLLER_POLL -DMOB_FIBER_UCONTEXT
build aarch64 aarch64-linux-gnu-gcc aarch64 "epoll asm-aarch64"
build aarch64-ucontext aarch64-linux-gnu-gcc aarch64 "epoll ucontext" -DMOB_FIBER_UCONTEXT
[ $status = 0 ] && echo "amalgamation leg: ok" || echo "amalgamation leg: FAILED"
exit $status
