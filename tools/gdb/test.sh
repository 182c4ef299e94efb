#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test.sh: checks tools/gdb/mob.py in `gdb -batch` against tests/gdb_bots.c, stopped in its
# breakpoint function while bot 6 runs and bots 0-5 wait on a sleep, an fd, an event, the
# mailbox, a join and (bot 5, six frames deep) an event. `mob bots` must list each with its
# state and wait, `mob bt 5` must show bot 5's frames from its saved context, and after both the
# program must run on to its end: the registers mob bt borrowed are back.
#
# ARCH=aarch64 cross-builds the program, runs it under qemu-user with its gdb stub and drives
# it with gdb-multiarch, for the aarch64 switch's frame layout.
#
# usage: tools/gdb/test.sh        env: BUILD=build FIBER=asm|ucontext ARCH=(native)|aarch64
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FIBER=${FIBER:-asm}
ARCH=${ARCH:-$(uname -m)}
cmds="-ex 'source tools/gdb/mob.py' -ex 'break stop_here'"
after="-ex up -ex 'mob bots' -ex 'mob bt 5' -ex 'mob bt host' -ex 'mob bt 6' -ex frame -ex continue"
out=$BUILD/gdb-test.out
prog=$BUILD/tests/gdb_bots
if [ "$ARCH" = aarch64 ] && [ "$(uname -m)" != aarch64 ]; then
    tools/apt-install.sh gdb-multiarch gcc-aarch64-linux-gnu qemu-user
    make -s --no-print-directory CC=aarch64-linux-gnu-gcc ARCH=aarch64 BUILD="$BUILD" \
        FIBER="$FIBER" "$prog" >/dev/null
    port=$((20000 + $$ % 20000))
    qemu-aarch64 -L /usr/aarch64-linux-gnu -g $port "$prog" >"$out.prog" 2>&1 &
    qemu=$!
    sleep 1
    eval timeout 120 gdb-multiarch -batch -nx -ex "'set sysroot /usr/aarch64-linux-gnu'" \
        -ex "'file $prog'" -ex "'target remote :$port'" "$cmds" -ex continue "$after" \
        >"$out" 2>&1 || true
    wait $qemu || true
    cat "$out.prog" >>"$out"
else
    tools/apt-install.sh gdb
    make -s --no-print-directory BUILD="$BUILD" FIBER="$FIBER" "$prog" >/dev/null
    eval timeout 120 gdb -batch -nx "$cmds" -ex run "$after" "$prog" >"$out" 2>&1 || true
fi
cat "$out"

status=0
expect() { # expect DESCRIPTION EXTENDED-REGEX [MIN-COUNT]
    n=$(grep -Ec -- "$2" "$out" || true)
    if [ "$n" -lt "${3:-1}" ]; then
        echo "gdb test: FAILED: $1 (wanted ${3:-1} lines matching /$2/, got $n)"
        status=1
    fi
}
row='^ +%d +%s +[0-9]+ B / [0-9.]+ KiB +'
# shellcheck disable=SC2059 # the row format is ours
{
    expect "the loop line" '^loop 0x[0-9a-f]+ \(free mode\): 7 bots, 7 alive, running: bot 6$'
    expect "bot 0 sleeps" "$(printf "$row" 0 parked)sleep, deadline in [0-9.]+ s"
    expect "bot 1 reads an fd" "$(printf "$row" 1 parked)fd [0-9]+ \\(read\\)"
    expect "bot 2 waits on an event" "$(printf "$row" 2 parked)event 0x"
    expect "bot 3 waits on its mailbox" "$(printf "$row" 3 parked)mailbox"
    expect "bot 4 joins bot 0" "$(printf "$row" 4 parked)join bot 0"
    expect "bot 5 is deep (6 x 512 B frames)" '^ +5 +parked +[3-9][0-9]{3} B / [0-9.]+ KiB +event 0x'
    expect "bot 6 runs" "$(printf "$row" 6 running)"
}
expect "mob bt 5 starts from the saved context" '^bot 5 \(parked\), resumes at 0x'
expect "bot 5's dive frames" '^#[0-9]+ .* in dive \(' 6
expect "bot 5's entry" '^#[0-9]+ .* in diver \('
expect "bot 5 waits in mob_event_wait" ' in mob_event_wait \('
expect "the host stack" '^#[0-9]+ .* in mob_loop_run \('
expect "the running bot's own stack" '^bot 6 \(running\) is the running bot'
expect "the user's frame again after mob bt" '^#1 .* in stopper \(' 2
expect "the program ran on to its end" '^gdb_bots: done$'
expect "and exited 0" 'exited normally'
[ $status = 0 ] && echo "gdb test ($ARCH, $FIBER): ok" || echo "gdb test ($ARCH, $FIBER): FAILED"
exit $status
