#!/bin/sh
# SPDX-License-Identifier: MIT
#
# compare-spawn.sh: what a new bot costs in mob against a new fiber in Boost.Context and in
# glibc's ucontext, side by side in one run. Builds mob-bench and tools/compare/spawn_peers.cpp
# (needs libboost-context-dev, installed with apt-get when missing), then for each count in
# BOTS interleaves ROUNDS rounds of `mob-bench spawn --json` and the two peers, and prints
# the medians, per bot, of:
#
#   warm     spawn + first run with stacks reused from a pool: the figure issue 13 sets a
#            target for (<= 1 us at a million bots)
#   cold     the same on fresh stacks: guard install and the first-touch page fault
#
# each as wall time and as the time the thread spent on a CPU (its CPU clock), which
# on a machine shared with other work is the figure to compare: the wall time adds whatever
# the thread waited for a CPU. mob's bots park on a timer (the scheduler, the timer heap and a
# bot struct of their own included); the peers' fibers jump back to the host and nothing
# else. Ratios are mob / peer.
#
# usage: tools/compare-spawn.sh        env: BUILD=build ROUNDS=3 BOTS="100000 1000000"
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
BOTS=${BOTS:-"100000 1000000"}

if [ ! -f /usr/include/boost/context/detail/fcontext.hpp ]; then
    tools/apt-install.sh libboost-context-dev
fi
make -s --no-print-directory BUILD="$BUILD" "$BUILD/mob-bench"
mkdir -p "$BUILD/compare"
${CXX:-c++} -O2 -o "$BUILD/compare/spawn_peers" tools/compare/spawn_peers.cpp -lboost_context

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

json() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
median() {
    sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

for n in $BOTS; do
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        "$BUILD/mob-bench" spawn --json --bots "$n" >"$TMP/m"
        json ns_per_bot_warm "$TMP/m" >>"$TMP/mob_warm_$n"
        json oncpu_ns_per_bot_warm "$TMP/m" >>"$TMP/mob_warmcpu_$n"
        json ns_per_bot_cold "$TMP/m" >>"$TMP/mob_cold_$n"
        json oncpu_ns_per_bot_cold "$TMP/m" >>"$TMP/mob_coldcpu_$n"
        for p in boost ucontext; do
            "$BUILD/compare/spawn_peers" "$p" --bots "$n" >"$TMP/p"
            awk '$1=="warm"{print $2}' "$TMP/p" >>"$TMP/${p}_warm_$n"
            awk '$1=="warm"{print $3}' "$TMP/p" >>"$TMP/${p}_warmcpu_$n"
            awk '$1=="cold"{print $2}' "$TMP/p" >>"$TMP/${p}_cold_$n"
            awk '$1=="cold"{print $3}' "$TMP/p" >>"$TMP/${p}_coldcpu_$n"
        done
        r=$((r + 1))
    done
done

echo "spawn + first run, ns per bot (median of $ROUNDS interleaved rounds; ratio = mob / peer)"
printf '%-24s %9s %9s %9s %7s %7s\n' "" mob boost ucontext "/boost" "/ucont"
for n in $BOTS; do
    for k in warm warmcpu cold coldcpu; do
        case $k in
        warm) label="warm, wall" ;; warmcpu) label="warm, on a CPU" ;;
        cold) label="cold, wall" ;; coldcpu) label="cold, on a CPU" ;;
        esac
        m=$(median "$TMP/mob_${k}_$n")
        b=$(median "$TMP/boost_${k}_$n")
        u=$(median "$TMP/ucontext_${k}_$n")
        awk -v l="$label, $n" -v m="$m" -v b="$b" -v u="$u" \
            'BEGIN {printf "%-24s %9.1f %9.1f %9.1f %7.2f %7.2f\n", l, m, b, u, m/b, m/u}'
    done
done
