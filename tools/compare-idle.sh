#!/bin/sh
# SPDX-License-Identifier: MIT
#
# compare-idle.sh: what an idle loop costs in mob's lockstep mode against its peers, side by
# side in one run. SOCKETS sockets are watched for input and nothing ever arrives for
# IDLE_SECONDS seconds; each implementation prints its CPU time (user + system) over the wall
# time, in percent of one CPU, and how often it woke up:
#
#   mob          `mob-bench idle`: lockstep bots that wait by asking (mob_ready in a yield
#                loop, testtoolkit's way); the loop blocks in the poller while no bot can
#                make progress (src/core/loop.c, "Idle ticks")
#   testtoolkit  testtoolkit's own model in Python (tools/compare/idle_testtoolkit.py):
#                generator bots, a select over every socket after each tick, 0.5 s timeout.
#                Listening sockets only (see that file for why)
#   poll         a plain poll(2) loop over the descriptors, 0.5 s timeout
#                (tools/compare/src/idle_peers.c)
#   libuv        a uv_poll_t per socket and a timer to end the run (the same file; needs
#                libuv1-dev, installed with apt-get when missing)
#
# Two cases, as mob-bench idle's: listening TCP sockets on 127.0.0.1, and connected
# socketpairs watched for input only. Medians of ROUNDS interleaved rounds; the ratios /tt,
# /poll and /uv are mob / peer (over 1: mob uses more CPU).
#
# usage: tools/compare-idle.sh        env: BUILD=build ROUNDS=5 SOCKETS=1000 IDLE_SECONDS=2
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
SOCKETS=${SOCKETS:-1000}
SECONDS_IDLE=${IDLE_SECONDS:-2}

if [ ! -f /usr/include/uv.h ]; then
    tools/apt-install.sh libuv1-dev
fi
make -s --no-print-directory BUILD="$BUILD" "$BUILD/mob-bench"
mkdir -p "$BUILD/compare"
${CC:-cc} -std=c11 -O2 -o "$BUILD/compare/idle_peers" tools/compare/src/idle_peers.c \
    $(pkg-config --cflags --libs libuv 2>/dev/null || echo -luv)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

median() {
    sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
# Appends the CPU percent and wake-ups of each "case cpu wakeups" line to $TMP/<name>_<case>.
keep() {
    while read -r c p w; do
        echo "$p" >>"$TMP/$1_$c"
        echo "$w" >>"$TMP/$1_${c}_w"
    done
}

A="--sockets $SOCKETS --seconds $SECONDS_IDLE"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    # shellcheck disable=SC2086
    "$BUILD/mob-bench" idle --runs 1 --json $A |
        sed -n 's/.*"key":"\([^"]*\)","cpu_percent":\([0-9.]*\),"ticks":\([0-9]*\).*/\1 \2 \3/p' |
        keep mob
    python3 tools/compare/idle_testtoolkit.py $A | keep testtoolkit
    "$BUILD/compare/idle_peers" poll $A | keep poll
    "$BUILD/compare/idle_peers" libuv $A | keep libuv
    r=$((r + 1))
done

echo "idle loop, $SOCKETS sockets, ${SECONDS_IDLE} s: % of one CPU (wake-ups)," \
    "median of $ROUNDS interleaved rounds"
printf '%-13s %13s %13s %13s %13s %6s %6s %6s\n' "" mob testtoolkit poll libuv /tt /poll /uv
for c in listeners connected-in; do
    cells="" ratios=""
    m=$(median "$TMP/mob_$c")
    for p in mob testtoolkit poll libuv; do
        cell="-" ratio="-"
        if [ -s "$TMP/${p}_$c" ]; then
            q=$(median "$TMP/${p}_$c")
            cell=$(printf '%.3f%% (%s)' "$q" "$(median "$TMP/${p}_${c}_w")")
            ratio=$(awk -v m="$m" -v q="$q" 'BEGIN {printf "%.2f", m / q}')
        fi
        cells="$cells $(printf '%13s' "$cell")"
        [ "$p" = mob ] || ratios="$ratios $(printf '%6s' "$ratio")"
    done
    printf '%-13s%s%s\n' "$c" "$cells" "$ratios"
done
