#!/bin/sh
# SPDX-License-Identifier: MIT
#
# compare-switch.sh: mob's bot-to-bot yield against Boost.Context's raw fcontext jump, side by
# side in one run. Builds tools/compare/switch_boost.cpp (needs libboost-context-dev, installed
# with apt-get when missing) and mob-bench, then interleaves them for ROUNDS rounds, pinned to
# one CPU with taskset, and prints the medians and mob/Boost ratios:
#
#   yield (2 bots) vs jump       the target: mob's whole yield (scheduler included) <= Boost's
#                                bare jump, ratio <= 1.0. mob's bots share the thread's FP
#                                environment (the default); Boost's jump keeps MXCSR and the
#                                x87 control word per context
#   dirty FP status              one side has an inexact flag set, so Boost's MXCSR reload
#                                really changes the register every jump (it stalls on some
#                                Intel CPUs); mob's default yield does not touch MXCSR
#   raw switch vs jump           mob's asm alone against Boost's asm alone
#   own FP env: yield vs jump    both bots spawned with MOB_FPENV_OWN: what a bot that asks
#                                for its own environment pays per switch (no flags differ)
#   own FP env, dirty            the same with an inexact flag set in one bot: its MXCSR
#                                really differs from the thread's and is reloaded each way
#   Boost's FP state alone       (x86-64) stmxcsr, fnstcw, ldmxcsr, fldcw, two contexts' worth
#                                alternating, no switch: what Boost's jump spends on FP state
#
# usage: tools/compare-switch.sh            env: BUILD=build ROUNDS=5 CPU=1 ITERS=2000000
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
CPU=${CPU:-1}
ITERS=${ITERS:-2000000}

if [ ! -f /usr/include/boost/context/detail/fcontext.hpp ]; then
    tools/apt-install.sh libboost-context-dev
fi
make -s --no-print-directory BUILD="$BUILD" "$BUILD/mob-bench"
mkdir -p "$BUILD/compare"
${CXX:-c++} -O2 -o "$BUILD/compare/switch_boost" tools/compare/switch_boost.cpp -lboost_context

PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPU"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ns_of() { sed -n 's/.*"ns_per_switch":\([0-9.]*\).*/\1/p'; }
median() {
    sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

MB="$BUILD/mob-bench"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    $PIN "$MB" switch --json --runs 3 --iters "$ITERS" --case 2 | ns_of >>"$TMP/mob_clean"
    $PIN "$BUILD/compare/switch_boost" --runs 3 --iters "$ITERS" >"$TMP/b"
    awk '$1=="clean"{print $2}' "$TMP/b" >>"$TMP/boost_clean"
    awk '$1=="dirty"{print $2}' "$TMP/b" >>"$TMP/boost_dirty"
    $PIN "$MB" switch --json --runs 3 --iters "$ITERS" --case dirty | ns_of >>"$TMP/mob_dirty"
    $PIN "$MB" switch --json --runs 3 --iters "$ITERS" --case raw | ns_of >>"$TMP/mob_raw"
    $PIN "$MB" switch --json --runs 3 --iters "$ITERS" --case own | ns_of >>"$TMP/mob_own"
    $PIN "$MB" switch --json --runs 3 --iters $((ITERS / 8)) --case own-dirty | ns_of >>"$TMP/mob_own_dirty"
    $PIN "$MB" switch --json --runs 3 --iters "$ITERS" --case fpenv | ns_of >>"$TMP/fpenv"
    r=$((r + 1))
done

mc=$(median "$TMP/mob_clean"); bc=$(median "$TMP/boost_clean")
md=$(median "$TMP/mob_dirty"); bd=$(median "$TMP/boost_dirty")
mr=$(median "$TMP/mob_raw")
mo=$(median "$TMP/mob_own"); mod=$(median "$TMP/mob_own_dirty")
echo "switch cost, ns (median of $ROUNDS interleaved rounds${PIN:+, $PIN})"
printf '%-34s %8s %8s %7s\n' "" mob boost ratio
row() {
    awk -v n="$1" -v m="$2" -v b="$3" 'BEGIN {printf "%-34s %8.2f %8.2f %7.2f\n", n, m, b, m/b}'
}
row "yield (2 bots) vs jump" "$mc" "$bc"
row "dirty FP status: yield vs jump" "$md" "$bd"
row "raw switch vs jump" "$mr" "$bc"
row "own FP env: yield vs jump" "$mo" "$bc"
row "own FP env, dirty: yield vs jump" "$mod" "$bd"
if [ -s "$TMP/fpenv" ]; then
    fp=$(median "$TMP/fpenv")
    printf '%-34s %8s %8.2f\n' "Boost's FP state alone" "" "$fp"
    printf '%-34s %8s %8.2f\n' "Boost's jump less its FP state" "" \
        "$(echo "$bc $fp" | awk '{print $1-$2}')"
fi
