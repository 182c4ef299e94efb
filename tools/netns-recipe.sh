#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netns-recipe.sh: the many-machines recipe of README, run for real on one machine. Two
# network namespaces stand for two load machines and a third for the server machine; GNU
# parallel launches one `mob` per "machine" exactly as it would over ssh (here with
# `ip netns exec NS` in place of `ssh HOST`). Every mob knows its index (--index I/2, so bot
# ids stay unique), starts at one agreed wall-clock time (--start-at), streams to one
# `mob view` on the server machine (beyond loopback, so with a shared token) and writes its own
# JSON. The check: the viewer's merged report equals `mob merge` of the two JSON files.
#
# Needs root (ip netns) and GNU parallel; everything it makes is removed on exit.
#
#   sudo tools/netns-recipe.sh [-b BUILD_DIR] [-w BOTS] [-d SECONDS]
#
# The ssh form of the same launch (README):
#
#   parallel --link ssh {1} mob arena://10.0.0.1:7000 -w 1000 -d 60s --index {2}/2 \
#       --start-at "$START" --report-to 10.0.0.1:7100 --token "$TOKEN" --json run-{2}.json \
#       ::: load-a load-b ::: 0 1
set -euo pipefail
BUILD=${MOB_BUILD:-build}
BOTS=50
SECS=4
while getopts "b:w:d:h" opt; do
    case $opt in
    b) BUILD=$OPTARG ;;
    w) BOTS=$OPTARG ;;
    d) SECS=$OPTARG ;;
    *) sed -n '3,20p' "$0"; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "netns-recipe: needs root (ip netns)" >&2; exit 2; }
command -v parallel >/dev/null || "$(dirname "$0")/apt-install.sh" parallel
MOB=$(cd "$BUILD" && pwd)/mob
ARENA=$(cd "$BUILD" && pwd)/arena
TAG=mobr$$
SRV=$TAG-srv
DIR=$(mktemp -d /tmp/mob-netns.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for ns in "$SRV" "$TAG-a" "$TAG-b"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$DIR"
}
trap cleanup EXIT

# ---- three "machines": server 10.77.N.1, load machine N at 10.77.N.2 ------------------------
ip netns add "$SRV"
ip -n "$SRV" link set lo up
n=0
for m in a b; do
    n=$((n + 1))
    ns=$TAG-$m
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$TAG$m" type veth peer name "$TAG${m}s"
    ip link set "$TAG$m" netns "$ns"
    ip link set "$TAG${m}s" netns "$SRV"
    ip -n "$ns" addr add "10.77.$n.2/24" dev "$TAG$m"
    ip -n "$SRV" addr add "10.77.$n.1/24" dev "$TAG${m}s"
    ip -n "$ns" link set "$TAG$m" up
    ip -n "$SRV" link set "$TAG${m}s" up
done

# ---- the server machine: the game server and one viewer --------------------------------------
TOKEN=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns exec "$SRV" "$ARENA" --host 0.0.0.0 --port 7000 --duration $((SECS + 30))s \
    >"$DIR/arena.out" 2>&1 &
PIDS+=($!)
ip netns exec "$SRV" "$MOB" view 0.0.0.0:7100 --token "$TOKEN" --expect 2 \
    --json "$DIR/view.json" -q 2>"$DIR/view.err" &
VIEW=$!
PIDS+=($VIEW)
for _ in $(seq 100); do
    ip netns exec "$TAG-a" bash -c "echo > /dev/tcp/10.77.1.1/7100" 2>/dev/null && break
    sleep 0.1
done

# ---- the launch: GNU parallel, one mob per machine ---------------------------------------------
START=$(($(date +%s) + 2))
if ! parallel --link --halt now,fail=1 \
    ip netns exec {1} "$MOB" arena://{2}:7000 -w "$BOTS" -d "${SECS}s" --index {3}/2 \
    --start-at "$START" --report-to {2}:7100 --token "$TOKEN" --json "$DIR/run-{3}.json" \
    --no-live ">$DIR/run-{3}.out" "2>&1" \
    ::: "$TAG-a" "$TAG-b" ::: 10.77.1.1 10.77.2.1 ::: 0 1; then
    tail -n 5 "$DIR"/run-*.out "$DIR/arena.out" "$DIR/view.err" >&2
    echo "netns recipe: FAILED (a mob failed)" >&2
    exit 1
fi
wait "$VIEW"

# ---- the check ----------------------------------------------------------------------------------
# The same server, reached at one address per machine: the targets differ, hence --force.
"$MOB" merge -q --force --json "$DIR/merged.json" "$DIR/run-0.json" "$DIR/run-1.json"
totals() { python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t['ok'], t['failures'], t['processes'])" "$1"; }
m=$(totals "$DIR/merged.json")
v=$(totals "$DIR/view.json")
echo "mob merge of the two machines (ok failures processes): $m"
echo "mob view's merged report      (ok failures processes): $v"
if [ "$m" = "$v" ] && [ "${m%% *}" -gt 0 ]; then
    echo "netns recipe: OK"
else
    echo "netns recipe: FAILED" >&2
    cat "$DIR/view.err" >&2
    exit 1
fi
